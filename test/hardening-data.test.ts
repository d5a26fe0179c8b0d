/** Data that must not turn against whoever reads it, in whichever representation they read it. */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { App } from '../src/app.js';
import { csvRows } from '../src/http/representation.js';
import { assertProblem, buildCustomer, buildTestApp, createCustomer } from './helpers.js';

let app: App;
before(async () => {
  app = await buildTestApp();
});
after(() => app.close());

const csvOf = async (url: string): Promise<string> => {
  const res = await app.inject({ url, headers: { accept: 'text/csv' } });
  assert.equal(res.statusCode, 200);
  return res.body;
};

describe('text/csv output', () => {
  const FORMULAS = ['=HYPERLINK("http://evil.example","click")', '@SUM(1+1)', '+1+cmd|calc', '-2+3'];

  it('a name that starts with = + - or @ › neutralised in the CSV (a leading single quote, the field quoted); JSON keeps it exact', async () => {
    for (const name of FORMULAS) {
      const customer = await createCustomer(app, { name });
      const row = (await csvOf(`/customers/${customer.id}`)).split('\r\n')[1]!;
      assert.equal(row.split(',')[0], String(customer.id));
      assert.ok(row.includes(`,"'${name.replace(/"/g, '""')}",`), `${name} came out as ${row}`);
      assert.equal((await app.inject({ url: `/customers/${customer.id}` })).json().name, name);
    }
    // No cell of the list starts with a formula character, quoted or not.
    assert.doesNotMatch(await csvOf('/customers?per_page=100'), /(^|,)"?[=+\-@]/m);
  });

  it('an email that starts with = or + › neutralised too', async () => {
    const customer = await createCustomer(app, { email: `=1+1.${process.pid}@example.org` });
    assert.match(await csvOf(`/customers/${customer.id}`), new RegExp(`,"'=1\\+1\\.${process.pid}@example.org",`));
  });

  it('cells that start with a tab or a carriage return › neutralised; numbers and plain text unchanged', () => {
    assert.equal(csvRows(['a', 'b', 'c', 'd'], [['\tcmd', '\r=1', -5, 'plain, text']]), `a,b,c,d\r\n"'\tcmd","'\r=1",-5,"plain, text"\r\n`);
  });
});

describe('customer names with control and direction characters', () => {
  const BAD = { NUL: 'Bob\u0000', 'a line feed': 'Bob\nemail: admin@example.org', 'U+0085 (NEL)': 'Bob\u0085Smith', 'U+202E (RLO)': '\u202Eecila', 'U+2028': 'Bob\u2028Smith', 'a lone surrogate': 'Bob\ud800' };

  for (const [what, name] of Object.entries(BAD)) {
    it(`${what} › 422 naming name, on POST, PUT and PATCH, and nothing is stored`, async () => {
      const before = (await app.inject({ url: '/customers' })).headers['x-total-count'];
      const created = assertProblem(await app.inject({ method: 'POST', url: '/customers', payload: buildCustomer({ name }) }), 422);
      assert.deepEqual(created.errors?.map((e) => e.field), ['name']);
      assert.equal((await app.inject({ url: '/customers' })).headers['x-total-count'], before);
      const existing = await createCustomer(app);
      assertProblem(await app.inject({ method: 'PUT', url: `/customers/${existing.id}`, payload: { name, email: existing.email } }), 422);
      assertProblem(await app.inject({ method: 'PATCH', url: `/customers/${existing.id}`, payload: { name } }), 422);
      assert.equal((await app.inject({ url: `/customers/${existing.id}` })).json().name, existing.name);
    });
  }

  it('names with accents, joiners and typographic quotes › accepted, and the text/plain view keeps one line per field', async () => {
    const name = 'Zoë O\u2019Brien-\u200dJoiner';
    const customer = await createCustomer(app, { name });
    const text = (await app.inject({ url: `/customers/${customer.id}`, headers: { accept: 'text/plain' } })).body;
    assert.equal(text.split('\n').filter((l) => l.startsWith('email: ')).length, 1);
    assert.ok(text.split('\n').includes(`name: ${name}`));
  });
});

describe('order totals', () => {
  const HUGE = { items: Array.from({ length: 500 }, (_, i) => ({ sku: `SKU-${i}`, quantity: 99_999, unitPrice: 999_999_999 })) };

  it('500 × {quantity 99999, unitPrice 999999999} (over 2^53 − 1 cents) › 422 naming items, and no order is stored', async () => {
    const customer = await createCustomer(app);
    const problem = assertProblem(await app.inject({ method: 'POST', url: `/customers/${customer.id}/orders`, payload: HUGE }), 422);
    assert.deepEqual(problem.errors?.map((e) => e.field), ['items']);
    assert.equal((await app.inject({ url: `/customers/${customer.id}/orders` })).headers['x-total-count'], '0');
  });

  it('the same items by PUT or PATCH on a pending order › 422, and the order keeps its total', async () => {
    const customer = await createCustomer(app);
    const order = (await app.inject({ method: 'POST', url: `/customers/${customer.id}/orders`, payload: { items: [{ sku: 'MUG', quantity: 1, unitPrice: 1250 }] } })).json();
    const url = `/customers/${customer.id}/orders/${order.id}`;
    assert.deepEqual(assertProblem(await app.inject({ method: 'PUT', url, payload: HUGE }), 422).errors?.map((e) => e.field), ['items']);
    assert.deepEqual(assertProblem(await app.inject({ method: 'PATCH', url, payload: HUGE }), 422).errors?.map((e) => e.field), ['items']);
    assert.equal((await app.inject({ url })).json().total, 1250);
  });

  it('a total just under 2^53 − 1 › stored and served exactly', async () => {
    const customer = await createCustomer(app);
    const lines = Math.floor(Number.MAX_SAFE_INTEGER / (99_999 * 999_999_999));
    const items = Array.from({ length: lines }, (_, i) => ({ sku: `SKU-${i}`, quantity: 99_999, unitPrice: 999_999_999 }));
    const res = await app.inject({ method: 'POST', url: `/customers/${customer.id}/orders`, payload: { items } });
    assert.equal(res.statusCode, 201);
    assert.equal(res.json().total, lines * 99_999 * 999_999_999);
    assert.ok(Number.isSafeInteger(res.json().total));
  });
});
