import { test, before, after, describe } from 'node:test';
import assert from 'node:assert/strict';
import type { App } from '../src/app.js';
import { buildTestApp } from './helpers.js';

// The API describes itself (OpenAPI 3.1, generated from the schemas that validate requests)
// and says whether it is alive (/healthz) and ready for traffic (/readyz).
let app: App;
before(async () => {
  app = await buildTestApp();
});
after(() => app.close());

type Schema = { required?: string[]; properties?: Record<string, unknown>; anyOf?: Schema[]; $ref?: string };
type Operation = { requestBody?: { content: Record<string, { schema: Schema }> }; parameters?: { name: string; in: string }[]; responses: Record<string, unknown> };
const openapi = async () => {
  const res = await app.inject({ method: 'GET', url: '/openapi.json' });
  assert.equal(res.statusCode, 200);
  assert.equal(res.headers['content-type'], 'application/json; charset=utf-8');
  return res.json() as { openapi: string; paths: Record<string, Record<string, Operation>>; components: { schemas: Record<string, Schema> } };
};

// The SPEC's table of resources and methods, as OpenAPI paths.
const SPEC_TABLE: Record<string, string[]> = {
  '/customers': ['get', 'post', 'head', 'options'],
  '/customers/{id}': ['get', 'put', 'patch', 'delete', 'head', 'options'],
  '/customers/{id}/orders': ['get', 'post', 'head', 'options'],
  '/customers/{id}/orders/{orderId}': ['get', 'put', 'patch', 'delete', 'head', 'options'],
  '/orders': ['get', 'head', 'options'],
};

describe('GET /openapi.json', () => {
  test('GET /openapi.json › is an OpenAPI 3.1 document', async () => {
    const doc = await openapi();
    assert.match(doc.openapi, /^3\.1\.\d+$/);
  });

  test('GET /openapi.json › lists every path and method of the SPEC table', async () => {
    const doc = await openapi();
    for (const [path, methods] of Object.entries(SPEC_TABLE)) {
      assert.ok(doc.paths[path], `missing path ${path}`);
      assert.deepEqual(Object.keys(doc.paths[path]!).sort(), [...methods].sort(), `methods of ${path}`);
    }
  });

  test('GET /openapi.json › every operation on a templated path declares its path parameters', async () => {
    const doc = await openapi();
    for (const [path, item] of Object.entries(doc.paths)) {
      const names = [...path.matchAll(/\{(\w+)\}/g)].map((m) => m[1]);
      for (const [method, op] of Object.entries(item)) {
        const declared = (op.parameters ?? []).filter((p) => p.in === 'path').map((p) => p.name);
        assert.deepEqual(declared.sort(), [...names].sort(), `${method.toUpperCase()} ${path}`);
      }
    }
  });

  test('GET /openapi.json › the customer body requires name and email, as validation does, bare or wrapped', async () => {
    const doc = await openapi();
    const body = doc.paths['/customers']!.post!.requestBody!;
    const [bare, wrapped] = body.content['application/json']!.schema.anyOf!;
    assert.deepEqual(bare, { $ref: '#/components/schemas/CustomerInput' });
    assert.deepEqual(wrapped!.properties, { customer: { $ref: '#/components/schemas/CustomerInput' } });
    assert.deepEqual([...(doc.components.schemas.CustomerInput!.required ?? [])].sort(), ['email', 'name']);
    assert.ok(body.content['application/x-www-form-urlencoded'], 'forms are documented too');
    const patch = doc.paths['/customers/{id}']!.patch!.requestBody!;
    assert.ok(patch.content['application/merge-patch+json']);
    assert.equal(doc.components.schemas.CustomerPatch!.required, undefined, 'a merge patch requires nothing');
  });

  test('GET /openapi.json › the order body requires items, and the list documents its query parameters', async () => {
    const doc = await openapi();
    assert.deepEqual(doc.paths['/customers/{id}/orders']!.post!.requestBody!.content['application/json']!.schema.anyOf![0], { $ref: '#/components/schemas/OrderInput' });
    assert.deepEqual(doc.components.schemas.OrderInput!.required, ['items']);
    const params = doc.paths['/orders']!.get!.parameters!.filter((p) => p.in === 'query').map((p) => p.name).sort();
    assert.deepEqual(params, ['customerId', 'page', 'per_page', 'q', 'sort', 'status']);
  });
});

describe('health', () => {
  test('GET /healthz › 200 {"status":"ok"}', async () => {
    const res = await app.inject({ method: 'GET', url: '/healthz' });
    assert.equal(res.statusCode, 200);
    assert.equal(res.headers['content-type'], 'application/json; charset=utf-8');
    assert.deepEqual(res.json(), { status: 'ok' });
  });

  test('GET /readyz › 200 with the database and bus checks', async () => {
    const res = await app.inject({ method: 'GET', url: '/readyz' });
    assert.equal(res.statusCode, 200);
    assert.equal(res.headers['content-type'], 'application/json; charset=utf-8');
    assert.deepEqual(res.json(), { status: 'ready', checks: { database: 'ok', bus: 'ok' } });
  });

  test('GET /readyz › 503 when the database is gone', async () => {
    const local = await buildTestApp();
    try {
      await local.services.storage.close();
      const res = await local.inject({ method: 'GET', url: '/readyz' });
      assert.equal(res.statusCode, 503);
      assert.deepEqual(res.json().checks.database, 'unavailable');
    } finally {
      await local.close().catch(() => undefined);
    }
  });
});
