/**
 * Clients that must get a clear answer: real HTTP clients reading a 413, body-less requests that
 * still say `Content-Type: application/json`, Accept ranges with parameters, and browsers posting
 * forms (post/redirect/get).
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { App } from '../src/app.js';
import { assertProblem, buildTestApp, createCustomer, createOrder, listen } from './helpers.js';

describe('clients that send Content-Type: application/json on every request', () => {
  let app: App;
  let base: string;
  before(async () => {
    app = await buildTestApp();
    base = await listen(app);
  });
  after(() => app.close());

  it('DELETE without a body › accepted (204), from fetch and with Content-Length: 0', async () => {
    const json = { 'content-type': 'application/json' };
    const first = await createCustomer(app);
    const viaFetch = await fetch(`${base}/customers/${first.id}`, { method: 'DELETE', headers: json });
    assert.equal(viaFetch.status, 204);
    const second = await createCustomer(app);
    const order = await createOrder(app, second.id);
    const orderDelete = await app.inject({ method: 'DELETE', url: `/customers/${second.id}/orders/${order.id}`, headers: { ...json, 'content-length': '0' } });
    assert.equal(orderDelete.statusCode, 204);
    assert.equal((await app.inject({ method: 'DELETE', url: `/customers/${second.id}`, headers: json })).statusCode, 204);
  });

  it('OPTIONS without a body › 204 with Allow', async () => {
    const res = await app.inject({ method: 'OPTIONS', url: '/customers', headers: { 'content-type': 'application/json', 'content-length': '0' } });
    assert.equal(res.statusCode, 204);
    assert.match(String(res.headers.allow), /POST/);
  });

  it('POST, which takes a body › an empty one is still 400', async () => {
    assertProblem(await app.inject({ method: 'POST', url: '/customers', headers: { 'content-type': 'application/json', 'content-length': '0' } }), 400);
  });
});

describe('Accept with media-type parameters', () => {
  let app: App;
  before(async () => {
    app = await buildTestApp();
    await createCustomer(app);
  });
  after(() => app.close());

  it('Accept: application/json; charset=utf-8 › served JSON on lists and resources', async () => {
    for (const url of ['/customers', '/customers/1']) {
      const res = await app.inject({ url, headers: { accept: 'application/json; charset=utf-8' } });
      assert.equal(res.statusCode, 200, url);
      assert.equal(res.headers['content-type'], 'application/json; charset=utf-8');
      JSON.parse(res.body);
    }
  });

  it('other parameters (text/csv; header=present, text/html;level=1) › served that type; q still ranks them', async () => {
    const csv = await app.inject({ url: '/customers', headers: { accept: 'text/csv; header=present' } });
    assert.equal(csv.statusCode, 200);
    assert.match(String(csv.headers['content-type']), /^text\/csv/);
    const ranked = await app.inject({ url: '/customers/1', headers: { accept: 'text/html;level=1;q=0.5, text/plain; charset=utf-8' } });
    assert.match(String(ranked.headers['content-type']), /^text\/plain/);
  });

  it('a type that is not served › still 406, parameters or not', async () => {
    assertProblem(await app.inject({ url: '/customers', headers: { accept: 'text/css; charset=utf-8' } }), 406);
  });
});
