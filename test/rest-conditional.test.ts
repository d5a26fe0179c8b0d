import { test, before, after, describe } from 'node:test';
import assert from 'node:assert/strict';
import type { App } from '../src/app.js';
import { assertProblem, buildCustomer, buildTestApp, createCustomer, createOrder } from './helpers.js';

// Conditional requests (RFC 9110 §13): every representation has an ETag; If-None-Match saves a
// download (304), If-Match stops a lost update (412).
let app: App;
before(async () => {
  app = await buildTestApp();
});
after(() => app.close());

const etagOf = async (url: string, accept = 'application/json') => {
  const res = await app.inject({ method: 'GET', url, headers: { accept } });
  assert.equal(res.statusCode, 200);
  assert.match(res.headers.etag as string, /^"[^"]+"$/);
  return res.headers.etag as string;
};

describe('If-None-Match', () => {
  test('GET /customers/:id › with the current ETag is 304 with no body but the same ETag', async () => {
    const c = await createCustomer(app);
    const etag = await etagOf(`/customers/${c.id}`);
    const res = await app.inject({ method: 'GET', url: `/customers/${c.id}`, headers: { 'if-none-match': etag } });
    assert.equal(res.statusCode, 304);
    assert.equal(res.body, '');
    assert.equal(res.headers.etag, etag);
    assert.equal(res.headers.vary, 'Accept');
  });

  test('GET /customers/:id › after an update the old ETag no longer matches: 200 with a new ETag', async () => {
    const c = await createCustomer(app);
    const before = await etagOf(`/customers/${c.id}`);
    await app.inject({ method: 'PATCH', url: `/customers/${c.id}`, payload: { name: 'Changed' } });
    const res = await app.inject({ method: 'GET', url: `/customers/${c.id}`, headers: { 'if-none-match': before } });
    assert.equal(res.statusCode, 200);
    assert.notEqual(res.headers.etag, before);
  });

  test('GET /customers/:id › the JSON ETag does not validate the HTML representation', async () => {
    const c = await createCustomer(app);
    const json = await etagOf(`/customers/${c.id}`);
    const res = await app.inject({ method: 'GET', url: `/customers/${c.id}`, headers: { accept: 'text/html', 'if-none-match': json } });
    assert.equal(res.statusCode, 200);
    assert.equal(res.headers['content-type'], 'text/html; charset=utf-8');
  });

  test('GET /customers/:id › a weak or listed ETag matches too (weak comparison)', async () => {
    const c = await createCustomer(app);
    const etag = await etagOf(`/customers/${c.id}`);
    assert.equal((await app.inject({ method: 'GET', url: `/customers/${c.id}`, headers: { 'if-none-match': `"other", W/${etag}` } })).statusCode, 304);
  });

  test('GET /customers/:id/orders/:orderId › 304 with the current ETag', async () => {
    const c = await createCustomer(app);
    const o = await createOrder(app, c.id);
    const url = `/customers/${c.id}/orders/${o.id}`;
    assert.equal((await app.inject({ method: 'GET', url, headers: { 'if-none-match': await etagOf(url) } })).statusCode, 304);
  });

  test('GET /customers › a list has an ETag and answers 304 while it is unchanged', async () => {
    await createCustomer(app);
    const etag = await etagOf('/customers');
    const res = await app.inject({ method: 'GET', url: '/customers', headers: { 'if-none-match': etag } });
    assert.equal(res.statusCode, 304);
    assert.equal(res.body, '');
    await createCustomer(app);
    assert.equal((await app.inject({ method: 'GET', url: '/customers', headers: { 'if-none-match': etag } })).statusCode, 200);
  });

  test('GET /customers?per_page=1 › a new customer on a later page changes the ETag: X-Total-Count and Link are part of the answer', async () => {
    const local = await buildTestApp();
    try {
      await createCustomer(local);
      const first = await local.inject({ method: 'GET', url: '/customers?per_page=1' });
      await createCustomer(local);
      const res = await local.inject({ method: 'GET', url: '/customers?per_page=1', headers: { 'if-none-match': first.headers.etag as string } });
      assert.equal(res.statusCode, 200, 'the page holds the same customer, but the total went from 1 to 2');
      assert.equal(res.headers['x-total-count'], '2');
      assert.notEqual(res.headers.etag, first.headers.etag);
    } finally {
      await local.close();
    }
  });

  test('GET /orders › each list representation has its own ETag, and 304 in text/csv', async () => {
    const c = await createCustomer(app);
    await createOrder(app, c.id);
    const json = await etagOf('/orders');
    const csv = await etagOf('/orders', 'text/csv');
    assert.notEqual(json, csv);
    assert.equal((await app.inject({ method: 'GET', url: '/orders', headers: { accept: 'text/csv', 'if-none-match': csv } })).statusCode, 304);
  });
});

describe('If-Match', () => {
  test('PUT /customers/:id › with a stale ETag is 412 and changes nothing', async () => {
    const c = await createCustomer(app);
    const stale = await etagOf(`/customers/${c.id}`);
    await app.inject({ method: 'PATCH', url: `/customers/${c.id}`, payload: { name: 'Someone else' } });
    const res = await app.inject({ method: 'PUT', url: `/customers/${c.id}`, headers: { 'if-match': stale }, payload: buildCustomer({ name: 'Mine' }) });
    const problem = assertProblem(res, 412);
    assert.equal(problem.type, '/problems/precondition-failed');
    assert.equal((await app.inject({ method: 'GET', url: `/customers/${c.id}` })).json().name, 'Someone else');
  });

  test('PUT /customers/:id › with the current ETag succeeds and returns the next ETag', async () => {
    const c = await createCustomer(app);
    const current = await etagOf(`/customers/${c.id}`);
    const res = await app.inject({ method: 'PUT', url: `/customers/${c.id}`, headers: { 'if-match': current }, payload: buildCustomer({ name: 'Mine' }) });
    assert.equal(res.statusCode, 200);
    assert.notEqual(res.headers.etag, current);
    assert.equal(res.headers.etag, await etagOf(`/customers/${c.id}`));
  });

  test('PATCH /customers/:id › an ETag taken from the HTML page works for If-Match as well', async () => {
    const c = await createCustomer(app);
    const html = await etagOf(`/customers/${c.id}`, 'text/html');
    const res = await app.inject({ method: 'PATCH', url: `/customers/${c.id}`, headers: { 'if-match': html }, payload: { name: 'From the page' } });
    assert.equal(res.statusCode, 200);
  });

  test('PATCH /customers/:id › stale If-Match is 412; If-Match: * succeeds for an existing customer', async () => {
    const c = await createCustomer(app);
    assertProblem(await app.inject({ method: 'PATCH', url: `/customers/${c.id}`, headers: { 'if-match': '"c1-999j"' }, payload: { name: 'x' } }), 412);
    const star = await app.inject({ method: 'PATCH', url: `/customers/${c.id}`, headers: { 'if-match': '*' }, payload: { name: 'Starred' } });
    assert.equal(star.statusCode, 200);
    assert.equal(star.json().name, 'Starred');
  });

  test('PATCH /customers/:id › a weak ETag never satisfies If-Match (strong comparison)', async () => {
    const c = await createCustomer(app);
    const etag = await etagOf(`/customers/${c.id}`);
    assertProblem(await app.inject({ method: 'PATCH', url: `/customers/${c.id}`, headers: { 'if-match': `W/${etag}` }, payload: { name: 'x' } }), 412);
  });

  test('DELETE /customers/:id › stale If-Match is 412 and the customer stays; current If-Match deletes', async () => {
    const c = await createCustomer(app);
    const stale = await etagOf(`/customers/${c.id}`);
    await app.inject({ method: 'PATCH', url: `/customers/${c.id}`, payload: { name: 'Moved on' } });
    assertProblem(await app.inject({ method: 'DELETE', url: `/customers/${c.id}`, headers: { 'if-match': stale } }), 412);
    assert.equal((await app.inject({ method: 'GET', url: `/customers/${c.id}` })).statusCode, 200);
    const current = await etagOf(`/customers/${c.id}`);
    assert.equal((await app.inject({ method: 'DELETE', url: `/customers/${c.id}`, headers: { 'if-match': current } })).statusCode, 204);
  });

  test('DELETE /customers/:id › If-Match: * on a customer that does not exist is 404', async () => {
    assertProblem(await app.inject({ method: 'DELETE', url: '/customers/999999', headers: { 'if-match': '*' } }), 404);
  });

  test('PATCH and DELETE an order › 412 when stale, success when current or *', async () => {
    const c = await createCustomer(app);
    const o = await createOrder(app, c.id);
    const url = `/customers/${c.id}/orders/${o.id}`;
    const stale = await etagOf(url);
    assert.equal((await app.inject({ method: 'PATCH', url, headers: { 'if-match': stale }, payload: { status: 'paid' } })).statusCode, 200);
    assertProblem(await app.inject({ method: 'PATCH', url, headers: { 'if-match': stale }, payload: { status: 'shipped' } }), 412);
    assertProblem(await app.inject({ method: 'PUT', url, headers: { 'if-match': stale }, payload: { items: o.items } }), 412);
    assertProblem(await app.inject({ method: 'DELETE', url, headers: { 'if-match': stale } }), 412);
    assert.equal((await app.inject({ method: 'PATCH', url, headers: { 'if-match': '*' }, payload: { status: 'shipped' } })).statusCode, 200);
    assert.equal((await app.inject({ method: 'DELETE', url, headers: { 'if-match': await etagOf(url) } })).statusCode, 204);
  });
});
