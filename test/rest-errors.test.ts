import { test, before, after, describe } from 'node:test';
import assert from 'node:assert/strict';
import type { App } from '../src/app.js';
import { assertNoStack, assertProblem, buildCustomer, buildTestApp, createCustomer } from './helpers.js';

// Every error is an RFC 9457 problem: a stable `type`, a `title`, the `status`, a `detail` a
// person can act on, `errors` naming each bad field or parameter, and never a stack trace.
let app: App;
before(async () => {
  app = await buildTestApp();
});
after(() => app.close());

describe('400 Bad request', () => {
  test('POST /customers › malformed JSON is 400 problem+json', async () => {
    const res = await app.inject({ method: 'POST', url: '/customers', headers: { 'content-type': 'application/json' }, payload: '{"name": "Ada", ' });
    const problem = assertProblem(res, 400);
    assert.equal(problem.type, '/problems/bad-request');
    assert.match(problem.detail, /JSON/);
  });

  test('PATCH /customers/:id › malformed merge-patch JSON is 400 too', async () => {
    const c = await createCustomer(app);
    assertProblem(await app.inject({ method: 'PATCH', url: `/customers/${c.id}`, headers: { 'content-type': 'application/merge-patch+json' }, payload: '{nope' }), 400);
  });

  test('POST /customers › a JSON body that is not an object (an array, a string) is 422', async () => {
    assertProblem(await app.inject({ method: 'POST', url: '/customers', headers: { 'content-type': 'application/json' }, payload: '[1,2]' }), 422);
    assertProblem(await app.inject({ method: 'POST', url: '/customers', headers: { 'content-type': 'application/json' }, payload: '"hello"' }), 422);
  });

  test('POST /customers › an empty JSON body is 400', async () => {
    assertProblem(await app.inject({ method: 'POST', url: '/customers', headers: { 'content-type': 'application/json' }, payload: '' }), 400);
  });

  test('GET /customers?page=0 › is 400 naming page', async () => {
    const problem = assertProblem(await app.inject({ method: 'GET', url: '/customers?page=0' }), 400);
    assert.deepEqual(problem.errors?.map((e) => e.field), ['page']);
    assert.match(problem.detail, /"page"/);
  });

  test('GET /customers?page=abc › is 400 naming page', async () => {
    const problem = assertProblem(await app.inject({ method: 'GET', url: '/customers?page=abc' }), 400);
    assert.deepEqual(problem.errors?.map((e) => e.field), ['page']);
  });

  test('GET /customers?per_page=500 › is 400 naming per_page (the maximum is 100)', async () => {
    const problem = assertProblem(await app.inject({ method: 'GET', url: '/customers?per_page=500' }), 400);
    assert.deepEqual(problem.errors?.map((e) => e.field), ['per_page']);
    assert.match(problem.detail, /100/);
  });

  test('GET /customers?sort=nope › is 400 naming sort and listing the sortable fields', async () => {
    const problem = assertProblem(await app.inject({ method: 'GET', url: '/customers?sort=nope' }), 400);
    assert.deepEqual(problem.errors?.map((e) => e.field), ['sort']);
    assert.match(problem.detail, /sortable fields are id, name, email, createdAt, updatedAt/);
  });

  test('GET /orders?sort=name › is 400 listing the orders\' sortable fields', async () => {
    const problem = assertProblem(await app.inject({ method: 'GET', url: '/orders?sort=name' }), 400);
    assert.match(problem.detail, /sortable fields are id, total, status, createdAt, updatedAt/);
  });

  test('GET /customers?colour=red › an unknown query parameter is 400 naming it, not ignored', async () => {
    const problem = assertProblem(await app.inject({ method: 'GET', url: '/customers?colour=red' }), 400);
    assert.deepEqual(problem.errors, [{ field: 'colour', message: 'is not a known field' }]);
  });

  test('GET /customers?page=1&page=2 › a repeated parameter is 400', async () => {
    assertProblem(await app.inject({ method: 'GET', url: '/customers?page=1&page=2' }), 400);
  });
});

describe('404, 413, 415', () => {
  test('GET /nowhere › an unknown path is 404 problem+json', async () => {
    const problem = assertProblem(await app.inject({ method: 'GET', url: '/nowhere' }), 404);
    assert.equal(problem.type, '/problems/not-found');
  });

  test('GET /customers/:id/orders/:orderId › an unknown order is 404', async () => {
    const c = await createCustomer(app);
    assertProblem(await app.inject({ method: 'GET', url: `/customers/${c.id}/orders/999999` }), 404);
  });

  test('POST /customers › a body over BODY_LIMIT is 413', async () => {
    const small = await buildTestApp({ bodyLimit: 1024 });
    try {
      const res = await small.inject({ method: 'POST', url: '/customers', payload: { name: 'x'.repeat(2000), email: 'big@example.org' } });
      const problem = assertProblem(res, 413);
      assert.equal(problem.type, '/problems/payload-too-large');
      assert.match(problem.detail, /1024/);
      // Under the limit the same route works.
      assert.equal((await small.inject({ method: 'POST', url: '/customers', payload: buildCustomer() })).statusCode, 201);
    } finally {
      await small.close();
    }
  });

  test('POST /customers › a text/xml body is 415 problem+json', async () => {
    const res = await app.inject({ method: 'POST', url: '/customers', headers: { 'content-type': 'text/xml' }, payload: '<customer><name>A</name></customer>' });
    const problem = assertProblem(res, 415);
    assert.equal(problem.type, '/problems/unsupported-media-type');
    assert.match(problem.detail, /text\/xml/);
  });

  test('PUT /customers/:id › a text/plain body is 415', async () => {
    const c = await createCustomer(app);
    assertProblem(await app.inject({ method: 'PUT', url: `/customers/${c.id}`, headers: { 'content-type': 'text/plain' }, payload: 'name=x' }), 415);
  });
});

describe('401 Unauthorized (BOUTIQUE_API_TOKEN set)', () => {
  test('POST /customers › without the token is 401 with WWW-Authenticate; reads stay open', async () => {
    const guarded = await buildTestApp({ apiToken: 's3cret' });
    try {
      const res = await guarded.inject({ method: 'POST', url: '/customers', payload: buildCustomer() });
      const problem = assertProblem(res, 401);
      assert.equal(problem.type, '/problems/unauthorized');
      assert.equal(res.headers['www-authenticate'], 'Bearer realm="boutique"');
      assert.equal((await guarded.inject({ method: 'GET', url: '/customers' })).statusCode, 200);
    } finally {
      await guarded.close();
    }
  });

  test('POST /customers › a wrong token is 401 invalid_token; the right one is 201', async () => {
    const guarded = await buildTestApp({ apiToken: 's3cret' });
    try {
      const wrong = await guarded.inject({ method: 'POST', url: '/customers', headers: { authorization: 'Bearer nope' }, payload: buildCustomer() });
      assertProblem(wrong, 401);
      assert.match(wrong.headers['www-authenticate'] as string, /error="invalid_token"/);
      const right = await guarded.inject({ method: 'POST', url: '/customers', headers: { authorization: 'Bearer s3cret' }, payload: buildCustomer() });
      assert.equal(right.statusCode, 201);
    } finally {
      await guarded.close();
    }
  });
});

describe('problem documents', () => {
  test('GET /problems/:slug › each problem type links to a page describing it', async () => {
    const problem = assertProblem(await app.inject({ method: 'GET', url: '/customers/999999' }), 404);
    const doc = await app.inject({ method: 'GET', url: problem.type });
    assert.equal(doc.statusCode, 200);
    assert.equal(doc.json().status, 404);
  });
});

describe('500 and 503: never a stack trace', () => {
  test('GET /customers/:id › with the database gone is a 5xx problem+json with a generic detail and no stack', async () => {
    const broken = await buildTestApp();
    try {
      const c = await createCustomer(broken);
      await broken.services.storage.close();
      for (const accept of ['application/json', 'text/html', 'text/plain']) {
        const res = await broken.inject({ method: 'GET', url: `/customers/${c.id}`, headers: { accept } });
        assert.ok(res.statusCode === 500 || res.statusCode === 503, `got ${res.statusCode}`);
        assertNoStack(res.body);
        assert.doesNotMatch(res.body, /destroyed|sqlite|kysely|Error:/i);
      }
      const res = await broken.inject({ method: 'GET', url: `/customers/${c.id}` });
      const problem = assertProblem(res, res.statusCode);
      assert.ok(problem.type === '/problems/internal' || problem.type === '/problems/service-unavailable');
      assert.ok(res.headers['x-request-id'], 'the request id lets an operator find the logged error');
    } finally {
      await broken.close().catch(() => undefined);
    }
  });

  test('an error thrown by a handler › becomes a generic 500 problem', async () => {
    const local = await buildTestApp();
    try {
      local.get('/boom', async () => {
        throw new Error('secret internals at /srv/app.ts:12:3');
      });
      const res = await local.inject({ method: 'GET', url: '/boom' });
      const problem = assertProblem(res, 500);
      assert.equal(problem.type, '/problems/internal');
      assert.doesNotMatch(res.body, /secret/);
    } finally {
      await local.close();
    }
  });
});
