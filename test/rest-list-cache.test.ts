import { test, before, after, describe } from 'node:test';
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import Database from 'better-sqlite3';
import type { App } from '../src/app.js';
import { buildTestApp, createCustomer, createOrder, tempDatabaseUrl } from './helpers.js';

// List pages are kept as served while the store reports no change (src/http/page-cache.ts). What
// a user must never see is a kept page after a change: every write through the API shows at once,
// and a write by another process on the same SQLite file shows within the poll interval.

const get = async (app: App, url: string, headers: Record<string, string> = {}) => {
  const res = await app.inject({ method: 'GET', url, headers });
  assert.equal(res.statusCode, 200, res.body);
  return res;
};

describe('list pages after writes through the API', () => {
  let app: App;
  before(async () => {
    app = await buildTestApp();
    for (let i = 0; i < 3; i++) await createCustomer(app);
  });
  after(() => app.close());

  test('GET /customers twice › the same body and ETag; the second with If-None-Match is a 304', async () => {
    const a = await get(app, '/customers?per_page=2');
    const b = await get(app, '/customers?per_page=2');
    assert.equal(b.body, a.body);
    assert.equal(b.headers.etag, a.headers.etag);
    assert.equal(b.headers.link, a.headers.link);
    const c = await app.inject({ method: 'GET', url: '/customers?per_page=2', headers: { 'if-none-match': String(a.headers.etag) } });
    assert.equal(c.statusCode, 304);
  });

  test('POST then GET /customers › the new customer, the new total and the new last link at once', async () => {
    const before = await get(app, '/customers?per_page=2');
    const total = Number(before.headers['x-total-count']);
    const created = await createCustomer(app);
    const after = await get(app, '/customers?per_page=2');
    assert.equal(after.headers['x-total-count'], String(total + 1));
    assert.notEqual(after.headers.etag, before.headers.etag);
    assert.match(String(after.headers.link), new RegExp(`[?&]page=${Math.ceil((total + 1) / 2)}>; rel="last"`));
    const last = await get(app, `/customers?page=${Math.ceil((total + 1) / 2)}&per_page=2`);
    assert.ok(last.json().some((c: { id: number }) => c.id === created.id));
  });

  test('PATCH then GET /customers › the new name; DELETE then GET › gone', async () => {
    const c = await createCustomer(app);
    await get(app, '/customers?per_page=100');
    const patched = await app.inject({ method: 'PATCH', url: `/customers/${c.id}`, payload: { name: 'Renamed Person' } });
    assert.equal(patched.statusCode, 200);
    const listed = (await get(app, '/customers?per_page=100')).json().find((x: { id: number }) => x.id === c.id);
    assert.equal(listed.name, 'Renamed Person');
    assert.equal((await app.inject({ method: 'DELETE', url: `/customers/${c.id}` })).statusCode, 204);
    assert.ok(!(await get(app, '/customers?per_page=100')).json().some((x: { id: number }) => x.id === c.id));
  });

  test('GET /customers as HTML and as CSV after a write › both show it (every representation of a page is rebuilt)', async () => {
    await get(app, '/customers?per_page=100', { accept: 'text/html' });
    await get(app, '/customers?per_page=100', { accept: 'text/csv' });
    const c = await createCustomer(app, { name: 'Zelda Fresh' });
    assert.match((await get(app, '/customers?per_page=100', { accept: 'text/html' })).body, /Zelda Fresh/);
    assert.match((await get(app, '/customers?per_page=100', { accept: 'text/csv' })).body, new RegExp(`^${c.id},Zelda Fresh,`, 'm'));
  });

  test('orders › a new order and a status change show in /orders and /customers/{id}/orders at once', async () => {
    const c = await createCustomer(app);
    await get(app, '/orders?per_page=100');
    await get(app, `/customers/${c.id}/orders`);
    const order = await createOrder(app, c.id);
    assert.ok((await get(app, '/orders?per_page=100')).json().some((o: { id: number }) => o.id === order.id));
    assert.deepEqual((await get(app, `/customers/${c.id}/orders`)).json().map((o: { id: number }) => o.id), [order.id]);
    const paid = await app.inject({ method: 'PATCH', url: `/customers/${c.id}/orders/${order.id}`, payload: { status: 'paid' } });
    assert.equal(paid.statusCode, 200, paid.body);
    assert.equal((await get(app, `/customers/${c.id}/orders?status=paid`)).json().length, 1);
    assert.equal((await get(app, `/customers/${c.id}/orders`)).json()[0].status, 'paid');
  });

  test('deleting a customer › their orders leave /orders at once', async () => {
    const c = await createCustomer(app);
    const order = await createOrder(app, c.id);
    assert.ok((await get(app, '/orders?per_page=100')).json().some((o: { id: number }) => o.id === order.id));
    assert.equal((await app.inject({ method: 'DELETE', url: `/customers/${c.id}` })).statusCode, 204);
    assert.ok(!(await get(app, '/orders?per_page=100')).json().some((o: { id: number }) => o.id === order.id));
  });
});

describe('list pages after another process writes the SQLite file', () => {
  let app: App;
  const db = tempDatabaseUrl();
  before(async () => {
    app = await buildTestApp({ databaseUrl: db.url });
    await createCustomer(app);
  });
  after(async () => {
    await app.close();
    rmSync(db.dir, { recursive: true, force: true });
  });

  test('a row inserted by another connection (as `boutique import` would) › listed within a second', async () => {
    const first = await get(app, '/customers');
    assert.equal(first.headers['x-total-count'], '1');
    const other = new Database(db.path);
    const now = new Date().toISOString();
    other.prepare('insert into customers (name, email, email_key, version, created_at, updated_at) values (?, ?, ?, 1, ?, ?)').run('From Outside', 'outside@example.org', 'outside@example.org', now, now);
    other.close();
    // The server polls SQLite's data_version every 100 ms; give it ten times that.
    const deadline = Date.now() + 1000;
    let total = '1';
    while (Date.now() < deadline && total === '1') {
      await new Promise((r) => setTimeout(r, 20));
      total = String((await get(app, '/customers')).headers['x-total-count']);
    }
    assert.equal(total, '2');
    assert.ok((await get(app, '/customers')).json().some((c: { name: string }) => c.name === 'From Outside'));
  });
});
