/**
 * The Redis bus against a real Redis (TEST_REDIS_URL): the bus contract, two instances sharing
 * one prefix, presence expiry of an instance cut off, and recovery when Redis comes back.
 */
import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import { RedisBus } from '../src/bus/redis-bus.js';
import type { BusMessage } from '../src/bus/bus.js';
import { UnavailableError } from '../src/errors.js';
import { busContract, subscribed } from './bus-contract.js';
import { TEST_REDIS_URL, createTestRedisPrefix, eventually, needServices, startTcpProxy, viaProxy } from './services.js';

const skip = await needServices('redis');
const keys = createTestRedisPrefix();
const buses: RedisBus[] = [];
const connect = async (name: string, url = TEST_REDIS_URL, extra: Parameters<typeof RedisBus.connect>[2] = {}) => {
  const bus = await RedisBus.connect(url, name, { prefix: keys.prefix, ...extra });
  buses.push(bus);
  return bus;
};

after(async () => {
  await Promise.allSettled(buses.map((b) => b.close()));
  if (!skip) await keys.clean();
});

busContract('Redis', () => connect('contract'), { skip });

describe('RedisBus across instances', { skip }, () => {
  test('signals from two instances reach both, each sender\'s in the order it sent them', async () => {
    const a = await connect('a');
    const b = await connect('b');
    const gotA: BusMessage[] = [];
    const gotB: BusMessage[] = [];
    a.subscribe('room', (m) => gotA.push(m));
    b.subscribe('room', (m) => gotB.push(m));
    await subscribed(a, 'room', gotA);
    await subscribed(b, 'room', gotB);
    gotA.length = 0;
    gotB.length = 0;
    for (let i = 0; i < 40; i++) await (i % 2 ? a : b).signal('room', `{"i":${i}}`);
    await eventually(() => gotA.length === 40 && gotB.length === 40, 3000, 'forty messages on each instance');
    const sent = Array.from({ length: 40 }, (_, i) => ({ channel: 'room', data: `{"i":${i}}` }));
    assert.deepEqual(gotA, sent);
    assert.deepEqual(gotB, sent);
  });

  test('a name claimed on one instance is refused to another owner on the other', async () => {
    const a = await connect('a2');
    const b = await connect('b2');
    assert.equal(await a.presence.claim('names', 'zoe', 'session-a'), true);
    assert.equal(await b.presence.claim('names', 'zoe', 'session-b'), false);
    assert.deepEqual(await b.presence.members('names'), ['zoe']);
    assert.equal(await b.presence.owner('names', 'zoe'), 'session-a');
  });

  test('an instance cut off from Redis: signal and ping reject 503, its members expire on the others, and it all comes back', async () => {
    const proxy = await startTcpProxy(TEST_REDIS_URL);
    try {
      const doomed = await connect('doomed', viaProxy(TEST_REDIS_URL, proxy), { heartbeatMs: 100, presenceTtlMs: 600 });
      const other = await connect('other', TEST_REDIS_URL, { heartbeatMs: 100, presenceTtlMs: 600 });
      const got: BusMessage[] = [];
      doomed.subscribe('after-cut', (m) => got.push(m));
      await subscribed(other, 'after-cut', got);
      assert.equal(await doomed.presence.claim('online', 'ann', 's-ann'), true);
      assert.equal(await other.presence.claim('online', 'ben', 's-ben'), true);
      let changes = 0;
      other.presence.watch('online', () => changes++);

      proxy.cut();
      await assert.rejects(doomed.signal('x', '{}'), UnavailableError);
      await assert.rejects(doomed.ping(), UnavailableError);
      const cutAt = Date.now();
      await eventually(async () => (await other.presence.members('online')).join() === 'ben', 3000, 'ann to expire');
      await eventually(() => changes >= 1, 1000, 'the watcher to hear of it');
      assert.ok(Date.now() - cutAt < 600 + 2 * 100 + 500, 'expired within TTL + two heartbeats');

      proxy.restore();
      await eventually(async () => (await doomed.ping().then(() => true, () => false)), 5000, 'the cut-off instance to recover');
      await eventually(async () => (await other.presence.members('online')).sort().join() === 'ann,ben', 3000, 'ann to be restored');
      // Resubscribed: signals reach it again. (What it missed meanwhile lives in the change log, not here.)
      await eventually(async () => {
        await other.signal('after-cut', '{"after":"return"}');
        await new Promise((r) => setTimeout(r, 50));
        return got.some((m) => m.data === '{"after":"return"}');
      }, 5000, 'live delivery after resubscribe');
    } finally {
      await proxy.close();
    }
  });

  test('a release made while Redis is away does not fail, and is made once Redis answers: watchers hear of it; a member another instance took over meanwhile stays', async () => {
    const proxy = await startTcpProxy(TEST_REDIS_URL);
    try {
      // A TTL long enough that the cut-off instance is not reaped: Redis keeps its members.
      const away = await connect('away', viaProxy(TEST_REDIS_URL, proxy), { heartbeatMs: 100, presenceTtlMs: 30_000 });
      const other = await connect('other2', TEST_REDIS_URL, { heartbeatMs: 100, presenceTtlMs: 30_000 });
      assert.equal(await away.presence.claim('here', 'cal', 's-cal'), true);
      assert.equal(await away.presence.claim('here', 'dee', 's-dee'), true);
      let changes = 0;
      other.presence.watch('here', () => changes++);

      proxy.cut();
      await assert.rejects(away.ping(), UnavailableError);
      await away.presence.release('here', 'cal', 's-cal');
      await away.presence.release('here', 'dee', 's-dee');
      // The session of dee resumed on the other instance while this one was cut off.
      assert.equal(await other.presence.claim('here', 'dee', 's-dee'), true);
      assert.deepEqual((await other.presence.members('here')).sort(), ['cal', 'dee']);

      proxy.restore();
      await eventually(async () => (await other.presence.members('here')).join() === 'dee', 5000, 'cal to be released');
      await eventually(() => changes >= 1, 1000, 'the watcher to hear of it');
      await new Promise((r) => setTimeout(r, 300));
      assert.deepEqual(await other.presence.members('here'), ['dee']);
      assert.equal(await other.presence.owner('here', 'dee'), 's-dee');
    } finally {
      await proxy.close();
    }
  });
});
