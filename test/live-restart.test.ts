import { test } from 'node:test';
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import http from 'node:http';
import { buildTestApp, buildCustomer, listen, tempDatabaseUrl } from './helpers.js';

/** Opens /events, waits for `count` events, and returns their ids and data. */
function collect(url: string, count: number, headers: Record<string, string> = {}, onOpen: () => Promise<unknown> = async () => {}) {
  return new Promise<{ id: number; action: string; name: string }[]>((resolve, reject) => {
    const events: { id: number; action: string; name: string }[] = [];
    const req = http.get(`${url}/events?topic=customers`, { headers }, (res) => {
      let buffer = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        if (buffer === '' && events.length === 0 && chunk.startsWith('retry:')) onOpen().catch(reject);
        buffer += chunk;
        let end;
        while ((end = buffer.indexOf('\n\n')) !== -1) {
          const block = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          const id = /^id: (\d+)$/m.exec(block)?.[1];
          const data = /^data: (.*)$/m.exec(block)?.[1];
          if (id && data) {
            const event = JSON.parse(data) as { action: string; data: { name: string } };
            events.push({ id: Number(id), action: event.action, name: event.data.name });
          }
          if (events.length >= count) {
            req.destroy();
            resolve(events);
          }
        }
      });
    });
    req.on('error', reject);
    setTimeout(() => reject(new Error(`only ${events.length} of ${count} events`)), 10_000).unref();
  });
}

test('GET /events › after a restart on the same database, event ids keep growing and a Last-Event-ID from before still gets every new event', async () => {
  const { url: databaseUrl, dir } = tempDatabaseUrl();
  try {
    const first = await buildTestApp({ databaseUrl });
    const base1 = await listen(first);
    const before = await collect(base1, 1, {}, () => fetch(`${base1}/customers`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(buildCustomer({ name: 'Before' })) }));
    await first.close();

    const second = await buildTestApp({ databaseUrl });
    const base2 = await listen(second);
    try {
      // An EventSource reconnecting after the restart sends the last id it saw.
      const after = await collect(base2, 2, { 'last-event-id': String(before[0]!.id) }, async () => {
        for (const name of ['After 1', 'After 2']) {
          await fetch(`${base2}/customers`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(buildCustomer({ name })) });
        }
      });
      assert.deepEqual(after.map((e) => e.name), ['After 1', 'After 2']);
      assert.ok(after[0]!.id > before[0]!.id, `ids went from ${before[0]!.id} to ${after[0]!.id}`);
    } finally {
      await second.close();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
