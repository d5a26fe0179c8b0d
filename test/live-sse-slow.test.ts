/**
 * Event streams whose clients stop reading: the same slow-reader policy as WebSocket (a stream
 * whose unsent bytes pass WS_SEND_BUFFER_MAX is ended), so the server's memory stays bounded
 * however many changes go past them. The server runs as its own process so its memory can be read.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { connect, type Socket } from 'node:net';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startServerProcess } from './process.js';
import { MEMORY_SKIP, mib, rssOf } from './memory.js';

const STREAMS = 10;
const ORDERS = 400;
const SEND_BUFFER_MAX = 256 * 1024;
/** 500 items with 64-character SKUs: about 55 KB of JSON per order, 22 MB per stream in all. */
const ITEMS = Array.from({ length: 500 }, (_, i) => ({ sku: `SKU-${String(i).padStart(4, '0')}-${'X'.repeat(55)}`, quantity: 1, unitPrice: 100_000 }));
/** Before the policy, ten such streams took the server from 127 to 344 MiB. */
const RSS_GROWTH_BOUND = 48 * 1024 * 1024;
/** V8's old space capped so that garbage does not pile up before a major GC and pass for held memory. */
const HEAP_CAP_MIB = 256;

/** An event-stream client at the TCP level that reads the response head and then stops reading. */
function stalledStream(port: number): Promise<{ socket: Socket; head: string }> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1', () => socket.write(`GET /events?topic=orders HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nAccept: text/event-stream\r\n\r\n`));
    let head = '';
    const onData = (chunk: Buffer) => {
      head += chunk.toString('latin1');
      if (head.includes('\r\n\r\n') && head.includes('retry:')) {
        socket.off('data', onData);
        socket.pause();
        resolve({ socket, head });
      }
    };
    socket.on('data', onData);
    socket.on('error', reject);
  });
}

/** Resumes reading and resolves true when the server has ended the stream (within `ms`). */
function endedByServer(socket: Socket, ms: number): Promise<boolean> {
  return new Promise((resolve) => {
    if (socket.destroyed || socket.readableEnded) return resolve(true);
    const timer = setTimeout(() => resolve(false), ms);
    const done = () => {
      clearTimeout(timer);
      resolve(true);
    };
    socket.once('end', done);
    socket.once('close', done);
    socket.on('data', () => {});
    socket.resume();
  });
}

async function createOrders(base: string, customerId: number, count: number): Promise<void> {
  for (let i = 0; i < count; i += 4) {
    await Promise.all(
      Array.from({ length: Math.min(4, count - i) }, async () => {
        const res = await fetch(`${base}/customers/${customerId}/orders`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ items: ITEMS }) });
        assert.equal(res.status, 201);
        await res.arrayBuffer();
      }),
    );
  }
}

test('SSE clients that stop reading › are ended, and the server\'s memory stays bounded while large changes go past them', { timeout: 240_000, skip: MEMORY_SKIP }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'boutique-sse-slow-'));
  const server = await startServerProcess({ DATABASE_URL: `sqlite:${join(dir, 'shop.db')}`, WS_SEND_BUFFER_MAX: String(SEND_BUFFER_MAX), LOG_LEVEL: 'info', NODE_OPTIONS: `--max-old-space-size=${HEAP_CAP_MIB}` });
  try {
    const port = Number(new URL(server.url).port);
    const customer = await (await fetch(`${server.url}/customers`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ name: 'Big Buyer', email: 'big.buyer@example.org' }) })).json() as { id: number };
    // Warm-up with the same load and no stalled stream: the JIT, the heap grown to what this
    // load's garbage needs, the bus's resume log holding orders this size.
    await createOrders(server.url, customer.id, ORDERS);
    const baseline = rssOf(server.child.pid!)!;

    const streams = await Promise.all(Array.from({ length: STREAMS }, () => stalledStream(port)));
    for (const { head } of streams) assert.match(head, /^HTTP\/1\.1 200 /);
    let peak = baseline;
    const sampler = setInterval(() => (peak = Math.max(peak, rssOf(server.child.pid!) ?? 0)), 50);
    try {
      await createOrders(server.url, customer.id, ORDERS);
    } finally {
      clearInterval(sampler);
    }
    peak = Math.max(peak, rssOf(server.child.pid!)!);
    const growth = peak - baseline;
    console.log(`server RSS ${mib(baseline)} → peak ${mib(peak)} (+${mib(growth)}) with ${STREAMS} stalled streams and ${ORDERS} orders of ~55 KB`);
    assert.ok(growth < RSS_GROWTH_BOUND, `RSS grew ${mib(growth)}, bound ${mib(RSS_GROWTH_BOUND)}`);

    const ended = await Promise.all(streams.map(({ socket }) => endedByServer(socket, 10_000)));
    assert.deepEqual(ended, Array(STREAMS).fill(true), 'every stalled stream was ended by the server');
    const metrics = await (await fetch(`${server.url}/metrics`)).text();
    assert.match(metrics, new RegExp(`^boutique_sse_dropped_streams_total\\{reason="slow_reader"\\} ${STREAMS}$`, 'm'));
    // The server still serves, and a reading stream still gets events.
    assert.equal((await fetch(`${server.url}/customers/${customer.id}`)).status, 200);
  } finally {
    server.child.kill('SIGKILL');
    await server.exited;
    rmSync(dir, { recursive: true, force: true });
  }
});
