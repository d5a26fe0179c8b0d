import { test, before, after, describe } from 'node:test';
import assert from 'node:assert/strict';
import type { App } from '../src/app.js';
import { buildTestApp, createCustomer, createOrder } from './helpers.js';

// Single resources are kept as served until the change log says their row changed
// (src/http/item-cache.ts, src/http/data-clock.ts). What a user sees: a write shows at once in
// every representation of its row, and a write to one row does not cost the others a query.

/** Every query the store ran so far, from /metrics (reading /metrics runs none). */
async function queries(app: App): Promise<number> {
  const text = (await app.inject({ method: 'GET', url: '/metrics' })).body;
  return [...text.matchAll(/^boutique_db_query_duration_seconds_count\{[^}]*\} (\d+)$/gm)].reduce((sum, m) => sum + Number(m[1]), 0);
}

const get = (app: App, url: string, accept = 'application/json') => app.inject({ method: 'GET', url, headers: { accept } });

describe('single resources after writes through the API', () => {
  let app: App;
  before(async () => {
    app = await buildTestApp();
  });
  after(() => app.close());

  test('a write to one customer › the others are still answered without a query; the written one shows its change', async () => {
    const a = await createCustomer(app, { name: 'Ada' });
    const b = await createCustomer(app, { name: 'Bob' });
    const first = await get(app, `/customers/${a.id}`);
    await get(app, `/customers/${b.id}`);
    const patched = await app.inject({ method: 'PATCH', url: `/customers/${b.id}`, payload: { name: 'Bobby' } });
    assert.equal(patched.statusCode, 200);

    const before = await queries(app);
    const again = await get(app, `/customers/${a.id}`);
    assert.equal(again.body, first.body);
    assert.equal(again.headers.etag, first.headers.etag);
    assert.equal(await queries(app), before, 'the untouched customer came from the cache');

    const changed = await get(app, `/customers/${b.id}`);
    assert.equal(changed.json<{ name: string }>().name, 'Bobby');
    assert.equal(changed.headers.etag, patched.headers.etag);
    assert.equal(await queries(app), before + 1, 'the written customer was read again, once');
  });

  test('every representation of the written row is rebuilt: JSON, CSV, HTML, plain text, and the path with a query string', async () => {
    const c = await createCustomer(app, { name: 'Cleo' });
    const url = `/customers/${c.id}`;
    const kinds = ['application/json', 'text/csv', 'text/html', 'text/plain'];
    const seen = new Map<string, string>();
    for (const accept of kinds) seen.set(accept, (await get(app, url, accept)).body);
    const spelled = (await get(app, `${url}?view=again`)).body;
    assert.match(spelled, /Cleo/);
    assert.equal((await app.inject({ method: 'PUT', url, payload: { name: 'Clementine', email: c.email } })).statusCode, 200);
    for (const accept of kinds) {
      const body = (await get(app, url, accept)).body;
      assert.notEqual(body, seen.get(accept), `${accept} was rebuilt`);
      assert.match(body, /Clementine/, accept);
    }
    assert.match((await get(app, `${url}?view=again`)).body, /Clementine/);
  });

  test('orders › a status change shows at once; deleting the customer › its orders are gone (404), the cached ones too', async () => {
    const c = await createCustomer(app);
    const order = await createOrder(app, c.id);
    const url = `/customers/${c.id}/orders/${order.id}`;
    assert.equal((await get(app, url)).json<{ status: string }>().status, 'pending');
    await get(app, url, 'text/csv');
    assert.equal((await app.inject({ method: 'PATCH', url, payload: { status: 'paid' } })).statusCode, 200);
    assert.equal((await get(app, url)).json<{ status: string }>().status, 'paid');
    assert.match((await get(app, url, 'text/csv')).body, /paid/);

    assert.equal((await app.inject({ method: 'DELETE', url: `/customers/${c.id}` })).statusCode, 204);
    assert.equal((await get(app, url)).statusCode, 404);
    assert.equal((await get(app, url, 'text/csv')).statusCode, 404);
    assert.equal((await get(app, `/customers/${c.id}`)).statusCode, 404);
  });

  test('a failed write (412) changes nothing: the cached representation is still served, with its ETag', async () => {
    const d = await createCustomer(app, { name: 'Dora' });
    const url = `/customers/${d.id}`;
    const first = await get(app, url);
    const refused = await app.inject({ method: 'PATCH', url, headers: { 'if-match': '"stale"' }, payload: { name: 'Nope' } });
    assert.equal(refused.statusCode, 412);
    const again = await get(app, url);
    assert.equal(again.body, first.body);
    assert.equal(again.headers.etag, first.headers.etag);
  });
});
