import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import type { App } from '../src/app.js';
import { buildTestApp } from './helpers.js';

// The seed article's REST examples, verbatim (../shared/seed/000_dffd6fd38382f55d.txt).
let app: App;
before(async () => {
  app = await buildTestApp();
});
after(() => app.close());

test('GET /customers with Accept: application/json › 200 application/json', async () => {
  const res = await app.inject({ method: 'GET', url: '/customers', headers: { accept: 'application/json' } });
  assert.equal(res.statusCode, 200);
  assert.match(res.headers['content-type'] as string, /^application\/json/);
  assert.deepEqual(res.json(), []);
});

test('POST /customers with the wrapped body › 201 with the generated id, Location and Content-Type', async () => {
  const res = await app.inject({
    method: 'POST',
    url: '/customers',
    headers: { 'content-type': 'application/json' },
    payload: JSON.stringify({ customer: { name: 'Scylla Buss', email: 'scylla.buss@codecademy.org' } }),
  });
  assert.equal(res.statusCode, 201);
  assert.match(res.headers['content-type'] as string, /^application\/json/);
  const body = res.json();
  assert.equal(typeof body.id, 'number');
  assert.equal(res.headers.location, `/customers/${body.id}`);
  assert.equal(body.name, 'Scylla Buss');
  assert.equal(body.email, 'scylla.buss@codecademy.org');
});

test('PUT /customers/123 with the wrapped body › 200 with the new email; DELETE /customers/123 › 204 with no body', async () => {
  // Make customer 123 exist, as in the article.
  for (let i = 0; ; i++) {
    const res = await app.inject({ method: 'POST', url: '/customers', payload: { name: `Filler ${i}`, email: `filler${i}@example.org` } });
    if (res.json().id >= 123) break;
  }
  const put = await app.inject({
    method: 'PUT',
    url: '/customers/123',
    headers: { 'content-type': 'application/json' },
    payload: JSON.stringify({ customer: { name: 'Scylla Buss', email: 'scyllabuss1@codecademy.com' } }),
  });
  assert.equal(put.statusCode, 200);
  assert.equal(put.json().email, 'scyllabuss1@codecademy.com');
  assert.equal(put.json().id, 123);

  const del = await app.inject({ method: 'DELETE', url: '/customers/123' });
  assert.equal(del.statusCode, 204);
  assert.equal(del.body, '');
  assert.equal((await app.inject({ method: 'GET', url: '/customers/123' })).statusCode, 404);
});

test('GET /customers/223/orders/12 › the nested path answers (404 problem+json when absent)', async () => {
  const res = await app.inject({ method: 'GET', url: '/customers/223/orders/12' });
  assert.equal(res.statusCode, 404);
  assert.match(res.headers['content-type'] as string, /^application\/problem\+json/);
  assert.equal(res.json().status, 404);
});
