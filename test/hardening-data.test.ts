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
