import { test, before, after, describe } from 'node:test';
import assert from 'node:assert/strict';
import type { App } from '../src/app.js';
import { assertNoStack, assertProblem, buildTestApp, createCustomer, createOrder } from './helpers.js';

// One resource, several representations: the client says what it wants in Accept
// (RFC 9110 §12.5.1) and gets JSON, an HTML page, plain text or CSV, with Vary: Accept.
let app: App;
let customer: { id: number; name: string; email: string };
let order: { id: number; customerId: number };
before(async () => {
  app = await buildTestApp();
  customer = await createCustomer(app, { name: 'Scylla Buss', email: 'scylla.buss@codecademy.org' });
  order = await createOrder(app, customer.id);
  await createCustomer(app, { name: 'Buss, "Scylla" Jr.', email: 'junior@example.org' });
});
after(() => app.close());

const get = (url: string, accept?: string) => app.inject({ method: 'GET', url, headers: accept === undefined ? {} : { accept } });

describe('choosing a representation', () => {
  test('GET /customers/:id › is JSON with no Accept, with */* and with application/json', async () => {
    for (const accept of [undefined, '*/*', 'application/json', 'application/*']) {
      const res = await get(`/customers/${customer.id}`, accept);
      assert.equal(res.statusCode, 200, `Accept: ${accept}`);
      assert.equal(res.headers['content-type'], 'application/json; charset=utf-8', `Accept: ${accept}`);
      assert.equal(res.json().name, 'Scylla Buss');
    }
  });

  test('GET /customers › as text/html is a browsable page: a table, links to each customer and their orders, a create form', async () => {
    const res = await get('/customers', 'text/html');
    assert.equal(res.statusCode, 200);
    assert.equal(res.headers['content-type'], 'text/html; charset=utf-8');
    assert.match(res.body, /^<!doctype html>/);
    assert.match(res.body, /<table/);
    assert.ok(res.body.includes(`href="/customers/${customer.id}"`));
    assert.ok(res.body.includes(`href="/customers/${customer.id}/orders"`));
    assert.match(res.body, /<form[^>]*method="post"[^>]*action="\/customers"/);
    // Values are escaped, not markup.
    assert.ok(res.body.includes('Buss, &quot;Scylla&quot; Jr.'));
  });

  test('GET /customers/:id › as text/html links to their orders and offers edit and delete forms', async () => {
    const res = await get(`/customers/${customer.id}`, 'text/html');
    assert.equal(res.headers['content-type'], 'text/html; charset=utf-8');
    assert.ok(res.body.includes(`href="/customers/${customer.id}/orders"`));
    assert.match(res.body, new RegExp(`<form[^>]*data-method="PUT"[^>]*action="/customers/${customer.id}"`));
    assert.match(res.body, new RegExp(`<form[^>]*data-method="DELETE"[^>]*action="/customers/${customer.id}"`));
  });

  test('GET /customers/:id/orders › as text/html links each order and its customer, with a form to create one', async () => {
    const res = await get(`/customers/${customer.id}/orders`, 'text/html');
    assert.equal(res.headers['content-type'], 'text/html; charset=utf-8');
    assert.match(res.body, /<table/);
    assert.ok(res.body.includes(`href="/customers/${customer.id}/orders/${order.id}"`));
    assert.ok(res.body.includes(`href="/customers/${customer.id}"`));
    assert.match(res.body, new RegExp(`<form[^>]*method="post"[^>]*action="/customers/${customer.id}/orders"`));
    assert.match(res.body, /<textarea name="items"/);
  });

  test('GET /customers/:id › as text/plain is readable lines', async () => {
    const res = await get(`/customers/${customer.id}`, 'text/plain');
    assert.equal(res.headers['content-type'], 'text/plain; charset=utf-8');
    assert.match(res.body, /^id: \d+\nname: Scylla Buss\nemail: scylla\.buss@codecademy\.org\n/);
  });

  test('GET /customers › as text/csv has a header row and RFC 4180 quoting (comma and quote in a name)', async () => {
    const res = await get('/customers', 'text/csv');
    assert.equal(res.statusCode, 200);
    assert.match(res.headers['content-type'] as string, /^text\/csv; charset=utf-8/);
    const lines = res.body.split('\r\n');
    assert.equal(lines[0], 'id,name,email,createdAt,updatedAt');
    assert.match(lines[1]!, new RegExp(`^${customer.id},Scylla Buss,scylla\\.buss@codecademy\\.org,`));
    assert.match(lines[2]!, /^\d+,"Buss, ""Scylla"" Jr\.",junior@example\.org,/);
    assert.equal(lines.at(-1), '', 'every record ends with CRLF');
  });

  test('GET /orders › as text/csv lists orders with a header row', async () => {
    const res = await get('/orders', 'text/csv');
    assert.match(res.headers['content-type'] as string, /^text\/csv; charset=utf-8/);
    assert.equal(res.body.split('\r\n')[0], 'id,customerId,status,total,items,createdAt,updatedAt');
  });

  test('GET /customers › honours q-values: "text/html;q=0.5, text/plain" gives text/plain', async () => {
    const res = await get('/customers', 'text/html;q=0.5, text/plain');
    assert.equal(res.headers['content-type'], 'text/plain; charset=utf-8');
  });

  test('GET /customers › honours wildcards: "text/*" gives a text type, "text/*, application/json;q=0.1" too', async () => {
    assert.match((await get('/customers', 'text/*')).headers['content-type'] as string, /^text\//);
    assert.match((await get('/customers', 'text/*, application/json;q=0.1')).headers['content-type'] as string, /^text\//);
    assert.equal((await get('/customers', 'text/css, */*;q=0.1')).headers['content-type'], 'application/json; charset=utf-8');
  });

  test('GET /customers › a browser\'s Accept header gets HTML', async () => {
    const res = await get('/customers', 'text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,*/*;q=0.8');
    assert.equal(res.headers['content-type'], 'text/html; charset=utf-8');
  });

  test('every negotiated response › says Vary: Accept', async () => {
    for (const url of ['/customers', `/customers/${customer.id}`, `/customers/${customer.id}/orders`, `/customers/${customer.id}/orders/${order.id}`, '/orders']) {
      for (const accept of ['application/json', 'text/html', 'text/plain']) {
        const res = await get(url, accept);
        assert.equal(res.statusCode, 200, `${url} as ${accept}`);
        assert.equal(res.headers.vary, 'Accept', `${url} as ${accept}`);
        assert.match(res.headers['content-type'] as string, /; charset=utf-8/, `${url} as ${accept}`);
      }
    }
  });

  test('POST /customers › the 201 is negotiated too (text/plain when asked)', async () => {
    const res = await app.inject({ method: 'POST', url: '/customers', headers: { accept: 'text/plain' }, payload: { name: 'Plain', email: 'plain@example.org' } });
    assert.equal(res.statusCode, 201);
    assert.equal(res.headers['content-type'], 'text/plain; charset=utf-8');
    assert.match(res.body, /^id: \d+\nname: Plain\n/);
  });
});

describe('406 and negotiated errors', () => {
  test('GET /customers › Accept: text/css is 406 problem+json listing what is available', async () => {
    const res = await get('/customers', 'text/css');
    const problem = assertProblem(res, 406);
    assert.equal(problem.type, '/problems/not-acceptable');
    assert.match(problem.detail, /application\/json/);
    assert.equal(res.headers.vary, 'Accept');
  });

  test('GET /customers/:id › Accept: text/css is 406 before anything else, even for an unknown id', async () => {
    assertProblem(await get('/customers/999999', 'text/css'), 406);
  });

  test('GET /customers/:id › a 404 is an HTML page when the client asks for text/html', async () => {
    const res = await get('/customers/999999', 'text/html');
    assert.equal(res.statusCode, 404);
    assert.equal(res.headers['content-type'], 'text/html; charset=utf-8');
    assert.match(res.body, /<h1>404 Not found<\/h1>/);
    assert.match(res.body, /No customer with id 999999/);
    assertNoStack(res.body);
  });

  test('GET /customers/:id › a 404 is text when the client asks for text/plain', async () => {
    const res = await get('/customers/999999', 'text/plain');
    assert.equal(res.statusCode, 404);
    assert.equal(res.headers['content-type'], 'text/plain; charset=utf-8');
    assert.equal(res.body, '404 Not found\nNo customer with id 999999.\n');
  });

  test('POST /customers › a 422 as text/plain lists each bad field on its own line', async () => {
    const res = await app.inject({ method: 'POST', url: '/customers', headers: { accept: 'text/plain' }, payload: { name: '', email: 'bad' } });
    assert.equal(res.statusCode, 422);
    assert.equal(res.headers['content-type'], 'text/plain; charset=utf-8');
    assert.match(res.body, /^- email: must be a valid email address$/m);
    assert.match(res.body, /^- name: /m);
  });

  test('an unknown path › is 404 problem+json by default and HTML for a browser', async () => {
    const problem = assertProblem(await get('/nope'), 404);
    assert.equal(problem.instance, '/nope');
    const page = await get('/nope', 'text/html');
    assert.equal(page.statusCode, 404);
    assert.equal(page.headers['content-type'], 'text/html; charset=utf-8');
  });

  test('an error › is problem+json when Accept asks for application/json', async () => {
    const res = await get('/customers/999999', 'application/json');
    assert.equal(res.statusCode, 404);
    assert.equal(res.headers['content-type'], 'application/problem+json; charset=utf-8');
  });
});

describe('ETags per representation', () => {
  test('GET /customers/:id › each media type has its own ETag', async () => {
    const tags = new Set<string>();
    for (const accept of ['application/json', 'text/html', 'text/plain', 'text/csv']) {
      const res = await get(`/customers/${customer.id}`, accept);
      assert.equal(res.statusCode, 200, accept);
      assert.match(res.headers.etag as string, /^"[^"]+"$/);
      tags.add(res.headers.etag as string);
    }
    assert.equal(tags.size, 4);
  });
});
