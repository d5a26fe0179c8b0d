/**
 * The bus contract, run against every implementation (STYLE.md items 3 and 4): the in-process
 * bus (test/bus-memory.test.ts) and the Redis bus (test/bus-redis.test.ts).
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import type { Bus, BusMessage } from '../src/bus/bus.js';
import { eventually } from './services.js';

const channel = (): string => 'test:' + randomBytes(4).toString('hex');

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

    test('publish › assigns increasing seqs across channels and delivers them in order', async () => {
      const a = channel();
      const b = channel();
      const got: BusMessage[] = [];
      const stopA = bus.subscribe(a, (m) => got.push(m));
      const stopB = bus.subscribe(b, (m) => got.push(m));
      const start = await bus.lastSeq();
      const sent = [await bus.publish(a, '{"n":1}'), await bus.publish(b, '{"n":2}'), await bus.publish(a, '{"n":3}')];
      assert.deepEqual(sent.map((m) => m.seq), [start + 1, start + 2, start + 3]);
      await eventually(() => got.length === 3, 2000, 'three messages');
      assert.deepEqual(got, sent);
      assert.equal(await bus.lastSeq(), start + 3);
      stopA();
      stopB();
    });

    test('since › returns logged messages after a seq, oldest first, at most limit', async () => {
      const a = channel();
      const m1 = await bus.publish(a, '{"n":1}');
      await bus.publish(channel(), '{"other":true}');
      const m2 = await bus.publish(a, '{"n":2}');
      const m3 = await bus.publish(a, '{"n":3}');
      assert.deepEqual(await bus.since(a, 0, 10), [m1, m2, m3]);
      assert.deepEqual(await bus.since(a, m1.seq, 1), [m2]);
      assert.deepEqual(await bus.since(a, m3.seq, 10), []);
      assert.deepEqual(await bus.since(channel(), 0, 10), []);
    });

    test('signal › delivers with seq 0 and logs nothing', async () => {
      const a = channel();
      const got: BusMessage[] = [];
      const stop = bus.subscribe(a, (m) => got.push(m));
      await bus.lastSeq(); // subscriptions are in place once lastSeq answers
      const before = await bus.lastSeq();
      await bus.signal(a, 'ping');
      await eventually(() => got.length === 1, 2000, 'the signal');
      assert.deepEqual(got, [{ seq: 0, channel: a, data: 'ping' }]);
      assert.deepEqual(await bus.since(a, 0, 10), []);
      assert.equal(await bus.lastSeq(), before);
      stop();
    });

    test('subscribe › the returned function stops delivery to that listener only', async () => {
      const a = channel();
      const first: BusMessage[] = [];
      const second: BusMessage[] = [];
      const stopFirst = bus.subscribe(a, (m) => first.push(m));
      const stopSecond = bus.subscribe(a, (m) => second.push(m));
      await bus.lastSeq();
      stopFirst();
      const m = await bus.publish(a, '{}');
      await eventually(() => second.length === 1, 2000, 'delivery to the second listener');
      assert.deepEqual(second, [m]);
      assert.deepEqual(first, []);
      stopSecond();
    });

    test('presence › claims are exclusive per owner, released by their owner only, listed in claim order', async () => {
      const set = 'set-' + randomBytes(4).toString('hex');
      const p = bus.presence;
      assert.equal(await p.claim(set, 'bob', 's1'), true);
      assert.equal(await p.claim(set, 'bob', 's2'), false);
      assert.equal(await p.claim(set, 'bob', 's1'), true);
      assert.equal(await p.claim(set, 'amy', 's2'), true);
      assert.deepEqual(await p.members(set), ['bob', 'amy']);
      await p.release(set, 'bob', 's2');
      assert.deepEqual(await p.members(set), ['bob', 'amy']);
      await p.release(set, 'bob', 's1');
      assert.deepEqual(await p.members(set), ['amy']);
      assert.equal(await p.claim(set, 'bob', 's2'), true);
      assert.deepEqual(await p.members(set), ['amy', 'bob']);
      const stop = p.watch(set, () => {});
      stop();
    });
  });
}
