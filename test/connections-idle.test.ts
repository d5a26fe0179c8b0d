/**
 * 5,000 idle WebSocket connections held with bounded memory (issue 7 item 3). The server is its own
 * process (its RSS is what is measured); the clients are raw `ws` sockets in this process, opened in
 * batches on loopback. Reports KB per connection.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import WebSocket from 'ws';
import { startServerProcess } from './process.js';
import { TestClient } from './chat-helpers.js';
import { MEMORY_SKIP, mib, rssOf } from './memory.js';

const CONNECTIONS = Number(process.env.IDLE_CONNECTIONS ?? 5000);
const BATCH = 250;
/** Generous: a ws socket with its hub state costs a few tens of KB; a leak per connection would show far above. */
const KB_PER_CONNECTION_BOUND = 100;

function open(url: string): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, 'json', { perMessageDeflate: false });
    ws.once('message', () => resolve(ws)); // the `id` frame: the server has set the connection up
    ws.once('error', reject);
  });
}

test(`${CONNECTIONS} idle WebSocket connections › are all held, the server still serves, and memory per connection stays bounded`, { timeout: 120_000, skip: MEMORY_SKIP }, async () => {
  // Thousands of sockets from one address: the per-client cap and handshake rate are lifted.
  const server = await startServerProcess({ DATABASE_URL: 'sqlite::memory:', LOG_LEVEL: 'info', WS_MAX_PER_CLIENT: '0', WS_HANDSHAKE_RATE: '0' });
  const sockets: WebSocket[] = [];
  try {
    const wsUrl = server.url.replace('http', 'ws') + '/socketserver';
    // Warm up (JIT, first allocations) before the baseline.
    for (let i = 0; i < 50; i++) sockets.push(await open(wsUrl));
    const baseline = rssOf(server.child.pid!)!;
    const started = Date.now();
    while (sockets.length < CONNECTIONS + 50) {
      const n = Math.min(BATCH, CONNECTIONS + 50 - sockets.length);
      sockets.push(...(await Promise.all(Array.from({ length: n }, () => open(wsUrl)))));
    }
    // Let the server settle (the last greetings written, short-lived garbage collected).
    await new Promise((r) => setTimeout(r, 1000));
    const held = rssOf(server.child.pid!)!;
    const perConnectionKb = (held - baseline) / CONNECTIONS / 1024;
    const metrics = await (await fetch(`${server.url}/metrics`)).text();
    const open_ = Number(/^boutique_\w*connections\w* (\d+)$/m.exec(metrics)?.[1] ?? NaN);
    console.log(`# idle: ${CONNECTIONS} connections opened in ${Date.now() - started} ms; server RSS ${mib(baseline)} → ${mib(held)}: ${perConnectionKb.toFixed(1)} KB per connection (bound ${KB_PER_CONNECTION_BOUND}); /metrics says ${open_} open`);
    assert.ok(sockets.every((ws) => ws.readyState === WebSocket.OPEN), 'every connection is held');
    if (Number.isFinite(open_)) assert.equal(open_, CONNECTIONS + 50);
    assert.ok(perConnectionKb < KB_PER_CONNECTION_BOUND, `${perConnectionKb.toFixed(1)} KB per connection`);

    // While they are held, HTTP and a new chat client work.
    assert.equal((await fetch(`${server.url}/healthz`)).status, 200);
    const a = await TestClient.connect(wsUrl);
    const b = await TestClient.connect(wsUrl);
    await a.signIn('a');
    a.send({ type: 'message', text: 'with 5000 idle', date: 1 });
    for (;;) if ((await b.next('message', 10_000)).text === 'with 5000 idle') break;
    a.close();
    b.close();
  } finally {
    for (const ws of sockets) ws.terminate();
    server.child.kill('SIGTERM');
    await server.exited;
  }
});
