/**
 * On PostgreSQL the representation caches answer repeated reads too (src/http/data-clock.ts),
 * and stay exact across instances: a read takes a fence (the change log's head, read after the
 * request arrived) and is served from the cache only once this instance's live tail has
 * delivered every change up to it. Two instances here share one database and no bus at all, so
 * B hears of A's writes only through that fence — the worst case for a cache.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { buildApp, type App } from '../src/app.js';
import { testConfig } from '../src/config.js';
import { buildCustomer, buildOrder } from './helpers.js';
import { createTestDatabase, eventually, needServices, type TestDatabase } from './services.js';

const skip = await needServices('postgres');
let database: TestDatabase | undefined;
let a: App;
let b: App;

before(async () => {
  if (skip) return;
  database = await createTestDatabase();
  a = await buildApp(testConfig({ databaseUrl: database.url, instanceId: 'A' }));
  b = await buildApp(testConfig({ databaseUrl: database.url, instanceId: 'B' }));
});

after(async () => {
  await Promise.allSettled([a?.close(), b?.close()]);
  await database?.drop();
});

/** Every query B's store ran so far (the fence included), from its /metrics. */
async function queriesOn(app: App): Promise<number> {
  const text = (await app.inject({ method: 'GET', url: '/metrics' })).body;
  return [...text.matchAll(/^boutique_db_query_duration_seconds_count\{[^}]*\} (\d+)$/gm)].reduce((sum, m) => sum + Number(m[1]), 0);
}

describe('PostgreSQL: cached reads, fresh across instances', { skip }, () => {
  test('a customer read again and again on B is answered from the cache: one query for it, plus one small fence per read', async () => {
    const created = await a.inject({ method: 'POST', url: '/customers', payload: buildCustomer() });
    assert.equal(created.statusCode, 201);
    const url = `/customers/${created.json<{ id: number }>().id}`;
    // B's first read finds its tail behind the head (it has no bus to hear A on) and has it read the log.
    assert.equal((await b.inject({ method: 'GET', url })).statusCode, 200);
    await eventually(() => b.services.tail.position >= Number(created.headers['boutique-log-position']), 5000, "B's tail reading A's create from the log");
    const first = await b.inject({ method: 'GET', url });
    assert.equal(first.statusCode, 200);
    const before = await queriesOn(b);
    for (let i = 0; i < 10; i++) {
      const again = await b.inject({ method: 'GET', url });
      assert.equal(again.statusCode, 200);
      assert.equal(again.body, first.body);
      assert.equal(again.headers.etag, first.headers.etag);
      assert.equal(again.headers['boutique-log-position'], first.headers['boutique-log-position']);
    }
    // The /metrics read itself is not a query; ten fences, and no read of the customer.
    assert.equal((await queriesOn(b)) - before, 10);
  });

  test('a PATCH on A is in the very next GET on B, whose cache held the old representation (twenty times in a row)', async () => {
    const created = await a.inject({ method: 'POST', url: '/customers', payload: buildCustomer() });
    const url = `/customers/${created.json<{ id: number }>().id}`;
    for (let i = 0; i < 20; i++) {
      const cached = await b.inject({ method: 'GET', url });
      await b.inject({ method: 'GET', url });
      const patched = await a.inject({ method: 'PATCH', url, payload: { name: `Name ${i}` } });
      assert.equal(patched.statusCode, 200);
      const read = await b.inject({ method: 'GET', url, headers: { 'if-none-match': cached.headers.etag as string } });
      assert.equal(read.statusCode, 200, `round ${i}: the old ETag no longer matches`);
      assert.equal(read.json<{ name: string }>().name, `Name ${i}`);
      assert.equal(read.headers.etag, patched.headers.etag);
      assert.ok(Number(read.headers['boutique-log-position']) >= Number(patched.headers['boutique-log-position']), `round ${i}: B's representation reflects A's write`);
    }
  });

  test('list pages and orders: a create and a delete on A are in the next list on B; HTML and CSV alike', async () => {
    const list = async (accept: string) => b.inject({ method: 'GET', url: '/customers?per_page=100', headers: { accept } });
    const total = async () => Number((await list('application/json')).headers['x-total-count']);
    const before = await total();
    await list('text/csv');
    const created = await a.inject({ method: 'POST', url: '/customers', payload: buildCustomer({ name: 'Listed Later' }) });
    const id = created.json<{ id: number }>().id;
    assert.equal(await total(), before + 1);
    assert.match((await list('text/csv')).body, /Listed Later/);

    const order = await a.inject({ method: 'POST', url: `/customers/${id}/orders`, payload: buildOrder() });
    assert.equal(order.statusCode, 201);
    const orderUrl = `/customers/${id}/orders/${order.json<{ id: number }>().id}`;
    assert.equal((await b.inject({ method: 'GET', url: orderUrl })).json<{ status: string }>().status, 'pending');
    assert.equal((await a.inject({ method: 'PATCH', url: orderUrl, payload: { status: 'paid' } })).statusCode, 200);
    assert.equal((await b.inject({ method: 'GET', url: orderUrl })).json<{ status: string }>().status, 'paid');
    assert.equal((await b.inject({ method: 'GET', url: `/customers/${id}/orders` })).json<unknown[]>().length, 1);

    assert.equal((await a.inject({ method: 'DELETE', url: `/customers/${id}` })).statusCode, 204);
    assert.equal((await b.inject({ method: 'GET', url: orderUrl })).statusCode, 404);
    assert.equal((await b.inject({ method: 'GET', url: `/customers/${id}` })).statusCode, 404);
    assert.equal(await total(), before);
  });

  test('concurrent reads on B while A writes: every read after a write\'s answer shows it', async () => {
    const created = await a.inject({ method: 'POST', url: '/customers', payload: buildCustomer() });
    const url = `/customers/${created.json<{ id: number }>().id}`;
    for (let i = 0; i < 10; i++) {
      // Reads in flight on B (some of them cached) while the write commits on A.
      const during = Array.from({ length: 20 }, () => b.inject({ method: 'GET', url }));
      const patched = await a.inject({ method: 'PATCH', url, payload: { name: `Concurrent ${i}` } });
      assert.equal(patched.statusCode, 200);
      const after = await Promise.all(Array.from({ length: 20 }, () => b.inject({ method: 'GET', url })));
      for (const read of after) assert.equal(read.json<{ name: string }>().name, `Concurrent ${i}`);
      for (const read of await Promise.all(during)) assert.equal(read.statusCode, 200);
    }
  });

  test('`boutique import` into the database (rows written without log entries) is in the next GET on B', async () => {
    const created = await a.inject({ method: 'POST', url: '/customers', payload: buildCustomer() });
    const customer = created.json<{ id: number; email: string; createdAt: string; updatedAt: string }>();
    const url = `/customers/${customer.id}`;
    await b.inject({ method: 'GET', url });
    await eventually(() => b.services.tail.position >= Number(created.headers['boutique-log-position']), 5000, "B's tail reading A's create from the log");
    await b.inject({ method: 'GET', url });
    const cached = await b.inject({ method: 'GET', url });
    assert.notEqual(cached.json<{ name: string }>().name, 'Imported Name');
    const dir = mkdtempSync(join(tmpdir(), 'boutique-import-'));
    try {
      const file = join(dir, 'shop.jsonl');
      writeFileSync(file, JSON.stringify({ type: 'customer', id: customer.id, name: 'Imported Name', email: customer.email, version: 7, createdAt: customer.createdAt, updatedAt: customer.updatedAt }) + '\n');
      const code = await new Promise<number>((resolve) =>
        execFile(process.execPath, ['--import', 'tsx', 'src/cli.ts', 'import', '--input', file, '--database-url', database!.url], { env: { ...process.env, LOG_LEVEL: 'warn' } }, (err) => resolve(err === null ? 0 : 1)),
      );
      assert.equal(code, 0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    const read = await b.inject({ method: 'GET', url });
    assert.equal(read.json<{ name: string }>().name, 'Imported Name');
    assert.notEqual(read.headers.etag, cached.headers.etag);
  });
});
