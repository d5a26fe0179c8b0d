/**
 * Chat messages per second delivered across two instances (issue 5): two Boutique processes on
 * loopback sharing PostgreSQL and Redis, CLIENTS sockets on each, SENDERS clients on A send
 * MESSAGES chat messages in total; counts deliveries on every client, A's and B's apart.
 * Bounded: fixed counts, 60 s deadline; creates its own database and Redis prefix, removes both.
 *
 *   node --import tsx scripts/measure-chat-instances.ts            # 500 clients each, 200 messages
 *   CLIENTS=500 MESSAGES=400 SENDERS=20 node --import tsx scripts/measure-chat-instances.ts
 */
import { spawn, type ChildProcess } from 'node:child_process';
import WebSocket from 'ws';
import { TEST_REDIS_URL, createTestDatabase, createTestRedisPrefix } from '../test/services.js';

const CLIENTS = Number(process.env.CLIENTS ?? 500);
const MESSAGES = Number(process.env.MESSAGES ?? 200);
const SENDERS = Number(process.env.SENDERS ?? 10);
const DEADLINE_MS = 60_000;

async function startInstance(name: string, databaseUrl: string, prefix: string): Promise<{ child: ChildProcess; ws: string }> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli.ts', 'serve'], {
    env: { ...process.env, PORT: '0', HOST: '127.0.0.1', DATABASE_URL: databaseUrl, REDIS_URL: TEST_REDIS_URL, REDIS_PREFIX: prefix, INSTANCE_ID: name, LOG_LEVEL: 'info', WS_RATE_LIMIT: '100000', CHAT_HISTORY: '0', WS_MAX_PER_CLIENT: '0', WS_HANDSHAKE_RATE: '0' },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let log = '';
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${name} did not start`)), 20_000);
    child.stdout!.on('data', (d: Buffer) => {
      log += d.toString();
      const m = /listening at (http:\/\/[\d.:]+)/i.exec(log);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]!);
      }
    });
  });
  child.stdout!.resume();
  return { child, ws: url.replace(/^http/, 'ws') + '/socketserver' };
}

async function openClients(url: string, n: number, onMessage: () => void): Promise<WebSocket[]> {
  const sockets: WebSocket[] = [];
  for (let i = 0; i < n; i += 50) {
    const batch = Array.from({ length: Math.min(50, n - i) }, () => {
      const ws = new WebSocket(url, 'json');
      ws.on('message', (data) => {
        if (data.toString().startsWith('{"type":"message"')) onMessage();
      });
      return new Promise<WebSocket>((resolve, reject) => ws.once('open', () => resolve(ws)).once('error', reject));
    });
    sockets.push(...(await Promise.all(batch)));
  }
  return sockets;
}

const database = await createTestDatabase();
const keys = createTestRedisPrefix();
const children: ChildProcess[] = [];
try {
  const a = await startInstance('measure-A', database.url, keys.prefix);
  children.push(a.child);
  const b = await startInstance('measure-B', database.url, keys.prefix);
  children.push(b.child);
  let onA = 0;
  let onB = 0;
  const clientsA = await openClients(a.ws, CLIENTS, () => onA++);
  const clientsB = await openClients(b.ws, CLIENTS, () => onB++);
  await new Promise((resolve) => setTimeout(resolve, 500));
  const expectedEach = MESSAGES * CLIENTS;
  const started = process.hrtime.bigint();
  for (let i = 0; i < MESSAGES; i++) {
    clientsA[i % SENDERS]!.send(JSON.stringify({ type: 'message', text: `m${i}`, id: 0, date: Date.now() }));
  }
  const deadline = Date.now() + DEADLINE_MS;
  while ((onA < expectedEach || onB < expectedEach) && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 5));
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  const total = onA + onB;
  console.log(JSON.stringify({ clientsPerInstance: CLIENTS, messages: MESSAGES, senders: SENDERS, deliveredOnA: onA, deliveredOnB: onB, expectedEach, seconds: +seconds.toFixed(3), deliveriesPerSecond: Math.round(total / seconds), crossInstanceDeliveriesPerSecond: Math.round(onB / seconds), messagesPerSecond: Math.round(MESSAGES / seconds), complete: onA === expectedEach && onB === expectedEach }));
  for (const ws of [...clientsA, ...clientsB]) ws.terminate();
} finally {
  for (const child of children) child.kill('SIGTERM');
  await new Promise((resolve) => setTimeout(resolve, 1000));
  for (const child of children) child.kill('SIGKILL');
  await keys.clean();
  await database.drop();
}
