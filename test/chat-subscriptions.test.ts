import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { startApp, TestClient } from './chat-helpers.js';

describe('socket subscriptions to REST changes', () => {
  it('acks subscribe, delivers created/updated/deleted events of REST writes with seq, and stops after unsubscribe', async () => {
    const running = await startApp();
    try {
      const c = await TestClient.connect(running.wsUrl);
      c.send({ type: 'subscribe', topic: 'customers' });
      assert.equal((await c.next('subscribed')).topic, 'customers');

      const created = await running.app.inject({ method: 'POST', url: '/customers', payload: { name: 'Scylla Buss', email: 'scylla@example.org' } });
      assert.equal(created.statusCode, 201);
      const body = created.json() as { id: number };
      const event = await c.next('event');
      assert.equal(event.topic, 'customers');
      assert.equal(event.action, 'created');
      assert.deepEqual(event.data, body, 'the same presented resource a GET returns');
      assert.equal(typeof event.seq, 'number');

      await running.app.inject({ method: 'PATCH', url: `/customers/${body.id}`, payload: { name: 'Scylla B.' } });
      const updated = await c.next('event');
      assert.equal(updated.action, 'updated');
      assert.ok((updated.seq as number) > (event.seq as number));
      await running.app.inject({ method: 'DELETE', url: `/customers/${body.id}` });
      assert.equal((await c.next('event')).action, 'deleted');

      c.send({ type: 'unsubscribe', topic: 'customers' });
      await c.next('unsubscribed');
      await running.app.inject({ method: 'POST', url: '/customers', payload: { name: 'After Unsubscribe', email: 'after.unsubscribe@example.org' } });
      assert.ok(!(await c.drain()).some((f) => f.type === 'event'));
      c.close();
    } finally {
      await running.close();
    }
  });

  it('answers a bad topic with a BAD_TOPIC error, not silence', async () => {
    const running = await startApp();
    try {
      const c = await TestClient.connect(running.wsUrl);
      c.send({ type: 'subscribe', topic: 'customers/abc' });
      const error = await c.next('error');
      assert.equal(error.code, 'BAD_TOPIC');
      c.send({ type: 'subscribe', topic: 'customers/7/orders' });
      assert.equal((await c.next('subscribed')).topic, 'customers/7/orders');
      c.close();
    } finally {
      await running.close();
    }
  });

  it('needs the API token when reads need it: in the subscribe message or at the handshake', async () => {
    const running = await startApp({ apiToken: 's3cret', readTokenRequired: true });
    try {
      const anon = await TestClient.connect(running.wsUrl);
      anon.send({ type: 'subscribe', topic: 'orders' });
      assert.equal((await anon.next('error')).code, 'UNAUTHORIZED');
      anon.send({ type: 'subscribe', topic: 'orders', token: 'wrong' });
      assert.equal((await anon.next('error')).code, 'UNAUTHORIZED');
      anon.send({ type: 'subscribe', topic: 'orders', token: 's3cret' });
      assert.equal((await anon.next('subscribed')).topic, 'orders');

      const viaQuery = await TestClient.connect(`${running.wsUrl}?token=s3cret`);
      viaQuery.send({ type: 'subscribe', topic: 'orders' });
      assert.equal((await viaQuery.next('subscribed')).topic, 'orders');

      const bad = new TestClient(`${running.wsUrl}?token=nope`);
      await assert.rejects(bad.opened, /401/);
      anon.close();
      viaQuery.close();
    } finally {
      await running.close();
    }
  });
});
