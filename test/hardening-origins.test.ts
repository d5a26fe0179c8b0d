/**
 * Other sites' pages using a visitor's browser against the server: forms posted across sites
 * (CSRF), and WebSocket handshakes whose Origin only looks like this server's.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { Browser } from 'playwright-core';
import type { App } from '../src/app.js';
import { assertProblem, buildCustomer, buildTestApp, createCustomer, listen } from './helpers.js';
import { startApp, TestClient, type Running } from './chat-helpers.js';
import { browserSkipReason, launchChromium } from './browser.js';

const GOOD = 'http://good.example';
const EVIL = 'http://evil.example';
const OWN = { host: 'shop.test', origin: 'http://shop.test' };
const FORM = 'application/x-www-form-urlencoded';
const MULTIPART = 'multipart/form-data; boundary=x';

const formBody = () => new URLSearchParams(buildCustomer()).toString();
const multipartBody = () => {
  const c = buildCustomer();
  return `--x\r\nContent-Disposition: form-data; name="name"\r\n\r\n${c.name}\r\n--x\r\nContent-Disposition: form-data; name="email"\r\n\r\n${c.email}\r\n--x--\r\n`;
};
const count = async (app: App) => Number((await app.inject({ url: '/customers' })).headers['x-total-count']);

describe('cross-site form posts (CSRF), ALLOWED_ORIGINS=http://good.example, no token', () => {
  let app: App;
  before(async () => {
    app = await buildTestApp({ allowedOrigins: [GOOD] });
  });
  after(() => app.close());

  it('a urlencoded, multipart or text/plain POST with Origin: http://evil.example › 403 problem, nothing created', async () => {
    const before = await count(app);
    for (const [type, payload] of [[FORM, formBody()], [MULTIPART, multipartBody()], ['text/plain', '{"name":"x","email":"x@example.org"}']] as const) {
      const problem = assertProblem(await app.inject({ method: 'POST', url: '/customers', headers: { 'content-type': type, origin: EVIL }, payload }), 403);
      assert.equal(problem.type, '/problems/forbidden', type);
    }
    assertProblem(await app.inject({ method: 'POST', url: '/customers', headers: { 'content-type': FORM, origin: 'null' }, payload: formBody() }), 403);
    assert.equal(await count(app), before);
  });

  it('any other write (PUT, PATCH, DELETE) a form or a bodiless request could carry, from Origin: http://evil.example › 403, the customer unchanged', async () => {
    const customer = await createCustomer(app);
    const url = `/customers/${customer.id}`;
    assertProblem(await app.inject({ method: 'PATCH', url, headers: { 'content-type': FORM, origin: EVIL }, payload: 'name=Mallory' }), 403);
    assertProblem(await app.inject({ method: 'PUT', url, headers: { 'content-type': FORM, origin: EVIL }, payload: `name=Mallory&email=${encodeURIComponent(customer.email)}` }), 403);
    assertProblem(await app.inject({ method: 'DELETE', url, headers: { origin: EVIL } }), 403);
    assert.equal((await app.inject({ url })).json().name, customer.name);
  });

  it('no Origin, Sec-Fetch-Site cross-site or same-site › 403; same-origin › 201', async () => {
    for (const site of ['cross-site', 'same-site']) {
      assertProblem(await app.inject({ method: 'POST', url: '/customers', headers: { 'content-type': FORM, 'sec-fetch-site': site }, payload: formBody() }), 403);
    }
    assert.equal((await app.inject({ method: 'POST', url: '/customers', headers: { 'content-type': FORM, 'sec-fetch-site': 'same-origin' }, payload: formBody() })).statusCode, 201);
  });

  it("the server's own origin, the allowed one, and clients that are not browsers (no Origin, no Sec-Fetch-Site) › 201", async () => {
    for (const headers of [OWN, { origin: GOOD }, {}]) {
      const res = await app.inject({ method: 'POST', url: '/customers', headers: { 'content-type': FORM, ...headers }, payload: formBody() });
      assert.equal(res.statusCode, 201, JSON.stringify(headers));
    }
  });

  it('a JSON body from Origin: http://evil.example › unchanged: a browser must ask first, and CORS gives evil.example nothing', async () => {
    const res = await app.inject({ method: 'POST', url: '/customers', headers: { origin: EVIL }, payload: buildCustomer() });
    assert.equal(res.statusCode, 201);
    assert.equal(res.headers['access-control-allow-origin'], undefined);
  });
});

describe('cross-site form posts with ALLOWED_ORIGINS unset', () => {
  it("only the server's own pages may post forms › another origin, even one that would be listed, is 403", async () => {
    const app = await buildTestApp();
    try {
      for (const origin of [EVIL, GOOD]) {
        assertProblem(await app.inject({ method: 'POST', url: '/customers', headers: { 'content-type': FORM, origin }, payload: formBody() }), 403);
      }
      assert.equal((await app.inject({ method: 'POST', url: '/customers', headers: { 'content-type': FORM, ...OWN }, payload: formBody() })).statusCode, 201);
    } finally {
      await app.close();
    }
  });
});

const skip = browserSkipReason();
describe('cross-site form posts in Chromium', { skip }, () => {
  let app: App;
  let base: string;
  let evil: Server;
  let evilUrl: string;
  let browser: Browser;
  before(async () => {
    app = await buildTestApp();
    base = await listen(app);
    // Another origin (another port) serving a page whose form posts to the API, as an attacker's site would.
    evil = createServer((_req, res) => {
      res.setHeader('content-type', 'text/html; charset=utf-8');
      res.end(`<form method="post" action="${base}/customers"><input name="name" value="Mallory"><input name="email" value="mallory@evil.example"><button>go</button></form>`);
    });
    await new Promise<void>((resolve) => evil.listen(0, '127.0.0.1', resolve));
    const address = evil.address();
    if (address === null || typeof address === 'string') throw new Error('no port');
    evilUrl = `http://127.0.0.1:${address.port}/`;
    browser = await launchChromium();
  });
  after(async () => {
    await browser?.close();
    await new Promise((resolve) => evil?.close(resolve));
    await app?.close();
  });

  it("a page on another origin submitting a form to POST /customers › the browser lands on a 403 page and nobody is created; the server's own form still works", async () => {
    const page = await browser.newPage();
    await page.goto(evilUrl);
    const [response] = await Promise.all([page.waitForResponse(`${base}/customers`), page.click('button')]);
    assert.equal(response.status(), 403);
    assert.equal(await count(app), 0);
    await page.goto(`${base}/customers`);
    await page.fill('form[action="/customers"] input[name="name"]', 'Ada');
    await page.fill('form[action="/customers"] input[name="email"]', 'ada@example.org');
    await Promise.all([page.waitForURL(/\/customers\/\d+$/, { timeout: 10_000 }), page.click('form[action="/customers"] button')]);
    assert.equal(await count(app), 1);
    await page.close();
  });
});

describe('WebSocket handshakes with ALLOWED_ORIGINS=http://good.example', () => {
  let running: Running;
  before(async () => {
    running = await startApp({ allowedOrigins: [GOOD] });
  });
  after(() => running.close());

  const handshake = async (headers: Record<string, string>): Promise<number | 'accepted'> => {
    const client = new TestClient(running.wsUrl, 'json', { headers });
    try {
      await client.opened;
      client.close();
      return 'accepted';
    } catch (err) {
      const m = /handshake refused: (\d+)/.exec(String(err));
      if (!m) throw err;
      return Number(m[1]);
    }
  };

  it("Origin: https://127.0.0.1:PORT on this http:// server › 403: the scheme is part of the origin", async () => {
    assert.equal(await handshake({ origin: running.httpUrl.replace('http:', 'https:') }), 403);
  });

  it('a forged Host matching a forged Origin (a rebound name) › 403', async () => {
    assert.equal(await handshake({ host: 'evil.example', origin: EVIL }), 403);
  });

  it("the server's own origin when it is not listed › 403: the list alone decides", async () => {
    assert.equal(await handshake({ origin: running.httpUrl }), 403);
  });

  it('the listed origin, and no Origin at all (not a browser) › accepted', async () => {
    assert.equal(await handshake({ origin: GOOD }), 'accepted');
    assert.equal(await handshake({}), 'accepted');
  });
});
