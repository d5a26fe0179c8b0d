import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import type { Browser } from 'playwright-core';
import type { App } from '../src/app.js';
import type { Page } from 'playwright-core';
import { buildTestApp, listen, buildCustomer, buildOrder } from './helpers.js';
import { browserSkipReason, launchChromium } from './browser.js';

const skip = browserSkipReason();
let app: App;
let base: string;
let browser: Browser;

/** Waits until the page's live query `query` is acknowledged (its `subscribed` frame is in the socket log). */
async function subscribed(page: Page, query: string): Promise<void> {
  await page.locator('#socket-log li').filter({ hasText: 'subscribed' }).filter({ hasText: new RegExp(`${query.replace(/[?/]/g, '\\$&')}seq`) }).first().waitFor({ timeout: 10_000 });
}

const json = (method: string, body: unknown) => ({ method, headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });

before(async () => {
  if (skip) return;
  app = await buildTestApp();
  base = await listen(app);
  browser = await launchChromium();
});
after(async () => {
  await browser?.close();
  await app?.close();
});

test('/dashboard › a customer created through the API from outside the page appears without reload, and both logs show it', { skip }, async () => {
  const page = await browser.newPage();
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await page.goto(`${base}/dashboard`);
  await page.locator('#socket-state', { hasText: 'live' }).waitFor({ timeout: 10_000 });
  await subscribed(page, '/customers');
  await subscribed(page, '/orders');
  let reloaded = false;
  page.on('load', () => (reloaded = true));

  const customer = buildCustomer({ name: 'Pushed <b>Live</b>' });
  const res = await fetch(`${base}/customers`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(customer) });
  assert.equal(res.status, 201);
  const { id } = (await res.json()) as { id: number };

  const row = page.locator(`#customers tr[data-id="${id}"]`);
  await row.waitFor({ timeout: 10_000 });
  assert.equal(await row.locator('td.name').textContent(), 'Pushed <b>Live</b>', 'received text is shown as text, not markup');
  await page.locator('#socket-log li', { hasText: `/customers #${id}` }).waitFor();
  assert.equal(reloaded, false);

  // The page's own writes go over HTTP and come back over the socket.
  await page.fill('#new-customer input[name=name]', 'Made In Page');
  await page.fill('#new-customer input[name=email]', `page.${process.pid}@example.org`);
  await page.click('#new-customer button');
  await page.locator('#http-log li', { hasText: 'POST' }).waitFor();
  await page.locator('#customers td.name', { hasText: 'Made In Page' }).waitFor();
  await page.locator('#http-log li', { hasText: '201' }).waitFor();

  // A deletion from outside removes the row.
  await fetch(`${base}/customers/${id}`, { method: 'DELETE' });
  await row.waitFor({ state: 'detached', timeout: 10_000 });
  assert.deepEqual(errors, []);
  await page.close();
});

test('/dashboard › the status select is a live query: an order paid elsewhere enters the table, shipped it leaves; the search box selects customers live', { skip }, async () => {
  const customer = (await (await fetch(`${base}/customers`, json('POST', buildCustomer({ name: 'Filtered Fiona' })))).json()) as { id: number };
  const order = (await (await fetch(`${base}/customers/${customer.id}/orders`, json('POST', buildOrder()))).json()) as { id: number };
  const page = await browser.newPage();
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await page.goto(`${base}/dashboard`);
  await subscribed(page, '/orders');
  const row = page.locator(`#orders tr[data-order="${order.id}"]`);
  await row.waitFor({ timeout: 10_000 }); // every status: the pending order is in the snapshot

  await page.selectOption('#status-filter', 'paid');
  await subscribed(page, '/orders?status=paid');
  await row.waitFor({ state: 'detached', timeout: 10_000 }); // pending is not paid
  await fetch(`${base}/customers/${customer.id}/orders/${order.id}`, json('PATCH', { status: 'paid' }));
  await row.waitFor({ timeout: 10_000 });
  await page.locator('#socket-log li', { hasText: `entered/orders?status=paid #${order.id}` }).waitFor();
  await fetch(`${base}/customers/${customer.id}/orders/${order.id}`, json('PATCH', { status: 'shipped' }));
  await row.waitFor({ state: 'detached', timeout: 10_000 });
  await page.locator('#socket-log li', { hasText: `left/orders?status=paid #${order.id}` }).waitFor();

  await page.fill('#filter', 'fiona');
  await subscribed(page, '/customers?q=fiona');
  await page.locator(`#customers tr[data-id="${customer.id}"]`).waitFor();
  assert.equal(await page.locator('#customers tbody tr').count(), 1, 'only the customer the search selects');
  const other = (await (await fetch(`${base}/customers`, json('POST', buildCustomer({ name: 'Someone Else' })))).json()) as { id: number };
  const match = (await (await fetch(`${base}/customers`, json('POST', buildCustomer({ name: 'Fiona Two' })))).json()) as { id: number };
  await page.locator(`#customers tr[data-id="${match.id}"]`).waitFor({ timeout: 10_000 });
  assert.equal(await page.locator(`#customers tr[data-id="${other.id}"]`).count(), 0);
  assert.deepEqual(errors, []);
  await page.close();
});
