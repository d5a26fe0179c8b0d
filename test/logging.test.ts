import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { buildApp, type App } from '../src/app.js';
import { testConfig } from '../src/config.js';
import { safeUrl } from '../src/logger.js';

const TOKEN = 'sekret-token-3f9a';
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

interface LogLine {
  level: number;
  msg: string;
  requestId?: string;
  [key: string]: unknown;
}

let app: App;
const lines: string[] = [];
before(async () => {
  const logStream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(...chunk.toString('utf8').split('\n').filter(Boolean));
      done();
    },
  });
  app = await buildApp(testConfig({ logLevel: 'info', apiToken: TOKEN }), { logStream });
});
after(() => app.close());

const parsed = (): LogLine[] => lines.map((l) => JSON.parse(l) as LogLine);
const requestLines = (id: string): LogLine[] => parsed().filter((l) => l.requestId === id && l.msg === 'request');

test('logs › a sane X-Request-Id is echoed and names the one log line of the request', async () => {
  const res = await app.inject({ method: 'GET', url: '/healthz', headers: { 'x-request-id': 'lb-7f3a.42' } });
  assert.equal(res.headers['x-request-id'], 'lb-7f3a.42');
  const found = requestLines('lb-7f3a.42');
  assert.equal(found.length, 1);
  assert.equal(found[0]!.level, 30);
  assert.equal(found[0]!.status, 200);
  assert.equal(found[0]!.method, 'GET');
});

test('logs › without X-Request-Id a UUID is generated and echoed, a new one per request', async () => {
  const a = await app.inject({ method: 'GET', url: '/healthz' });
  const b = await app.inject({ method: 'GET', url: '/healthz' });
  const id = a.headers['x-request-id'] as string;
  assert.match(id, UUID);
  assert.notEqual(id, b.headers['x-request-id']);
  assert.equal(requestLines(id).length, 1);
});

test('logs › an X-Request-Id that is too long or not a plain token is replaced', async () => {
  for (const offered of ['x'.repeat(129), 'two words', '<script>', 'a"b', 'me@example.org']) {
    const res = await app.inject({ method: 'GET', url: '/healthz', headers: { 'x-request-id': offered } });
    assert.match(res.headers['x-request-id'] as string, UUID, `replaced ${JSON.stringify(offered)}`);
  }
  const longest = 'y'.repeat(128);
  assert.equal((await app.inject({ method: 'GET', url: '/healthz', headers: { 'x-request-id': longest } })).headers['x-request-id'], longest);
});

test('logs › no e-mail address and no token appears at info', async () => {
  const email = 'ada.lovelace@example.org';
  const auth = { authorization: `Bearer ${TOKEN}` };
  const created = await app.inject({ method: 'POST', url: '/customers', headers: auth, payload: { name: 'Ada Lovelace', email } });
  assert.equal(created.statusCode, 201);
  await app.inject({ method: 'GET', url: `/customers?email=${encodeURIComponent(email)}`, headers: auth });
  await app.inject({ method: 'GET', url: `/customers?email=${email}&q=ada`, headers: auth });
  await app.inject({ method: 'GET', url: `/customers?token=${TOKEN}`, headers: auth });
  await app.inject({ method: 'POST', url: '/customers', headers: { authorization: 'Bearer wrong-token-value' }, payload: { name: 'Eve', email: 'eve@example.org' } });
  await app.inject({ method: 'POST', url: '/customers', headers: auth, payload: { name: 'Dup', email } });
  const text = lines.join('\n');
  assert.ok(parsed().some((l) => l.msg === 'request' && l.status === 409), 'the requests were logged');
  for (const secret of [email, encodeURIComponent(email), 'eve@example.org', TOKEN, 'wrong-token-value']) {
    assert.ok(!text.includes(secret), `log lines must not contain ${secret}`);
  }
  assert.ok(!/[\w.+-]+@[\w-]+\.[\w.]+/.test(text), 'no e-mail address at all');
});

test('safeUrl › masks e-mail addresses and secret query parameters, keeps the rest', () => {
  assert.equal(safeUrl('/customers?email=a%40b.org&page=2'), '/customers?email=[email]&page=2');
  assert.equal(safeUrl('/socketserver?token=abc&x=1'), '/socketserver?token=[redacted]&x=1');
  assert.equal(safeUrl('/customers/7/orders?status=paid'), '/customers/7/orders?status=paid');
});
