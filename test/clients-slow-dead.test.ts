/**
 * Slow and dead socket clients (issue 7 item 3): a client that stops reading is cut off while the
 * server's memory stays bounded (measured: the server runs as its own process), and a peer that
 * vanishes — its TCP connection cut without a close frame, or silent without answering pings —
 * leaves the user list.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Socket } from 'node:net';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startServerProcess } from './process.js';
import { startApp, TestClient } from './chat-helpers.js';
import { MEMORY_SKIP, mib, rssOf } from './memory.js';

const SEND_BUFFER_MAX = 256 * 1024;
const MESSAGE_BYTES = 4 * 1024;
/** The in-process bus keeps the last 20,000 messages for resume (src/bus/memory-bus.ts): fill it first, so what it holds is in the baseline. */
const RING = 20_000;
/** What the flood sends to the room: far more than the memory bound, so buffering it would show. */
const FLOOD_BYTES = 64 * 1024 * 1024;
const RSS_GROWTH_BOUND = 40 * 1024 * 1024;
const EXTERNAL_GROWTH_BOUND = 16 * 1024 * 1024;
/**
 * The server's V8 old space is capped: without a cap V8 lets garbage (here the bus's resume ring
 * turning over) pile up before a major GC and RSS climbs with the flood whatever the server keeps;
 * with it, RSS measures what is really held. Bytes queued for a socket are Buffers outside the cap,
 * so a server that kept the flood for the slow reader would still show it in RSS.
 */
const HEAP_CAP_MIB = 256;

/** Buffers outside the V8 heap — where bytes queued for a socket live — from the server's /metrics. */
async function external(base: string): Promise<number> {
  const text = await (await fetch(`${base}/metrics`)).text();
  return Number(/^nodejs_external_memory_bytes (\S+)$/m.exec(text)?.[1]);
}

const tcpOf = (c: TestClient): Socket => (c.ws as unknown as { _socket: Socket })._socket;

test('a client that stops reading › is cut off and leaves the user list while the server\'s memory stays bounded', { timeout: 120_000, skip: MEMORY_SKIP }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'boutique-slow-'));
  // History on disk, not in the measured memory.
  const server = await startServerProcess({ DATABASE_URL: `sqlite:${join(dir, 'chat.db')}`, WS_SEND_BUFFER_MAX: String(SEND_BUFFER_MAX), WS_RATE_LIMIT: '100000', WS_MAX_FRAME: String(4 * MESSAGE_BYTES), LOG_LEVEL: 'info', NODE_OPTIONS: `--max-old-space-size=${HEAP_CAP_MIB}` });
  try {
    const wsUrl = server.url.replace('http', 'ws') + '/socketserver';
    // Warm up before the baseline with the same flood read by everyone: the JIT, the heap grown to
    // what the flood's garbage needs, and the bus's resume ring full of messages this size. What
    // grows after that is what the slow reader costs. A client that counts its echoes instead of keeping them.
    const warmer = await TestClient.connect(wsUrl);
    await warmer.signIn('warmer');
    warmer.ws.removeAllListeners('message');
    let echoes = 0;
    warmer.ws.on('message', () => echoes++);
    const warm = JSON.stringify({ type: 'message', text: 'w'.repeat(MESSAGE_BYTES), date: 1 });
    for (let sent = 0; sent < RING + FLOOD_BYTES / MESSAGE_BYTES; sent += 250) {
      for (let i = 0; i < 250; i++) warmer.ws.send(warm);
      while (echoes < sent + 250) await new Promise((r) => setTimeout(r, 5));
    }
    warmer.close();
    const slow = await TestClient.connect(wsUrl);
    await slow.signIn('slow');
    const sender = await TestClient.connect(wsUrl);
    await sender.signIn('sender');
    await slow.drain(200);
    const baseline = rssOf(server.child.pid!)!;
    const baselineExternal = await external(server.url);
    let peakExternal = baselineExternal;

    tcpOf(slow).pause(); // stops reading at the TCP level, as a stuck tab would
    const text = 'x'.repeat(MESSAGE_BYTES);
    const total = FLOOD_BYTES / MESSAGE_BYTES;
    let peak = baseline;
    let cutAfter: number | undefined;
    for (let sent = 0; sent < total; ) {
      // Batches paced by the sender's own echoes: the sender reads, so only the slow reader lags.
      for (let i = 0; i < 100; i++, sent++) sender.send({ type: 'message', text, date: 1 });
      for (let i = 0; i < 100; i++) await sender.next('message', 10_000);
      peak = Math.max(peak, rssOf(server.child.pid!)!);
      peakExternal = Math.max(peakExternal, await external(server.url));
      if (cutAfter === undefined && sender.frames.some((f) => f.type === 'userlist' && Array.isArray(f.users) && !f.users.includes('slow'))) cutAfter = sent;
    }
    const growth = peak - baseline;
    console.log(`# slow reader: cut after ${cutAfter ?? 'never'} of ${total} messages of ${MESSAGE_BYTES} B (${mib(FLOOD_BYTES)} sent); server RSS ${mib(baseline)} → peak ${mib(peak)} (+${mib(growth)}, bound ${mib(RSS_GROWTH_BOUND)}); external buffers ${mib(baselineExternal)} → peak ${mib(peakExternal)}`);
    assert.ok(cutAfter !== undefined, 'the slow reader left the user list');
    assert.ok(peakExternal - baselineExternal < EXTERNAL_GROWTH_BOUND, `buffers outside the heap grew by ${mib(peakExternal - baselineExternal)}`);
    assert.ok(growth < RSS_GROWTH_BOUND, `server RSS grew by ${mib(growth)} while ${mib(FLOOD_BYTES)} went to a client that did not read`);
    tcpOf(slow).resume();
    assert.notEqual((await slow.closed).code, 1000, 'cut, not closed politely');
    // The server still serves.
    assert.equal((await fetch(`${server.url}/healthz`)).status, 200);
    sender.close();
  } finally {
    server.child.kill('SIGTERM');
    await server.exited;
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a peer whose TCP connection is cut without a close frame › leaves the user list', async () => {
  const running = await startApp({ wsHeartbeatMs: 200 });
  try {
    const observer = await TestClient.connect(running.wsUrl);
    await observer.signIn('observer');
    const ghost = await TestClient.connect(running.wsUrl);
    await ghost.signIn('ghost');
    tcpOf(ghost).destroy(); // no close frame
    for (;;) {
      const list = await observer.next('userlist', 5000);
      if (!(list.users as string[]).includes('ghost')) break;
    }
    assert.equal(running.app.services.chat.connections(), 1);
    observer.close();
  } finally {
    await running.close();
  }
});

test('a peer that goes silent (no pong, no close, the TCP connection still open) › is found by the heartbeat and leaves the user list', async () => {
  const HEARTBEAT_MS = 200;
  const running = await startApp({ wsHeartbeatMs: HEARTBEAT_MS });
  try {
    const observer = await TestClient.connect(running.wsUrl);
    await observer.signIn('observer');
    const ghost = await TestClient.connect(running.wsUrl);
    await ghost.signIn('ghost');
    // Paused: the kernel still acknowledges TCP, but the client never reads a ping, so never pongs.
    tcpOf(ghost).pause();
    const started = Date.now();
    for (;;) {
      const list = await observer.next('userlist', 20 * HEARTBEAT_MS);
      if (!(list.users as string[]).includes('ghost')) break;
    }
    console.log(`# dead peer: dropped by the heartbeat ${Date.now() - started} ms after it went silent (WS_HEARTBEAT_MS=${HEARTBEAT_MS})`);
    assert.equal(running.app.services.chat.connections(), 1);
    // The observer, which answers pings, is kept across many heartbeats.
    await new Promise((r) => setTimeout(r, 5 * HEARTBEAT_MS));
    assert.equal(observer.ws.readyState, observer.ws.OPEN);
    tcpOf(ghost).destroy();
    observer.close();
  } finally {
    await running.close();
  }
});
