/**
 * Child processes of the harness: servers pinned to core 0, load generators to core 1 (when
 * `taskset` exists and there are two cores), CPU and RSS read from /proc, and every child
 * killed when the harness ends, also on failure or Ctrl-C.
 */
import { spawn, execFileSync } from 'node:child_process';
import { readFileSync, existsSync } from 'node:fs';
import { cpus } from 'node:os';
import net from 'node:net';

const children = new Set();

export const CLK_TCK = (() => {
  try {
    return Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
  } catch {
    return 100;
  }
})();

const TASKSET = ['/usr/bin/taskset', '/bin/taskset'].find((p) => existsSync(p));
export const PINNING = TASKSET !== undefined && cpus().length >= 2;
export const SERVER_CORE = '0';
export const LOAD_CORE = '1';

/** The command line for `core`, through taskset when pinning is possible. taskset execs: the pid is the program's. */
function pinned(core, file, args) {
  return PINNING ? [TASKSET, ['-c', core, file, ...args]] : [file, args];
}

/**
 * Starts a process; with `nofile`, through `bash -c 'ulimit -n N; exec …'` so the limit is
 * raised in the child only (exec keeps the pid: /proc/<pid> is the program itself).
 */
export function start(name, { core, args, env = {}, nofile, cwd, node = true }) {
  let [file, argv] = pinned(core, node ? process.execPath : args[0], node ? args : args.slice(1));
  if (nofile) {
    const quoted = [file, ...argv].map((a) => `'${String(a).replace(/'/g, `'\\''`)}'`).join(' ');
    argv = ['-c', `ulimit -n ${nofile} 2>/dev/null || ulimit -n $(ulimit -Hn); exec ${quoted}`];
    file = 'bash';
  }
  const child = spawn(file, argv, { cwd, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  child.benchName = name;
  children.add(child);
  child.output = '';
  const keep = (chunk) => {
    child.output = (child.output + chunk.toString()).slice(-20_000);
  };
  child.stdout.on('data', keep);
  child.stderr.on('data', keep);
  child.exited = new Promise((resolve) => child.once('exit', (code, signal) => {
    children.delete(child);
    resolve({ code, signal });
  }));
  return child;
}

/** Runs a load generator to its end and returns the JSON it prints as its last stdout line. */
export async function runLoad(name, args, { timeoutMs, nofile } = {}) {
  const child = start(name, { core: LOAD_CORE, args, nofile });
  let stdout = '';
  child.stdout.on('data', (c) => (stdout += c));
  const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs ?? 120_000);
  const { code, signal } = await child.exited;
  clearTimeout(timer);
  const line = stdout.trim().split('\n').pop() ?? '';
  if (code !== 0) throw new Error(`${name} failed (${signal ?? code}):\n${child.output.slice(-3000)}`);
  return JSON.parse(line);
}

export async function stop(child, signal = 'SIGTERM', graceMs = 5000) {
  if (child.exitCode !== null || child.signalCode !== null) return child.exited;
  child.kill(signal);
  const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
  const result = await child.exited;
  clearTimeout(timer);
  return result;
}

export function killAll() {
  for (const child of children) {
    try {
      child.kill('SIGKILL');
    } catch {}
  }
}

for (const signal of ['SIGINT', 'SIGTERM']) {
  process.once(signal, () => {
    killAll();
    process.exit(130);
  });
}
process.once('exit', killAll);

/** user+system CPU time of a process in microseconds (fields 14 and 15 of /proc/<pid>/stat). */
export function cpuMicros(pid) {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return ((Number(fields[11]) + Number(fields[12])) * 1e6) / CLK_TCK;
}

export function rssBytes(pid) {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) * 1024 : NaN;
}

export function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

/** Waits until `url` answers (any status) or the child exits. */
export async function waitHttp(url, child, timeoutMs = 30_000) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null) throw new Error(`${child.benchName} exited early:\n${child.output.slice(-3000)}`);
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(1000) });
      await res.arrayBuffer();
      return;
    } catch {
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  throw new Error(`${child.benchName} did not answer ${url} within ${timeoutMs} ms:\n${child.output.slice(-3000)}`);
}

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
