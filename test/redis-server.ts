/**
 * A redis-server of the test's own, on a loopback port, to kill and start again empty (nothing
 * saved, no append-only file) — never the machine's shared Redis.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { test } from 'node:test';
import { SERVICES_REQUIRED } from './services.js';

/** False when redis-server can be run; otherwise the skip message (and, when services are required, a failing test). */
export function needRedisServer(): string | false {
  const probe = spawnSync('redis-server', ['--version'], { encoding: 'utf8' });
  if (probe.error === undefined && probe.status === 0) return false;
  const message = 'redis-server not found on PATH; install Redis to run it (BOUTIQUE_REQUIRE_SERVICES=1 makes this mandatory)';
  if (SERVICES_REQUIRED) {
    test('required services are reachable (redis-server)', () => {
      throw new Error(message);
    });
  }
  return message;
}

export interface RedisServer {
  readonly url: string;
  readonly child: ChildProcess;
  /** kill -9: everything it held is gone. */
  kill(): Promise<void>;
}

/** Starts redis-server on `port` and resolves once it accepts connections. */
export async function startRedisServer(port: number, timeoutMs = 10_000): Promise<RedisServer> {
  const child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: ['ignore', 'pipe', 'pipe'] });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  let output = '';
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`redis-server did not start in ${timeoutMs} ms:\n${output}`));
    }, timeoutMs);
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      if (output.includes('Ready to accept connections')) {
        clearTimeout(timer);
        resolve();
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    void exited.then(() => {
      clearTimeout(timer);
      reject(new Error(`redis-server exited before it was ready:\n${output}`));
    });
  });
  return {
    url: `redis://127.0.0.1:${port}`,
    child,
    async kill() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      await exited;
    },
  };
}
