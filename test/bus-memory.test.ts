import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MemoryBus } from '../src/bus/memory-bus.js';
import { busContract } from './bus-contract.js';

busContract('in-process', async () => new MemoryBus());

test('in-process bus › the resume log keeps the newest messages within its count and its byte budget', async () => {
  const byCount = new MemoryBus(5);
  for (let i = 0; i < 12; i++) await byCount.publish('a', 'y');
  assert.deepEqual((await byCount.since('a', 0, 100)).map((m) => m.seq), [8, 9, 10, 11, 12]);
  assert.deepEqual((await byCount.since('a', 10, 100)).map((m) => m.seq), [11, 12]);

  // 10 characters are 20 bytes in memory: a 100-byte budget keeps the last 5 of any channel.
  const byBytes = new MemoryBus(1000, 100);
  for (let i = 1; i <= 12; i++) await byBytes.publish(i % 2 ? 'odd' : 'even', 'x'.repeat(10));
  assert.deepEqual((await byBytes.since('odd', 0, 100)).map((m) => m.seq), [9, 11]);
  assert.deepEqual((await byBytes.since('even', 0, 100)).map((m) => m.seq), [8, 10, 12]);
});
