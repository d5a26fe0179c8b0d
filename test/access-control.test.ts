/**
 * Access control (issue 7 item 4): the bearer token on REST, SSE and socket subscriptions alike,
 * ALLOWED_ORIGINS for CORS and WebSocket handshakes, and chat names that only their session reclaims.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { buildTestApp, createCustomer, listen } from './helpers.js';
import { startApp, TestClient } from './chat-helpers.js';
import type { App } from '../src/app.js';

const TOKEN = 's3cret-token';
const ALLOWED = 'https://shop.example';
const FOREIGN = 'https://evil.example';

/** Every REST route with a method that writes or reads, on an existing customer 1 and order 1. */
const WRITES = [
  { method: 'POST', url: '/customers', payload: { name: 'A', email: 'a@example.org' } },
  { method: 'PUT', url: '/customers/1', payload: { name: 'A', email: 'a@example.org' } },
  { method: 'PATCH', url: '/customers/1', payload: { name: 'B' } },
  { method: 'DELETE', url: '/customers/1' },
  { method: 'POST', url: '/customers/1/orders', payload: { items: [{ sku: 'X', quantity: 1, unitPrice: 1 }] } },
  { method: 'PUT', url: '/customers/1/orders/1', payload: { items: [{ sku: 'X', quantity: 1, unitPrice: 1 }], status: 'pending' } },
  { method: 'PATCH', url: '/customers/1/orders/1', payload: { status: 'paid' } },
  { method: 'DELETE', url: '/customers/1/orders/1' },
  // The router decodes percent-escapes: this is POST /customers and must be guarded like it.
  { method: 'POST', url: '/%63ustomers', payload: { name: 'A', email: 'a@example.org' } },
] as const;
const READS = ['/customers', '/customers/1', '/customers/1/orders', '/customers/1/orders/1', '/orders', '/%6frders', '/customers?page=1'];

function assertUnauthorized(res: { statusCode: number; headers: Record<string, unknown>; body: string }, invalid: boolean, what: string): void {
  assert.equal(res.statusCode, 401, `${what}: ${res.statusCode} ${res.body}`);
  const challenge = String(res.headers['www-authenticate']);
  assert.match(challenge, /^Bearer realm="boutique"/, what);
  if (invalid) assert.match(challenge, /error="invalid_token"/, what);
  else assert.doesNotMatch(challenge, /error=/, what);
  if (res.body !== '') assert.equal(JSON.parse(res.body).status, 401, what); // HEAD has no body
}

describe('BOUTIQUE_API_TOKEN with BOUTIQUE_READ_TOKEN_REQUIRED=true', () => {
  let app: App;
  before(async () => {
    app = await buildTestApp({ apiToken: TOKEN, readTokenRequired: true });
  });
  after(async () => app.close());

  it('every write and every read of the API › 401 without a token, 401 invalid_token with a wrong one, through with the right one', async () => {
    for (const w of WRITES) {
      const what = `${w.method} ${w.url}`;
      assertUnauthorized(await app.inject({ method: w.method, url: w.url, payload: 'payload' in w ? w.payload : undefined }), false, what);
      for (const wrong of [`Bearer nope`, `Bearer ${TOKEN}x`, `Basic ${Buffer.from('a:' + TOKEN).toString('base64')}`, TOKEN]) {
        const res = await app.inject({ method: w.method, url: w.url, headers: { authorization: wrong }, payload: 'payload' in w ? w.payload : undefined });
        assertUnauthorized(res, /^Bearer /.test(wrong), `${what} with ${wrong}`);
      }
    }
    for (const url of READS) {
      assertUnauthorized(await app.inject({ method: 'GET', url }), false, `GET ${url}`);
      assertUnauthorized(await app.inject({ method: 'HEAD', url }), false, `HEAD ${url}`);
      assertUnauthorized(await app.inject({ method: 'GET', url, headers: { authorization: 'Bearer wrong' } }), true, `GET ${url} wrong token`);
    }
    const auth = { authorization: `Bearer ${TOKEN}` };
    const created = await app.inject({ method: 'POST', url: '/customers', headers: auth, payload: { name: 'Ok', email: 'ok@example.org' } });
    assert.equal(created.statusCode, 201);
    const read = await app.inject({ method: 'GET', url: '/customers', headers: { authorization: `bearer ${TOKEN}` } });
    assert.equal(read.statusCode, 200, 'the scheme is case-insensitive (RFC 9110 §11.1)');
  });

  it('pages, health checks and OPTIONS stay open', async () => {
    for (const url of ['/', '/chat', '/dashboard', '/healthz', '/openapi.json']) {
      assert.notEqual((await app.inject({ method: 'GET', url })).statusCode, 401, url);
    }
    assert.equal((await app.inject({ method: 'OPTIONS', url: '/customers' })).statusCode, 204);
  });

  it('GET /events › 401 without or with a wrong token, a stream with the right one', async () => {
    const url = await listen(app);
    const status = (headers: Record<string, string>) =>
      new Promise<{ status: number; challenge: string | undefined }>((resolve, reject) => {
        const req = request(`${url}/events`, { headers }, (res) => {
          resolve({ status: res.statusCode!, challenge: res.headers['www-authenticate'] });
          res.destroy();
        });
        req.on('error', reject);
        req.end();
      });
    assert.deepEqual(await status({}), { status: 401, challenge: 'Bearer realm="boutique"' });
    assert.deepEqual(await status({ authorization: 'Bearer wrong' }), { status: 401, challenge: 'Bearer realm="boutique", error="invalid_token"' });
    assert.equal((await status({ authorization: `Bearer ${TOKEN}` })).status, 200);
  });
});

describe('BOUTIQUE_API_TOKEN without BOUTIQUE_READ_TOKEN_REQUIRED', () => {
  it('reads are open, every write needs the token', async () => {
    const app = await buildTestApp({ apiToken: TOKEN });
    try {
      for (const url of READS) assert.notEqual((await app.inject({ method: 'GET', url })).statusCode, 401, url);
      for (const w of WRITES) assertUnauthorized(await app.inject({ method: w.method, url: w.url, payload: 'payload' in w ? w.payload : undefined }), false, `${w.method} ${w.url}`);
    } finally {
      await app.close();
    }
  });
});

describe('socket subscriptions with the token', () => {
  it('a wrong token at the handshake is refused with 401; subscriptions without it get UNAUTHORIZED; the right one subscribes', async () => {
    const running = await startApp({ apiToken: TOKEN, readTokenRequired: true });
    try {
      await assert.rejects(new TestClient(`${running.wsUrl}?token=wrong`).opened, /401/);
      await assert.rejects(new TestClient(running.wsUrl, 'json', { headers: { authorization: 'Bearer wrong' } }).opened, /401/);
      const anon = await TestClient.connect(running.wsUrl);
      for (const topic of ['customers', 'customers/1', 'customers/1/orders', 'orders']) {
        anon.send({ type: 'subscribe', topic, token: 'wrong' });
        assert.equal((await anon.next('error')).code, 'UNAUTHORIZED', topic);
      }
      const withHeader = await TestClient.open(running.wsUrl, 'json', { headers: { authorization: `Bearer ${TOKEN}` } });
      withHeader.send({ type: 'subscribe', topic: 'customers' });
      assert.equal((await withHeader.next('subscribed')).topic, 'customers');
      anon.close();
      withHeader.close();
    } finally {
      await running.close();
    }
  });
});

describe('ALLOWED_ORIGINS › CORS', () => {
  let app: App;
  before(async () => {
    app = await buildTestApp({ allowedOrigins: [ALLOWED] });
    await createCustomer(app);
  });
  after(async () => app.close());

  it('an allowed origin gets Access-Control-Allow-Origin and Vary: Origin (with Accept) on reads, writes and errors', async () => {
    for (const req of [
      { method: 'GET' as const, url: '/customers' },
      { method: 'GET' as const, url: '/customers/1' },
      { method: 'POST' as const, url: '/customers', payload: { name: 'C', email: 'c@example.org' } },
      { method: 'GET' as const, url: '/customers/999' },
    ]) {
      const res = await app.inject({ ...req, headers: { origin: ALLOWED } });
      assert.equal(res.headers['access-control-allow-origin'], ALLOWED, `${req.method} ${req.url}`);
      assert.match(String(res.headers.vary), /\bOrigin\b/, `${req.method} ${req.url}: Vary ${res.headers.vary}`);
      assert.match(String(res.headers.vary), /\bAccept\b/);
      assert.match(String(res.headers['access-control-expose-headers']), /ETag/);
      assert.equal(res.headers['access-control-allow-credentials'], undefined, 'bearer tokens, not cookies');
    }
  });

  it('a preflight from an allowed origin › 204 with the methods and headers a client needs, and our Allow', async () => {
    const res = await app.inject({
      method: 'OPTIONS',
      url: '/customers/1',
      headers: { origin: ALLOWED, 'access-control-request-method': 'PATCH', 'access-control-request-headers': 'authorization, if-match, content-type' },
    });
    assert.equal(res.statusCode, 204);
    assert.equal(res.headers['access-control-allow-origin'], ALLOWED);
    for (const m of ['GET', 'POST', 'PUT', 'PATCH', 'DELETE']) assert.match(String(res.headers['access-control-allow-methods']), new RegExp(`\\b${m}\\b`));
    for (const h of ['Authorization', 'If-Match', 'Content-Type']) assert.match(String(res.headers['access-control-allow-headers']), new RegExp(h, 'i'));
    assert.match(String(res.headers.allow), /PATCH/, 'describePath still answers with Allow');
  });

  it('a foreign origin › no CORS headers on requests or preflights (the browser withholds the response)', async () => {
    const get = await app.inject({ method: 'GET', url: '/customers', headers: { origin: FOREIGN } });
    assert.equal(get.statusCode, 200);
    const preflight = await app.inject({ method: 'OPTIONS', url: '/customers', headers: { origin: FOREIGN, 'access-control-request-method': 'POST' } });
    for (const res of [get, preflight]) {
      for (const name of Object.keys(res.headers)) assert.doesNotMatch(name, /^access-control-/, `${name} sent to a foreign origin`);
    }
  });

  it('GET /events from an allowed origin carries the CORS header too (EventSource across origins)', async () => {
    const url = await listen(app);
    const headers = await new Promise<Record<string, unknown>>((resolve, reject) => {
      const req = request(`${url}/events`, { headers: { origin: ALLOWED } }, (res) => {
        resolve(res.headers);
        res.destroy();
      });
      req.on('error', reject);
      req.end();
    });
    assert.equal(headers['access-control-allow-origin'], ALLOWED);
    assert.equal(headers['content-type'], 'text/event-stream; charset=utf-8');
  });

  it('unset ALLOWED_ORIGINS › no CORS headers at all: same-origin only', async () => {
    const open = await buildTestApp();
    try {
      const get = await open.inject({ method: 'GET', url: '/customers', headers: { origin: ALLOWED } });
      const preflight = await open.inject({ method: 'OPTIONS', url: '/customers', headers: { origin: ALLOWED, 'access-control-request-method': 'POST' } });
      assert.equal(preflight.statusCode, 204);
      for (const res of [get, preflight]) {
        for (const name of Object.keys(res.headers)) assert.doesNotMatch(name, /^access-control-/);
      }
    } finally {
      await open.close();
    }
  });
});

describe('ALLOWED_ORIGINS › WebSocket handshakes', () => {
  it('a foreign Origin is refused with 403, an allowed one and none (not a browser) are accepted', async () => {
    const running = await startApp({ allowedOrigins: [ALLOWED] });
    try {
      await assert.rejects(new TestClient(running.wsUrl, 'json', { origin: FOREIGN }).opened, /403/);
      const ok = await TestClient.connect(running.wsUrl);
      const allowed = await TestClient.open(running.wsUrl, 'json', { origin: ALLOWED });
      ok.close();
      allowed.close();
    } finally {
      await running.close();
    }
  });
});

describe('chat names across reconnects', () => {
  it('a session id that is not yours resumes nothing, and the name stays with its owner', async () => {
    const running = await startApp({ wsRateLimit: 10_000 });
    try {
      const alice = await TestClient.connect(running.wsUrl);
      await alice.signIn('alice');
      alice.ws.terminate();
      await alice.closed;
      const thief = await TestClient.connect(running.wsUrl);
      thief.send({ type: 'resume', session: 'guessed-session-id', seq: 0, name: 'alice' });
      assert.equal((await thief.next('error')).code, 'RESUME_FAILED');
      thief.send({ type: 'username', name: 'alice', date: 1 });
      assert.equal((await thief.next('rejectusername')).name, 'alice1');
      const back = await TestClient.connect(running.wsUrl);
      back.send({ type: 'resume', session: alice.session, seq: 0 });
      assert.equal((await back.next('resumed')).name, 'alice');
      thief.close();
      back.close();
    } finally {
      await running.close();
    }
  });
});
