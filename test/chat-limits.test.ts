import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Socket } from 'node:net';
import { startApp, TestClient } from './chat-helpers.js';

describe('chat limits', () => {
  it('closes with 1009 a frame over WS_MAX_FRAME, and the server goes on', async () => {
    const running = await startApp({ wsMaxFrame: 1024 });
    try {
      const big = await TestClient.connect(running.wsUrl);
      big.send({ type: 'message', text: 'x'.repeat(2000) });
      assert.equal((await big.closed).code, 1009);
      const other = await TestClient.connect(running.wsUrl);
      other.send({ type: 'message', text: 'fine', date: 1 });
      assert.equal((await other.next('message')).text, 'fine');
      other.close();
    } finally {
      await running.close();
    }
  });

  it('closes a flooding socket with 1008 without cutting the others', async () => {
    const running = await startApp({ wsRateLimit: 5 });
    try {
      const flood = await TestClient.connect(running.wsUrl);
      const calm = await TestClient.connect(running.wsUrl);
      for (let i = 0; i < 50; i++) flood.send({ type: 'message', text: `spam ${i}`, date: 1 });
      assert.equal((await flood.closed).code, 1008);
      calm.send({ type: 'message', text: 'calm', date: 1 });
      let got = await calm.next('message');
      while (got.text !== 'calm') got = await calm.next('message');
      assert.equal(calm.ws.readyState, calm.ws.OPEN);
      calm.close();
    } finally {
      await running.close();
    }
  });

  it('drops a peer that stops answering pings, and keeps one that answers', async () => {
    const running = await startApp({ wsHeartbeatMs: 100 });
    try {
      const dead = await TestClient.open(running.wsUrl, 'json', { autoPong: false });
      const alive = await TestClient.open(running.wsUrl, 'json');
      const closed = await dead.closed;
      assert.equal(closed.code, 1006, 'terminated, no close frame');
      assert.equal(alive.ws.readyState, alive.ws.OPEN);
      alive.close();
    } finally {
      await running.close();
    }
  });

  it('cuts off a client that stops reading before its send buffer grows past WS_SEND_BUFFER_MAX', async () => {
    const running = await startApp({ wsSendBufferMax: 64 * 1024 });
    try {
      const slow = await TestClient.connect(running.wsUrl);
      const fast = await TestClient.connect(running.wsUrl);
      for (const c of [slow, fast]) {
        c.send({ type: 'subscribe', topic: 'orders' });
        await c.next('subscribed');
      }
      // Stop reading at the TCP level, as a stuck browser tab would (ws keeps the socket private).
      const tcp = (slow.ws as unknown as { _socket: Socket })._socket;
      tcp.pause();
      // An order with 300 lines: ~13 KB an event.
      const items = Array.from({ length: 300 }, (_, i) => ({ sku: `SKU-${i}`, quantity: 1, unitPrice: 100 }));
      const at = new Date().toISOString();
      const { writes, chat } = running.app.services;
      let sent = 0;
      while (chat.connections() === 2 && sent < 20_000) {
        // Large changes through the real write path: logged, committed, then fanned out.
        const id = sent + 1;
        const order = { id, customerId: 1, items, total: items.length * 100, status: 'pending', createdAt: at, updatedAt: at };
        await writes.write(async () => ({ value: undefined, changes: [{ resource: 'orders', action: 'created', data: order }] }));
        sent++;
        if (sent % 50 === 0) await new Promise((r) => setImmediate(r));
      }
      assert.equal(chat.connections(), 1, `the slow reader is cut off (after ${sent} events)`);
      tcp.resume();
      assert.equal((await slow.closed).code, 1006);
      assert.equal(fast.ws.readyState, fast.ws.OPEN, 'the reading client stays');
      fast.close();
    } finally {
      await running.close();
    }
  });

  it('closes every socket with 1001 when the app closes, and refuses new upgrades', async () => {
    const running = await startApp();
    const a = await TestClient.connect(running.wsUrl);
    const b = await TestClient.connect(running.wsUrl, 'protocolOne');
    await running.close();
    assert.deepEqual(await a.closed, { code: 1001, reason: 'Server shutting down.' });
    assert.equal((await b.closed).code, 1001);
  });
});
