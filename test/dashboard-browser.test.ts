import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import type { Browser } from 'playwright-core';
import type { App } from '../src/app.js';
import { buildTestApp, listen, buildCustomer } from './helpers.js';
import { browserSkipReason, launchChromium } from './browser.js';

const skip = browserSkipReason();
let app: App;
let base: string;
let browser: Browser;

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
  await page.locator('#socket-log li', { hasText: 'orders' }).waitFor(); // both subscriptions acknowledged
  let reloaded = false;
  page.on('load', () => (reloaded = true));

  const customer = buildCustomer({ name: 'Pushed <b>Live</b>' });
  const res = await fetch(`${base}/customers`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(customer) });
  assert.equal(res.status, 201);
  const { id } = (await res.json()) as { id: number };

  const row = page.locator(`#customers tr[data-id="${id}"]`);
  await row.waitFor({ timeout: 10_000 });
  assert.equal(await row.locator('td.name').textContent(), 'Pushed <b>Live</b>', 'received text is shown as text, not markup');
  await page.locator('#socket-log li', { hasText: `customers #${id}` }).waitFor();
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
