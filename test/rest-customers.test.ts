import { test, before, after, describe } from 'node:test';
import assert from 'node:assert/strict';
import type { App } from '../src/app.js';
import { assertProblem, buildCustomer, buildTestApp, createCustomer } from './helpers.js';

// Customers: create, read, replace, merge-patch, delete; the body forms the API accepts; the
// status codes a client meets on the way (SPEC "HTTP: the REST API", issue 2 item 2).
let app: App;
before(async () => {
  app = await buildTestApp();
});
after(() => app.close());

describe('POST /customers', () => {
  test('POST /customers › creates from a bare JSON body: 201, Location, the stored customer with id and timestamps', async () => {
    const input = buildCustomer({ name: 'Ada Lovelace' });
    const res = await app.inject({ method: 'POST', url: '/customers', payload: input });
    assert.equal(res.statusCode, 201);
    assert.equal(res.headers['content-type'], 'application/json; charset=utf-8');
    const body = res.json();
    assert.equal(res.headers.location, `/customers/${body.id}`);
    assert.equal(body.name, 'Ada Lovelace');
    assert.equal(body.email, input.email);
    assert.match(body.createdAt, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/);
    assert.equal(body.updatedAt, body.createdAt);
    assert.ok(res.headers.etag, 'a 201 carries the ETag of what was created');
  });

  test('POST /customers › accepts the seed\'s wrapped body {"customer": {…}}', async () => {
    const input = buildCustomer();
    const res = await app.inject({ method: 'POST', url: '/customers', payload: { customer: input } });
    assert.equal(res.statusCode, 201);
    assert.equal(res.json().email, input.email);
  });

  test('POST /customers › creates from an HTML form (application/x-www-form-urlencoded)', async () => {
    const res = await app.inject({
      method: 'POST',
      url: '/customers',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      payload: 'name=Grace+Hopper&email=grace.hopper%40example.org',
    });
    assert.equal(res.statusCode, 201);
    assert.deepEqual({ name: res.json().name, email: res.json().email }, { name: 'Grace Hopper', email: 'grace.hopper@example.org' });
    const get = await app.inject({ method: 'GET', url: res.headers.location as string });
    assert.equal(get.json().name, 'Grace Hopper');
  });

  test('POST /customers › returns 409 problem+json for an email already in use, ignoring case', async () => {
    const existing = await createCustomer(app);
    const res = await app.inject({ method: 'POST', url: '/customers', payload: buildCustomer({ email: existing.email.toUpperCase() }) });
    const problem = assertProblem(res, 409);
    assert.equal(problem.type, '/problems/conflict');
    assert.deepEqual(problem.errors?.map((e) => e.field), ['email']);
  });

  test('POST /customers › returns 422 naming every bad field at once (empty name, bad email, unknown field)', async () => {
    const res = await app.inject({ method: 'POST', url: '/customers', payload: { name: '', email: 'not-an-email', nickname: 'x' } });
    const problem = assertProblem(res, 422);
    assert.equal(problem.type, '/problems/validation-failed');
    const fields = new Set(problem.errors?.map((e) => e.field));
    assert.deepEqual([...fields].sort(), ['email', 'name', 'nickname']);
    assert.ok(problem.errors?.some((e) => e.field === 'email' && e.message === 'must be a valid email address'));
    assert.ok(problem.errors?.some((e) => e.field === 'nickname' && e.message === 'is not a known field'));
  });

  test('POST /customers › returns 422 for a value of the wrong type and for a missing field', async () => {
    const res = await app.inject({ method: 'POST', url: '/customers', payload: { name: 42 } });
    const problem = assertProblem(res, 422);
    const byField = [...(problem.errors ?? [])].sort((a, b) => a.field.localeCompare(b.field));
    assert.deepEqual(byField, [
      { field: 'email', message: 'is required' },
      { field: 'name', message: 'must be string' },
    ]);
    assert.match(problem.detail, /name/);
    assert.match(problem.detail, /email/);
  });

  test('POST /customers › a name of only spaces is 422, and a name is stored trimmed', async () => {
    assertProblem(await app.inject({ method: 'POST', url: '/customers', payload: buildCustomer({ name: '   ' }) }), 422);
    const res = await app.inject({ method: 'POST', url: '/customers', payload: buildCustomer({ name: '  Trimmed  ' }) });
    assert.equal(res.json().name, 'Trimmed');
  });

  test('POST /customers › a name of 201 characters is 422; 200 is fine', async () => {
    assertProblem(await app.inject({ method: 'POST', url: '/customers', payload: buildCustomer({ name: 'x'.repeat(201) }) }), 422);
    assert.equal((await app.inject({ method: 'POST', url: '/customers', payload: buildCustomer({ name: 'x'.repeat(200) }) })).statusCode, 201);
  });
});

describe('GET /customers/:id', () => {
  test('GET /customers/:id › returns the customer as created', async () => {
    const created = await createCustomer(app);
    const res = await app.inject({ method: 'GET', url: `/customers/${created.id}` });
    assert.equal(res.statusCode, 200);
    assert.deepEqual(res.json(), created);
  });

  test('GET /customers/:id › returns 404 problem+json for an unknown id', async () => {
    const problem = assertProblem(await app.inject({ method: 'GET', url: '/customers/999999' }), 404);
    assert.equal(problem.type, '/problems/not-found');
    assert.equal(problem.instance, '/customers/999999');
  });

  test('GET /customers/:id › returns 404 for an id that is not a positive integer', async () => {
    assertProblem(await app.inject({ method: 'GET', url: '/customers/abc' }), 404);
    assertProblem(await app.inject({ method: 'GET', url: '/customers/0' }), 404);
  });
});

describe('PUT /customers/:id', () => {
  test('PUT /customers/:id › replaces name and email and bumps updatedAt, keeping id and createdAt', async () => {
    const created = await createCustomer(app);
    const input = buildCustomer({ name: 'Replaced' });
    const res = await app.inject({ method: 'PUT', url: `/customers/${created.id}`, payload: input });
    assert.equal(res.statusCode, 200);
    const body = res.json();
    assert.deepEqual({ id: body.id, name: body.name, email: body.email, createdAt: body.createdAt }, { id: created.id, name: 'Replaced', email: input.email, createdAt: created.createdAt });
    assert.ok(body.updatedAt >= created.updatedAt);
  });

  test('PUT /customers/:id › requires every field: a missing email is 422', async () => {
    const created = await createCustomer(app);
    const problem = assertProblem(await app.inject({ method: 'PUT', url: `/customers/${created.id}`, payload: { name: 'Only name' } }), 422);
    assert.deepEqual(problem.errors, [{ field: 'email', message: 'is required' }]);
  });

  test('PUT /customers/:id › returns 409 when the new email belongs to someone else, ignoring case', async () => {
    const a = await createCustomer(app);
    const b = await createCustomer(app);
    const res = await app.inject({ method: 'PUT', url: `/customers/${b.id}`, payload: { name: b.name, email: a.email.toUpperCase() } });
    assertProblem(res, 409);
  });

  test('PUT /customers/:id › changing only the case of one\'s own email is fine', async () => {
    const a = await createCustomer(app);
    const res = await app.inject({ method: 'PUT', url: `/customers/${a.id}`, payload: { name: a.name, email: a.email.toUpperCase() } });
    assert.equal(res.statusCode, 200);
    assert.equal(res.json().email, a.email.toUpperCase());
  });

  test('PUT /customers/:id › returns 404 for an unknown id', async () => {
    assertProblem(await app.inject({ method: 'PUT', url: '/customers/999999', payload: buildCustomer() }), 404);
  });

  test('PUT /customers/:id › ignores the read-only fields a client sends back from a GET', async () => {
    const created = await createCustomer(app);
    const res = await app.inject({ method: 'PUT', url: `/customers/${created.id}`, payload: { ...created, id: 5555, name: 'Round trip', createdAt: '2000-01-01T00:00:00.000Z' } });
    assert.equal(res.statusCode, 200);
    assert.equal(res.json().id, created.id);
    assert.equal(res.json().createdAt, created.createdAt);
  });
});

describe('PATCH /customers/:id', () => {
  test('PATCH /customers/:id › with application/json changes only the fields sent (merge semantics)', async () => {
    const created = await createCustomer(app, { name: 'Before' });
    const res = await app.inject({ method: 'PATCH', url: `/customers/${created.id}`, payload: { name: 'After' } });
    assert.equal(res.statusCode, 200);
    assert.equal(res.json().name, 'After');
    assert.equal(res.json().email, created.email);
  });

  test('PATCH /customers/:id › with application/merge-patch+json (RFC 7396) works the same', async () => {
    const created = await createCustomer(app);
    const email = buildCustomer().email;
    const res = await app.inject({
      method: 'PATCH',
      url: `/customers/${created.id}`,
      headers: { 'content-type': 'application/merge-patch+json' },
      payload: JSON.stringify({ email }),
    });
    assert.equal(res.statusCode, 200);
    assert.equal(res.json().email, email);
    assert.equal(res.json().name, created.name);
  });

  test('PATCH /customers/:id › accepts the wrapped body too', async () => {
    const created = await createCustomer(app);
    const res = await app.inject({ method: 'PATCH', url: `/customers/${created.id}`, payload: { customer: { name: 'Wrapped patch' } } });
    assert.equal(res.statusCode, 200);
    assert.equal(res.json().name, 'Wrapped patch');
  });

  test('PATCH /customers/:id › an empty patch changes nothing but answers 200', async () => {
    const created = await createCustomer(app);
    const res = await app.inject({ method: 'PATCH', url: `/customers/${created.id}`, payload: {} });
    assert.equal(res.statusCode, 200);
    assert.equal(res.json().name, created.name);
    assert.equal(res.json().email, created.email);
  });

  test('PATCH /customers/:id › returns 422 for a bad email and 409 for a taken one', async () => {
    const a = await createCustomer(app);
    const b = await createCustomer(app);
    const bad = assertProblem(await app.inject({ method: 'PATCH', url: `/customers/${b.id}`, payload: { email: 'nope' } }), 422);
    assert.deepEqual(bad.errors, [{ field: 'email', message: 'must be a valid email address' }]);
    assertProblem(await app.inject({ method: 'PATCH', url: `/customers/${b.id}`, payload: { email: a.email.toUpperCase() } }), 409);
  });

  test('PATCH /customers/:id › with null for a required field is 422 (it cannot be removed)', async () => {
    const created = await createCustomer(app);
    const problem = assertProblem(
      await app.inject({ method: 'PATCH', url: `/customers/${created.id}`, headers: { 'content-type': 'application/merge-patch+json' }, payload: JSON.stringify({ name: null }) }),
      422,
    );
    assert.ok(problem.errors?.some((e) => e.field === 'name'));
  });

  test('PATCH /customers/:id › from an HTML form, an empty input leaves the field alone', async () => {
    const created = await createCustomer(app);
    const res = await app.inject({
      method: 'PATCH',
      url: `/customers/${created.id}`,
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      payload: 'name=From+a+form&email=',
    });
    assert.equal(res.statusCode, 200);
    assert.equal(res.json().name, 'From a form');
    assert.equal(res.json().email, created.email);
  });
});

describe('DELETE /customers/:id', () => {
  test('DELETE /customers/:id › answers 204 with no body; the customer is gone afterwards', async () => {
    const created = await createCustomer(app);
    const res = await app.inject({ method: 'DELETE', url: `/customers/${created.id}` });
    assert.equal(res.statusCode, 204);
    assert.equal(res.body, '');
    assert.equal(res.headers['content-type'], undefined);
    assertProblem(await app.inject({ method: 'GET', url: `/customers/${created.id}` }), 404);
  });

  test('DELETE /customers/:id › returns 404 for an unknown id (and a second delete)', async () => {
    const created = await createCustomer(app);
    await app.inject({ method: 'DELETE', url: `/customers/${created.id}` });
    assertProblem(await app.inject({ method: 'DELETE', url: `/customers/${created.id}` }), 404);
  });

  test('DELETE /customers/:id › frees the email for a new customer', async () => {
    const created = await createCustomer(app);
    await app.inject({ method: 'DELETE', url: `/customers/${created.id}` });
    assert.equal((await app.inject({ method: 'POST', url: '/customers', payload: buildCustomer({ email: created.email }) })).statusCode, 201);
  });
});

describe('HEAD, OPTIONS and 405', () => {
  test('HEAD /customers/:id › has the headers of GET and no body', async () => {
    const created = await createCustomer(app);
    const get = await app.inject({ method: 'GET', url: `/customers/${created.id}` });
    const head = await app.inject({ method: 'HEAD', url: `/customers/${created.id}` });
    assert.equal(head.statusCode, 200);
    assert.equal(head.body, '');
    assert.equal(head.headers['content-type'], get.headers['content-type']);
    assert.equal(head.headers.etag, get.headers.etag);
    assert.equal(head.headers['content-length'], get.headers['content-length']);
    assert.equal(head.headers.vary, 'Accept');
  });

  test('HEAD /customers › has the list headers (X-Total-Count, Link) and no body', async () => {
    const head = await app.inject({ method: 'HEAD', url: '/customers' });
    assert.equal(head.statusCode, 200);
    assert.equal(head.body, '');
    assert.ok(Number(head.headers['x-total-count']) >= 0);
    assert.match(head.headers.link as string, /rel="first"/);
  });

  test('HEAD /customers/:id › of an unknown id is 404 with no body', async () => {
    const head = await app.inject({ method: 'HEAD', url: '/customers/999999' });
    assert.equal(head.statusCode, 404);
    assert.equal(head.body, '');
  });

  test('OPTIONS /customers › answers 204 with Allow listing the methods the path takes', async () => {
    const res = await app.inject({ method: 'OPTIONS', url: '/customers' });
    assert.equal(res.statusCode, 204);
    assert.equal(res.headers.allow, 'GET, POST, HEAD, OPTIONS');
    assert.equal(res.body, '');
  });

  test('OPTIONS /customers/:id › answers 204 with Allow: GET, PUT, PATCH, DELETE, HEAD, OPTIONS', async () => {
    const res = await app.inject({ method: 'OPTIONS', url: '/customers/1' });
    assert.equal(res.statusCode, 204);
    assert.equal(res.headers.allow, 'GET, PUT, PATCH, DELETE, HEAD, OPTIONS');
  });

  test('POST /customers/:id › returns 405 problem+json with Allow, even with a body it could not read', async () => {
    const res = await app.inject({ method: 'POST', url: '/customers/1', headers: { 'content-type': 'text/xml' }, payload: '<x/>' });
    const problem = assertProblem(res, 405);
    assert.equal(problem.type, '/problems/method-not-allowed');
    assert.equal(res.headers.allow, 'GET, PUT, PATCH, DELETE, HEAD, OPTIONS');
  });

  test('DELETE /customers › returns 405 with Allow: GET, POST, HEAD, OPTIONS', async () => {
    const res = await app.inject({ method: 'DELETE', url: '/customers' });
    assertProblem(res, 405);
    assert.equal(res.headers.allow, 'GET, POST, HEAD, OPTIONS');
  });
});
