// REST write throughput with 0 and with 100 WebSocket subscribers connected (issue 4, item 5).
//   npx tsx scripts/measure-write-subscribers.ts [--writes 3000] [--subscribers 100]
// The server runs as a child process (node dist/cli.js serve, SQLite in a temp dir); this process
// sends the writes (keep-alive, 16 in flight) and holds the subscribers. Loopback only, bounded.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import http from 'node:http';
import WebSocket from 'ws';

const arg = (name: string, fallback: number) => {
  const i = process.argv.indexOf(`--${name}`);
  return i === -1 ? fallback : Number(process.argv[i + 1]);
};
const WRITES = arg('writes', 3000);
const SUBSCRIBERS = arg('subscribers', 100);
const IN_FLIGHT = 16;

async function start(dir: string, port: number): Promise<ChildProcess> {
  const child = spawn(process.execPath, ['dist/cli.js', 'serve'], {
    env: { ...process.env, PORT: String(port), HOST: '127.0.0.1', DATABASE_URL: `sqlite:${join(dir, 'b.db')}`, LOG_LEVEL: 'warn', WS_RATE_LIMIT: '1000', WS_MAX_PER_CLIENT: '0', WS_HANDSHAKE_RATE: '0' },
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  for (let i = 0; i < 100; i++) {
    try {
      const res = await fetch(`http://127.0.0.1:${port}/healthz`);
      if (res.ok) return child;
    } catch {
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  throw new Error('server did not start');
}

async function writes(port: number, label: string): Promise<number> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: IN_FLIGHT });
  const post = (body: string) =>
    new Promise<number>((resolve, reject) => {
      const req = http.request({ host: '127.0.0.1', port, path: '/customers', method: 'POST', agent, headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) } }, (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
      });
      req.on('error', reject);
      req.end(body);
    });
  let next = 0;
  const started = process.hrtime.bigint();
  await Promise.all(
    Array.from({ length: IN_FLIGHT }, async () => {
      while (next < WRITES) {
        const n = next++;
        const status = await post(JSON.stringify({ name: `Load ${label} ${n}`, email: `load.${label}.${n}@example.org` }));
        if (status !== 201) throw new Error(`POST gave ${status}`);
      }
    }),
  );
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  agent.destroy();
  return WRITES / seconds;
}

async function subscribe(port: number, count: number, topic: string): Promise<{ sockets: WebSocket[]; received: () => number }> {
  let received = 0;
  const sockets = await Promise.all(
    Array.from(
      { length: count },
      () =>
        new Promise<WebSocket>((resolve, reject) => {
          const ws = new WebSocket(`ws://127.0.0.1:${port}/socketserver`, 'json');
          ws.on('message', (data) => {
            const msg = JSON.parse(String(data)) as { type: string };
            if (msg.type === 'subscribed') resolve(ws);
            if (msg.type === 'event') received++;
          });
          ws.on('open', () => ws.send(JSON.stringify({ type: 'subscribe', topic })));
          ws.on('error', reject);
        }),
    ),
  );
  return { sockets, received: () => received };
}

// The subscribers live in their own process so that receiving 100 × N events does not steal CPU from the writer.
if (process.argv.includes('--subscriber-child')) {
  const port = arg('port', 0);
  const topicIndex = process.argv.indexOf('--topic');
  const subs = await subscribe(port, SUBSCRIBERS, process.argv[topicIndex + 1] ?? 'customers');
  process.send?.('ready');
  process.on('message', () => {
    process.send?.(String(subs.received()));
    for (const s of subs.sockets) s.close();
    setTimeout(() => process.exit(0), 100);
  });
} else {
  await main();
}

async function main(): Promise<void> {
const dir = mkdtempSync(join(tmpdir(), 'boutique-measure-'));
const port = 30000 + (process.pid % 20000);
const server = await start(dir, port);
try {
  await writes(port, 'warmup');
  const without = await writes(port, 'zero');
  const run = async (topic: string, label: string) => {
    const child = spawn(process.execPath, ['--import', 'tsx', process.argv[1]!, '--subscriber-child', '--port', String(port), '--subscribers', String(SUBSCRIBERS), '--topic', topic], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    await new Promise((r) => child.once('message', r));
    const rate = await writes(port, label);
    await new Promise((r) => setTimeout(r, 2000));
    child.send('report');
    const received = Number(await new Promise((r) => child.once('message', r)));
    await new Promise((r) => child.once('exit', r));
    return { rate, received };
  };
  // Subscribers of a topic no write touches: the cost of publishing and of connected sockets alone.
  const idle = await run('customers/999999999', 'idle');
  // Subscribers of `customers`: every write is delivered to each of them.
  const busy = await run('customers', 'busy');
  console.log(`writes per run: ${WRITES}, ${IN_FLIGHT} in flight`);
  console.log(`POST /customers, no subscribers:                         ${without.toFixed(0)} writes/s`);
  console.log(`POST /customers, ${SUBSCRIBERS} subscribers of another topic:      ${idle.rate.toFixed(0)} writes/s (ratio ${(idle.rate / without).toFixed(2)})`);
  console.log(`POST /customers, ${SUBSCRIBERS} subscribers receiving every write: ${busy.rate.toFixed(0)} writes/s (ratio ${(busy.rate / without).toFixed(2)})`);
  console.log(`events delivered: ${busy.received} (expected ${WRITES * SUBSCRIBERS}); to the idle subscribers: ${idle.received}`);
} finally {
  server.kill('SIGTERM');
  await new Promise((r) => server.once('exit', r));
  rmSync(dir, { recursive: true, force: true });
}
}
