import { readFileSync } from 'node:fs';
import { test, before, after, describe } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import type { InjectOptions } from 'fastify';
import type { App } from '../src/app.js';
import type { Config } from '../src/config.js';
import { buildCustomer, buildOrder, buildTestApp, listen } from './helpers.js';
import { OpenApiContract, documentErrors, type Exchange } from './openapi-contract.js';

// /openapi.json is checked by validators we did not write, and so is the traffic: every operation
// the document lists is called, and each request body, status, media type, header and response
// body must be what the document says (test/openapi-contract.ts).

type Json = Record<string, unknown>;
type Inject = InjectOptions & { method: string; url: string };

const TOKEN = 'contract-test-token-0123456789';

async function documentOf(app: App): Promise<Json> {
  const res = await app.inject({ method: 'GET', url: '/openapi.json' });
  assert.equal(res.statusCode, 200);
  return res.json<Json>();
}

/** Sends a request, checks it and its answer against the document, and returns the answer. */
async function exchange(app: App, contract: OpenApiContract, request: Inject, expected: number): Promise<Exchange> {
  const res = await app.inject(request);
  const headers = (request.headers ?? {}) as Record<string, string>;
  const contentType = headers['content-type'] ?? (typeof request.payload === 'object' ? 'application/json' : undefined);
  const body = request.payload === undefined ? undefined : typeof request.payload === 'string' ? request.payload : JSON.stringify(request.payload);
  const seen: Exchange = {
    method: request.method,
    url: request.url,
    request: contentType !== undefined && body !== undefined ? { contentType, body } : undefined,
    status: res.statusCode,
    headers: res.headers,
    body: res.body,
  };
  assert.equal(res.statusCode, expected, `${request.method} ${request.url}: expected ${expected}, got ${res.statusCode}: ${res.body.slice(0, 300)}`);
  await contract.check(seen);
  return seen;
}

/** Opens a stream on a listening app, takes its head and first bytes, and closes it. */
function streamHead(base: string, path: string, headers: Record<string, string> = {}): Promise<Exchange> {
  return new Promise((resolve, reject) => {
    const req = http.get(base + path, { headers: { accept: 'text/event-stream', ...headers } }, (res) => {
      res.setEncoding('utf8');
      res.once('data', (chunk: string) => {
        resolve({ method: 'GET', url: path, status: res.statusCode ?? 0, headers: res.headers, body: chunk });
        req.destroy();
      });
      res.once('end', () => resolve({ method: 'GET', url: path, status: res.statusCode ?? 0, headers: res.headers, body: '' }));
    });
    req.once('error', reject);
  });
}

const form = (fields: Record<string, string>) => new URLSearchParams(fields).toString();
const FORM = 'application/x-www-form-urlencoded';

for (const [label, overrides] of [
  ['the default configuration', {}],
  ['BOUTIQUE_API_TOKEN', { apiToken: TOKEN }],
  ['BOUTIQUE_API_TOKEN with BOUTIQUE_READ_TOKEN_REQUIRED=true', { apiToken: TOKEN, readTokenRequired: true }],
  ['RATE_LIMIT_MAX', { rateLimitMax: 1000 }],
] as [string, Partial<Config>][]) {
  describe(`GET /openapi.json under ${label}`, () => {
    let app: App;
    let doc: Json;
    before(async () => {
      app = await buildTestApp(overrides);
      doc = await documentOf(app);
    });
    after(() => app.close());

    test('is a valid OpenAPI 3.1 document for @seriousme/openapi-schema-validator and @hyperjump/json-schema', async () => {
      assert.match(String(doc.openapi), /^3\.1\.\d+$/);
      assert.deepEqual(await documentErrors(doc), []);
    });

    test('declares bearer security on exactly the operations the server refuses without the token', async () => {
      const schemes = (doc.components as Json).securitySchemes as Json | undefined;
      assert.equal(schemes !== undefined, overrides.apiToken !== undefined, 'a security scheme exactly when a token is configured');
      for (const [path, item] of Object.entries(doc.paths as Record<string, Record<string, Json>>)) {
        for (const [method, operation] of Object.entries(item)) {
          const declared = operation.security !== undefined;
          assert.equal(declared, operation.responses !== undefined && (operation.responses as Json)['401'] !== undefined, `${method} ${path}: 401 documented with security`);
          // A stream that is not guarded would start streaming: its HEAD is asked instead, which the same rule guards (a read).
          if (!declared && method === 'get' && path.startsWith('/events')) continue;
          const url = path.replace(/\{[^}]+\}/g, '1');
          const res = await app.inject({ method: method.toUpperCase(), url });
          assert.equal(res.statusCode === 401, declared, `${method.toUpperCase()} ${url}: answered ${res.statusCode}, the document ${declared ? 'requires' : 'does not require'} the token`);
          if (declared) assert.deepEqual(operation.security, [{ bearer: [] }]);
        }
      }
    });

    test('names this server as the client reached it', async () => {
      const res = await app.inject({ method: 'GET', url: '/openapi.json', headers: { host: 'shop.example:8080' } });
      assert.deepEqual(res.json<Json>().servers, [{ url: 'http://shop.example:8080', description: 'This server, as this document was fetched from it' }]);
    });
  });
}

describe('GET /openapi.json › components', () => {
  let app: App;
  let doc: Json;
  before(async () => {
    app = await buildTestApp();
    doc = await documentOf(app);
  });
  after(() => app.close());

  test("info.version is the package's version, as the AsyncAPI document's is", () => {
    const { version } = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string };
    assert.equal((doc.info as Json).version, version);
  });

  test('defines every named schema once, under components, and refers to it with $ref', () => {
    const schemas = (doc.components as Json).schemas as Json;
    for (const name of ['Customer', 'CustomerInput', 'CustomerPatch', 'Order', 'OrderInput', 'OrderReplace', 'OrderPatch', 'Problem']) assert.ok(schemas[name], `components.schemas.${name}`);
    const text = JSON.stringify(doc);
    assert.doesNotMatch(text, /"\$id"/, 'no $id is left in the document');
    assert.match(text, /"\$ref":"#\/components\/schemas\/Customer"/);
  });

  test('a Host that is not a host name gives a relative server URL', async () => {
    const res = await app.inject({ method: 'GET', url: '/openapi.json', headers: { host: 'evil.example/"><script>' } });
    assert.deepEqual(res.json<Json>().servers, [{ url: '/', description: 'This server, as this document was fetched from it' }]);
  });
});

describe('real traffic › matches /openapi.json', () => {
  let app: App;
  let contract: OpenApiContract;
  let base: string;
  before(async () => {
    app = await buildTestApp();
    contract = new OpenApiContract(await documentOf(app));
    base = await listen(app);
  });
  after(() => app.close());

  const json = (res: Exchange) => JSON.parse(res.body) as Json & { id: number };
  const send = (request: Inject, expected: number) => exchange(app, contract, request, expected);

  test('customers › every operation, representation and error', async () => {
    const bare = await send({ method: 'POST', url: '/customers', payload: buildCustomer() }, 201);
    const id = json(bare).id;
    await send({ method: 'POST', url: '/customers', payload: { customer: buildCustomer() } }, 201);
    await send({ method: 'POST', url: '/customers', headers: { 'content-type': FORM, accept: 'application/json' }, payload: form(buildCustomer()) }, 201);
    await send({ method: 'POST', url: '/customers', headers: { 'content-type': FORM, accept: 'text/html' }, payload: form(buildCustomer()) }, 303);
    await send({ method: 'POST', url: '/customers', headers: { 'content-type': FORM, accept: 'text/html', origin: 'https://elsewhere.example' }, payload: form(buildCustomer()) }, 403);
    await send({ method: 'POST', url: '/customers', payload: { name: '', email: 'not an email' } }, 422);
    await send({ method: 'POST', url: '/customers', headers: { accept: 'text/html' }, payload: { name: '' } }, 422);
    await send({ method: 'POST', url: '/customers', headers: { accept: 'text/plain' }, payload: { name: '' } }, 422);
    await send({ method: 'POST', url: '/customers', payload: { name: 'Twin', email: json(bare).email as string } }, 409);
    await send({ method: 'POST', url: '/customers', headers: { 'content-type': 'application/json' }, payload: '{"name":' }, 400);
    await send({ method: 'POST', url: '/customers', headers: { 'content-type': 'text/plain' }, payload: 'name=x' }, 415);
    await send({ method: 'POST', url: '/customers', headers: { 'content-type': 'application/json' }, payload: JSON.stringify({ name: 'x'.repeat(2 * 1024 * 1024) }) }, 413);
    await send({ method: 'POST', url: '/customers', headers: { accept: 'text/css' }, payload: buildCustomer() }, 406);

    for (const accept of ['application/json', 'text/html', 'text/plain', 'text/csv']) {
      await send({ method: 'GET', url: '/customers?per_page=2&sort=-createdAt', headers: { accept } }, 200);
      await send({ method: 'GET', url: `/customers/${id}`, headers: { accept } }, 200);
    }
    const list = await send({ method: 'GET', url: '/customers', headers: { accept: 'application/json' } }, 200);
    await send({ method: 'GET', url: '/customers', headers: { 'if-none-match': String(list.headers.etag) } }, 304);
    await send({ method: 'HEAD', url: '/customers', headers: { 'if-none-match': String(list.headers.etag) } }, 304);
    await send({ method: 'HEAD', url: '/customers' }, 200);
    await send({ method: 'GET', url: '/customers?sort=nope' }, 400);
    await send({ method: 'GET', url: '/customers', headers: { accept: 'text/css' } }, 406);

    const one = await send({ method: 'GET', url: `/customers/${id}` }, 200);
    await send({ method: 'GET', url: `/customers/${id}`, headers: { 'if-none-match': String(one.headers.etag) } }, 304);
    await send({ method: 'HEAD', url: `/customers/${id}` }, 200);
    await send({ method: 'HEAD', url: '/customers/999999' }, 404);
    await send({ method: 'GET', url: '/customers/999999' }, 404);
    await send({ method: 'GET', url: '/customers/999999', headers: { accept: 'text/html' } }, 404);

    const put = await send({ method: 'PUT', url: `/customers/${id}`, headers: { 'if-match': String(one.headers.etag) }, payload: buildCustomer() }, 200);
    await send({ method: 'PUT', url: `/customers/${id}`, payload: { customer: buildCustomer() } }, 200);
    await send({ method: 'PUT', url: `/customers/${id}`, headers: { accept: 'text/html', 'content-type': FORM }, payload: form(buildCustomer()) }, 200);
    await send({ method: 'PUT', url: `/customers/${id}`, headers: { 'if-match': String(one.headers.etag) }, payload: buildCustomer() }, 412);
    await send({ method: 'PUT', url: '/customers/999999', payload: buildCustomer() }, 404);
    await send({ method: 'PATCH', url: `/customers/${id}`, headers: { 'content-type': 'application/merge-patch+json' }, payload: JSON.stringify({ name: 'Merged' }) }, 200);
    await send({ method: 'PATCH', url: `/customers/${id}`, payload: { customer: { name: 'Wrapped' } } }, 200);
    await send({ method: 'PATCH', url: `/customers/${id}`, headers: { accept: 'text/plain', 'content-type': FORM }, payload: form({ name: 'From a form' }) }, 200);
    await send({ method: 'PATCH', url: `/customers/${id}`, headers: { 'if-match': String(put.headers.etag) }, payload: { name: 'Stale' } }, 412);
    await send({ method: 'PATCH', url: `/customers/${id}`, payload: { email: 'nope' } }, 422);

    await send({ method: 'OPTIONS', url: '/customers' }, 204);
    await send({ method: 'OPTIONS', url: `/customers/${id}` }, 204);
    await send({ method: 'DELETE', url: `/customers/${id}`, headers: { 'if-match': String(one.headers.etag) } }, 412);
    await send({ method: 'DELETE', url: `/customers/${id}` }, 204);
    await send({ method: 'DELETE', url: `/customers/${id}` }, 404);
  });

  test('orders › every operation, representation and error', async () => {
    const customer = json(await send({ method: 'POST', url: '/customers', payload: buildCustomer() }, 201));
    const orders = `/customers/${customer.id}/orders`;
    const created = await send({ method: 'POST', url: orders, payload: buildOrder() }, 201);
    const id = json(created).id;
    await send({ method: 'POST', url: orders, payload: { order: buildOrder() } }, 201);
    await send({ method: 'POST', url: orders, headers: { 'content-type': FORM, accept: 'text/html' }, payload: form({ items: 'MUG 1 1250\nTSHIRT-M 2 1999' }) }, 303);
    await send({ method: 'POST', url: orders, headers: { 'content-type': FORM, accept: 'application/json' }, payload: form({ items: 'MUG 1 1250' }) }, 201);
    await send({ method: 'POST', url: orders, headers: { 'content-type': FORM }, payload: form({ items: 'not a line' }) }, 422);
    await send({ method: 'POST', url: orders, payload: { items: [] } }, 422);
    await send({ method: 'POST', url: '/customers/999999/orders', payload: buildOrder() }, 404);

    for (const accept of ['application/json', 'text/html', 'text/plain', 'text/csv']) {
      await send({ method: 'GET', url: orders, headers: { accept } }, 200);
      await send({ method: 'GET', url: `/orders?status=pending&customerId=${customer.id}`, headers: { accept } }, 200);
      await send({ method: 'GET', url: `${orders}/${id}`, headers: { accept } }, 200);
    }
    const list = await send({ method: 'GET', url: '/orders' }, 200);
    await send({ method: 'GET', url: '/orders', headers: { 'if-none-match': String(list.headers.etag) } }, 304);
    await send({ method: 'HEAD', url: '/orders' }, 200);
    await send({ method: 'HEAD', url: orders }, 200);
    await send({ method: 'HEAD', url: `${orders}/${id}` }, 200);
    await send({ method: 'GET', url: '/orders?status=lost' }, 400);
    await send({ method: 'GET', url: '/customers/999999/orders' }, 404);
    await send({ method: 'GET', url: `${orders}/999999` }, 404);

    const etag = String(created.headers.etag);
    await send({ method: 'PUT', url: `${orders}/${id}`, headers: { 'if-match': etag }, payload: buildOrder() }, 200);
    await send({ method: 'PUT', url: `${orders}/${id}`, payload: { order: { ...buildOrder(), status: 'pending' } } }, 200);
    await send({ method: 'PUT', url: `${orders}/${id}`, headers: { 'if-match': etag }, payload: buildOrder() }, 412);
    await send({ method: 'PATCH', url: `${orders}/${id}`, headers: { 'content-type': 'application/merge-patch+json' }, payload: JSON.stringify({ status: 'paid' }) }, 200);
    await send({ method: 'PATCH', url: `${orders}/${id}`, headers: { 'content-type': FORM, accept: 'text/html' }, payload: form({ status: 'shipped' }) }, 200);
    await send({ method: 'PATCH', url: `${orders}/${id}`, payload: { order: { status: 'pending' } } }, 422);

    await send({ method: 'OPTIONS', url: '/orders' }, 204);
    await send({ method: 'OPTIONS', url: orders }, 204);
    await send({ method: 'OPTIONS', url: `${orders}/${id}` }, 204);
    await send({ method: 'DELETE', url: `${orders}/${id}`, headers: { 'if-match': etag } }, 412);
    await send({ method: 'DELETE', url: `${orders}/${id}` }, 204);
    await send({ method: 'DELETE', url: `${orders}/${id}` }, 404);
  });

  test('events › streams answer text/event-stream; HEAD and errors as documented', async () => {
    const customer = json(await send({ method: 'POST', url: '/customers', payload: buildCustomer() }, 201));
    for (const path of ['/events', '/events?topic=customers&topic=orders', '/events/customers?q=a', '/events/orders?status=paid', `/events/customers/${customer.id}/orders?snapshot=true`]) {
      const seen = await streamHead(base, path);
      assert.equal(seen.status, 200, path);
      await contract.check(seen);
      await send({ method: 'HEAD', url: path }, 200);
    }
    await send({ method: 'GET', url: '/events?topic=nothing' }, 400);
    await send({ method: 'GET', url: '/events/orders?status=lost' }, 400);
    await send({ method: 'GET', url: '/events', headers: { 'last-event-id': 'yesterday' } }, 400);
    await send({ method: 'HEAD', url: '/events?topic=nothing' }, 400);
    await send({ method: 'GET', url: '/events/customers/999999/orders?snapshot=true' }, 404);
  });

  test('every operation of the document was called', () => {
    assert.deepEqual(contract.operations.filter((op) => !contract.exercised.has(op)), []);
  });
});

describe('real traffic › matches /openapi.json under the token and the rate limit', () => {
  test('BOUTIQUE_API_TOKEN with reads protected › 401 and authorized answers as documented', async () => {
    const app = await buildTestApp({ apiToken: TOKEN, readTokenRequired: true });
    try {
      const contract = new OpenApiContract(await documentOf(app));
      const auth = { authorization: `Bearer ${TOKEN}` };
      await exchange(app, contract, { method: 'GET', url: '/customers' }, 401);
      await exchange(app, contract, { method: 'GET', url: '/customers', headers: { authorization: 'Bearer wrong-token-of-some-length' } }, 401);
      await exchange(app, contract, { method: 'POST', url: '/customers', payload: buildCustomer() }, 401);
      await exchange(app, contract, { method: 'GET', url: '/events' }, 401);
      await exchange(app, contract, { method: 'HEAD', url: '/customers/1' }, 401);
      const created = await exchange(app, contract, { method: 'POST', url: '/customers', headers: auth, payload: buildCustomer() }, 201);
      await exchange(app, contract, { method: 'GET', url: `/customers/${JSON.parse(created.body).id}`, headers: auth }, 200);
      await exchange(app, contract, { method: 'OPTIONS', url: '/customers' }, 204);
    } finally {
      await app.close();
    }
  });

  test('RATE_LIMIT_MAX › 429 with Retry-After as documented', async () => {
    const app = await buildTestApp({ rateLimitMax: 2 });
    try {
      const contract = new OpenApiContract(await documentOf(app));
      await exchange(app, contract, { method: 'GET', url: '/customers' }, 200);
      const limited = await exchange(app, contract, { method: 'POST', url: '/customers', payload: buildCustomer() }, 429);
      assert.ok(limited.headers['retry-after']);
    } finally {
      await app.close();
    }
  });
});

describe('the response check › refuses what the document does not say', () => {
  let app: App;
  let contract: OpenApiContract;
  before(async () => {
    app = await buildTestApp();
    contract = new OpenApiContract(await documentOf(app));
  });
  after(() => app.close());

  const customer = { id: 1, name: 'A', email: 'a@example.org', createdAt: '2026-01-01T00:00:00.000Z', updatedAt: '2026-01-01T00:00:00.000Z' };
  const ok: Exchange = {
    method: 'GET',
    url: '/customers/1',
    status: 200,
    headers: { 'content-type': 'application/json; charset=utf-8', etag: '"1.1j"', 'boutique-log-position': '3' },
    body: JSON.stringify(customer),
  };

  test('the control exchange passes', async () => {
    await contract.check(ok);
  });

  for (const [what, bad] of [
    ['an undocumented status', { ...ok, status: 418 }],
    ['an undocumented media type', { ...ok, headers: { ...ok.headers, 'content-type': 'text/css' } }],
    ['a body that breaks the schema', { ...ok, body: JSON.stringify({ ...customer, id: 'one' }) }],
    ['a date that is not a date-time', { ...ok, body: JSON.stringify({ ...customer, createdAt: 'yesterday' }) }],
    ['a missing required header', { ...ok, headers: { 'content-type': 'application/json' } }],
    ['a body on a 304', { ...ok, status: 304 }],
    ['an undocumented operation', { ...ok, method: 'POST' }],
    ['an undocumented request body type', { ...ok, method: 'POST', url: '/customers', status: 201, request: { contentType: 'text/plain', body: 'x' } }],
    ['a request body the schema refuses', { ...ok, method: 'POST', url: '/customers', status: 201, request: { contentType: 'application/json', body: '{"customer":{"name":"A"}}' } }],
  ] as [string, Exchange][]) {
    test(`fails on ${what}`, async () => {
      await assert.rejects(contract.check(bad), assert.AssertionError);
    });
  }
});
