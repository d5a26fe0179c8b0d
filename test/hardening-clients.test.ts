/**
 * Clients that must get a clear answer: real HTTP clients reading a 413, body-less requests that
 * still say `Content-Type: application/json`, Accept ranges with parameters, and browsers posting
 * forms (post/redirect/get).
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import type { Browser } from 'playwright-core';
import type { App } from '../src/app.js';
import { assertProblem, buildCustomer, buildTestApp, createCustomer, createOrder, listen } from './helpers.js';
import { browserSkipReason, launchChromium } from './browser.js';

const run = promisify(execFile);
const MIB = 1024 * 1024;
const SIZES = [1.1, 5, 50];

/** A JSON customer whose name makes the body `size` bytes long (BODY_LIMIT is 1 MiB). */
function oversizedBody(size: number): Uint8Array<ArrayBuffer> {
  const head = Buffer.from('{"name":"');
  const tail = Buffer.from('","email":"big@example.org"}');
  const bytes = new Uint8Array(Math.floor(size)).fill(0x78);
  bytes.set(head, 0);
  bytes.set(tail, bytes.length - tail.length);
  return bytes;
}

function postWithNodeHttp(url: string, body: Uint8Array): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method: 'POST', headers: { 'content-type': 'application/json', 'content-length': body.length } }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (text += chunk));
      res.on('end', () => resolve({ status: res.statusCode!, body: text }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(body);
  });
}

/** Python's urllib sends the whole body before it reads the answer. */
const URLLIB = `
import json, sys, urllib.error, urllib.request
url, size = sys.argv[1], int(sys.argv[2])
head, tail = b'{"name":"', b'","email":"big@example.org"}'
data = head + b'x' * (size - len(head) - len(tail)) + tail
req = urllib.request.Request(url, data=data, headers={'Content-Type': 'application/json'}, method='POST')
try:
    urllib.request.urlopen(req, timeout=60)
    print('no error')
except urllib.error.HTTPError as e:
    print(e.code, json.loads(e.read())['status'])
`;

describe('a body over BODY_LIMIT, sent by real clients', () => {
  let app: App;
  let base: string;
  before(async () => {
    app = await buildTestApp();
    base = await listen(app);
  });
  after(() => app.close());

  for (const mib of SIZES) {
    it(`${mib} MiB › Node's fetch, node:http and Python's urllib each read the 413 problem, and the server still serves`, { timeout: 120_000 }, async () => {
      const size = mib * MIB;
      const body = oversizedBody(size);
      const viaFetch = await fetch(`${base}/customers`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
      assert.equal(viaFetch.status, 413);
      assert.equal((await viaFetch.json()).status, 413);

      const viaHttp = await postWithNodeHttp(`${base}/customers`, body);
      assert.equal(viaHttp.status, 413);
      assert.equal(JSON.parse(viaHttp.body).type, '/problems/payload-too-large');

      const viaPython = await run('python3', ['-c', URLLIB, `${base}/customers`, String(Math.floor(size))], { timeout: 90_000 });
      assert.equal(viaPython.stdout.trim(), '413 413');

      assert.equal((await fetch(`${base}/customers`)).status, 200);
    });
  }
});

describe('clients that send Content-Type: application/json on every request', () => {
  let app: App;
  let base: string;
  before(async () => {
    app = await buildTestApp();
    base = await listen(app);
  });
  after(() => app.close());

  it('DELETE without a body › accepted (204), from fetch and with Content-Length: 0', async () => {
    const json = { 'content-type': 'application/json' };
    const first = await createCustomer(app);
    const viaFetch = await fetch(`${base}/customers/${first.id}`, { method: 'DELETE', headers: json });
    assert.equal(viaFetch.status, 204);
    const second = await createCustomer(app);
    const order = await createOrder(app, second.id);
    const orderDelete = await app.inject({ method: 'DELETE', url: `/customers/${second.id}/orders/${order.id}`, headers: { ...json, 'content-length': '0' } });
    assert.equal(orderDelete.statusCode, 204);
    assert.equal((await app.inject({ method: 'DELETE', url: `/customers/${second.id}`, headers: json })).statusCode, 204);
  });

  it('OPTIONS without a body › 204 with Allow', async () => {
    const res = await app.inject({ method: 'OPTIONS', url: '/customers', headers: { 'content-type': 'application/json', 'content-length': '0' } });
    assert.equal(res.statusCode, 204);
    assert.match(String(res.headers.allow), /POST/);
  });

  it('POST, which takes a body › an empty one is still 400', async () => {
    assertProblem(await app.inject({ method: 'POST', url: '/customers', headers: { 'content-type': 'application/json', 'content-length': '0' } }), 400);
  });
});

describe('Accept with media-type parameters', () => {
  let app: App;
  before(async () => {
    app = await buildTestApp();
    await createCustomer(app);
  });
  after(() => app.close());

  it('Accept: application/json; charset=utf-8 › served JSON on lists and resources', async () => {
    for (const url of ['/customers', '/customers/1']) {
      const res = await app.inject({ url, headers: { accept: 'application/json; charset=utf-8' } });
      assert.equal(res.statusCode, 200, url);
      assert.equal(res.headers['content-type'], 'application/json; charset=utf-8');
      JSON.parse(res.body);
    }
  });

  it('other parameters (text/csv; header=present, text/html;level=1) › served that type; q still ranks them', async () => {
    const csv = await app.inject({ url: '/customers', headers: { accept: 'text/csv; header=present' } });
    assert.equal(csv.statusCode, 200);
    assert.match(String(csv.headers['content-type']), /^text\/csv/);
    const ranked = await app.inject({ url: '/customers/1', headers: { accept: 'text/html;level=1;q=0.5, text/plain; charset=utf-8' } });
    assert.match(String(ranked.headers['content-type']), /^text\/plain/);
  });

  it('a type that is not served › still 406, parameters or not', async () => {
    assertProblem(await app.inject({ url: '/customers', headers: { accept: 'text/css; charset=utf-8' } }), 406);
  });
});

const BROWSER_ACCEPT = 'text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,*/*;q=0.8';
const FORM = { 'content-type': 'application/x-www-form-urlencoded' };

describe('a browser posting an HTML form that creates something', () => {
  let app: App;
  before(async () => {
    app = await buildTestApp();
  });
  after(() => app.close());

  it('POST /customers › 303 See Other to the new customer, which is there', async () => {
    const input = buildCustomer();
    const res = await app.inject({ method: 'POST', url: '/customers', headers: { ...FORM, accept: BROWSER_ACCEPT }, payload: new URLSearchParams(input).toString() });
    assert.equal(res.statusCode, 303);
    const location = String(res.headers.location);
    assert.match(location, /^\/customers\/\d+$/);
    const created = await app.inject({ url: location });
    assert.equal(created.json().email, input.email);
  });

  it('POST /customers/:id/orders › 303 See Other to the new order', async () => {
    const customer = await createCustomer(app);
    const res = await app.inject({ method: 'POST', url: `/customers/${customer.id}/orders`, headers: { ...FORM, accept: BROWSER_ACCEPT }, payload: 'items=MUG+1+1250' });
    assert.equal(res.statusCode, 303);
    assert.match(String(res.headers.location), new RegExp(`^/customers/${customer.id}/orders/\\d+$`));
    assert.equal((await app.inject({ url: String(res.headers.location) })).json().total, 1250);
  });

  it('JSON clients, and a form body from a client that wants JSON › still 201 with the resource', async () => {
    const json = await app.inject({ method: 'POST', url: '/customers', payload: buildCustomer() });
    assert.equal(json.statusCode, 201);
    const curl = await app.inject({ method: 'POST', url: '/customers', headers: { ...FORM, accept: '*/*' }, payload: new URLSearchParams(buildCustomer()).toString() });
    assert.equal(curl.statusCode, 201);
    assert.equal(typeof curl.json().id, 'number');
  });

  const skip = browserSkipReason();
  describe('in Chromium', { skip }, () => {
    let browser: Browser;
    let base: string;
    before(async () => {
      base = await listen(app);
      browser = await launchChromium();
    });
    after(async () => browser?.close());

    it('submitting the "New customer" form on /customers › the address bar shows the new customer, and reloading posts nothing again', async () => {
      const page = await browser.newPage();
      await page.goto(`${base}/customers`);
      const input = buildCustomer();
      await page.fill('form[action="/customers"] input[name="name"]', input.name);
      await page.fill('form[action="/customers"] input[name="email"]', input.email);
      await Promise.all([page.waitForURL(/\/customers\/\d+$/, { timeout: 10_000 }), page.click('form[action="/customers"] button')]);
      assert.equal(await page.locator('h1').textContent(), input.name);
      const before = (await app.inject({ url: '/customers' })).headers['x-total-count'];
      await page.reload();
      assert.equal((await app.inject({ url: '/customers' })).headers['x-total-count'], before);
      await page.close();
    });
  });
});
