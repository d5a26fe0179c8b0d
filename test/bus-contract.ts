/**
 * The bus contract, run against every implementation: the in-process bus
 * (test/bus-memory.test.ts) and the Redis bus (test/bus-redis.test.ts). The bus only signals:
 * what must survive is in the change log, not here.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import type { Bus, BusMessage } from '../src/bus/bus.js';
import { eventually } from './services.js';

const channel = (): string => 'test:' + randomBytes(4).toString('hex');

/** Resolves once a subscription on `name` is in place: a probe sent on it comes back. */
export async function subscribed(bus: Bus, name: string, got: BusMessage[]): Promise<void> {
  await eventually(async () => {
    await bus.signal(name, 'probe');
    await new Promise((r) => setTimeout(r, 20));
    return got.some((m) => m.data === 'probe');
  }, 3000, `the subscription to ${name}`);
  got.length = 0;
}

export function busContract(label: string, open: () => Promise<Bus>, options: { skip?: string | false } = {}): void {
  if (options.skip) {
    test(`bus contract (${label})`, { skip: options.skip }, () => {});
    return;
  }
  describe(`bus contract (${label})`, () => {
    let bus: Bus;
    before(async () => {
      bus = await open();
    });
    after(async () => {
      await bus?.close();
    });

    test('ping › resolves', async () => {
      await bus.ping();
    });

    test('signal › delivers to every listener of the channel, in the order sent, and to no other channel', async () => {
      const a = channel();
      const b = channel();
      const got: BusMessage[] = [];
      const other: BusMessage[] = [];
      const stopA = bus.subscribe(a, (m) => got.push(m));
      const stopB = bus.subscribe(b, (m) => other.push(m));
      await subscribed(bus, a, got);
      await subscribed(bus, b, other);
      for (let i = 0; i < 20; i++) await bus.signal(a, `{"n":${i}}`);
      await eventually(() => got.length === 20, 2000, 'twenty messages');
      assert.deepEqual(got, Array.from({ length: 20 }, (_, i) => ({ channel: a, data: `{"n":${i}}` })));
      assert.deepEqual(other, []);
      stopA();
      stopB();
    });

    test('subscribe › the returned function stops delivery to that listener only', async () => {
      const a = channel();
      const first: BusMessage[] = [];
      const second: BusMessage[] = [];
      const stopFirst = bus.subscribe(a, (m) => first.push(m));
      const stopSecond = bus.subscribe(a, (m) => second.push(m));
      await subscribed(bus, a, second);
      stopFirst();
      first.length = 0;
      await bus.signal(a, '{}');
      await eventually(() => second.length === 1, 2000, 'delivery to the second listener');
      assert.deepEqual(second, [{ channel: a, data: '{}' }]);
      assert.deepEqual(first, []);
      stopSecond();
    });

    test('presence › claims are exclusive per owner, released by their owner only, listed in claim order, owners known', async () => {
      const set = 'set-' + randomBytes(4).toString('hex');
      const p = bus.presence;
      assert.equal(await p.claim(set, 'bob', 's1'), true);
      assert.equal(await p.claim(set, 'bob', 's2'), false);
      assert.equal(await p.claim(set, 'bob', 's1'), true);
      assert.equal(await p.claim(set, 'amy', 's2'), true);
      assert.deepEqual(await p.members(set), ['bob', 'amy']);
      assert.equal(await p.owner(set, 'bob'), 's1');
      assert.equal(await p.owner(set, 'nobody'), undefined);
      await p.release(set, 'bob', 's2');
      assert.deepEqual(await p.members(set), ['bob', 'amy']);
      await p.release(set, 'bob', 's1');
      assert.deepEqual(await p.members(set), ['amy']);
      assert.equal(await p.claim(set, 'bob', 's2'), true);
      assert.deepEqual(await p.members(set), ['amy', 'bob']);
      assert.equal(await p.owner(set, 'bob'), 's2');
      const stop = p.watch(set, () => {});
      stop();
    });
  });
}
