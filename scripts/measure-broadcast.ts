/**
 * One chat broadcast to N connected clients: time until every client has it, and the server's
 * memory. The server runs in a child process so its memory is not mixed with the clients'.
 *
 *   npx tsx scripts/measure-broadcast.ts            # 1000 clients
 *   npx tsx scripts/measure-broadcast.ts 5000
 */
import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import WebSocket from 'ws';

type Memory = NodeJS.MemoryUsage;
type FromServer = { port: number } | { memory: Memory };

const mb = (n: number): string => (n / 1024 / 1024).toFixed(1) + ' MiB';

async function serve(): Promise<void> {
  const { buildApp } = await import('../src/app.js');
  const { testConfig } = await import('../src/config.js');
  // A thousand clients from one address: the per-client cap and handshake rate are lifted.
  const app = await buildApp(testConfig({ wsRateLimit: 100_000, wsMaxPerClient: 0, wsHandshakeRate: 0 }));
  await app.listen({ port: 0, host: '127.0.0.1' });
  const address = app.server.address();
  if (address === null || typeof address === 'string') throw new Error('no port');
  process.send!({ port: address.port });
  process.on('message', (m: string) => {
    if (m === 'memory') {
      globalThis.gc?.();
      process.send!({ memory: process.memoryUsage() });
    }
    if (m === 'exit') void app.close().then(() => process.exit(0));
  });
}

async function measure(count: number): Promise<void> {
  const child = fork(fileURLToPath(import.meta.url), ['--server'], { execArgv: ['--import', 'tsx', '--expose-gc'] });
  const replies: ((m: FromServer) => void)[] = [];
  child.on('message', (m: FromServer) => replies.shift()?.(m));
  const ask = (msg?: string) =>
    new Promise<FromServer>((resolve) => {
      replies.push(resolve);
      if (msg) child.send(msg);
    });
  const { port } = (await ask()) as { port: number };
  const url = `ws://127.0.0.1:${port}/socketserver`;
  const before = ((await ask('memory')) as { memory: Memory }).memory;

  const started = performance.now();
  const clients: WebSocket[] = [];
  for (let i = 0; i < count; i += 100) {
    await Promise.all(
      Array.from({ length: Math.min(100, count - i) }, () =>
        new Promise<void>((resolve, reject) => {
          const ws = new WebSocket(url, 'json');
          ws.once('message', () => resolve()); // the id frame: the hub knows this client
          ws.once('error', reject);
          clients.push(ws);
        }),
      ),
    );
  }
  const connectMs = performance.now() - started;
  await new Promise((r) => setTimeout(r, 300));
  const connected = ((await ask('memory')) as { memory: Memory }).memory;

  // Sign the sender in first (its user list goes to everyone), so what is timed is the message alone.
  const signedIn = clients.map((ws) => new Promise<void>((resolve) => ws.on('message', (d) => String(d).includes('"type":"username"') && resolve())));
  clients[0]!.send(JSON.stringify({ type: 'username', name: 'sender', date: Date.now() }));
  await Promise.all(signedIn);

  const text = 'x'.repeat(100);
  const received = clients.map(
    (ws) =>
      new Promise<void>((resolve) => {
        ws.on('message', (data) => {
          if (String(data).includes('"type":"message"')) resolve();
        });
      }),
  );
  const t0 = performance.now();
  clients[0]!.send(JSON.stringify({ type: 'message', text, date: Date.now() }));
  await Promise.all(received);
  const broadcastMs = performance.now() - t0;
  const afterBroadcast = ((await ask('memory')) as { memory: Memory }).memory;

  console.log(`clients:                 ${count}`);
  console.log(`connect all:             ${connectMs.toFixed(0)} ms`);
  console.log(`one broadcast, all got:  ${broadcastMs.toFixed(1)} ms (message of ${text.length} chars, sent by one of them)`);
  console.log(`server RSS:              ${mb(before.rss)} idle → ${mb(connected.rss)} connected → ${mb(afterBroadcast.rss)} after broadcast`);
  console.log(`server heap used:        ${mb(before.heapUsed)} idle → ${mb(connected.heapUsed)} connected (${((connected.heapUsed - before.heapUsed) / count / 1024).toFixed(1)} KiB per connection)`);
  for (const ws of clients) ws.terminate();
  child.send('exit');
}

if (process.argv.includes('--server')) await serve();
else await measure(Number(process.argv[2] ?? 1000));
