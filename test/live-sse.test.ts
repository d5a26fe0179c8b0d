import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import type { App } from '../src/app.js';
import { buildTestApp, buildCustomer, buildOrder, listen } from './helpers.js';
import { openStream } from './sse-client.js';

let app: App;
let base: string;
before(async () => {
  app = await buildTestApp({ sseKeepAliveMs: 200 });
  base = await listen(app);
});
after(() => app.close());

async function call(method: string, path: string, body?: unknown) {
  const res = await fetch(base + path, { method, headers: body ? { 'content-type': 'application/json' } : {}, body: body ? JSON.stringify(body) : undefined });
  return { status: res.status, json: res.status === 204 ? undefined : await res.json() };
}

test('GET /events › streams created, updated and deleted for REST writes, in order, with the presented resource', async () => {
  const stream = openStream(`${base}/events?topic=customers`);
  await stream.ready;
  assert.equal(stream.status, 200);
  assert.match(String(stream.headers['content-type']), /^text\/event-stream/);
  assert.equal(stream.headers['x-content-type-options'], 'nosniff');
  assert.equal(stream.headers['x-frame-options'], 'DENY');

  const created = await call('POST', '/customers', buildCustomer({ name: 'Ada' }));
  const updated = await call('PATCH', `/customers/${created.json.id}`, { name: 'Ada Lovelace' });
  await call('DELETE', `/customers/${created.json.id}`);

  const events = await stream.waitFor(3);
  assert.deepEqual(events.map((e) => e.data.action), ['created', 'updated', 'deleted']);
  assert.deepEqual(events[0]!.data.data, created.json, 'the event carries what a GET returns');
  assert.deepEqual(events[1]!.data.data, updated.json);
  for (const e of events) {
    assert.equal(e.data.type, 'event');
    assert.equal(e.data.topic, 'customers');
    assert.equal(e.id, String(e.data.seq), 'the SSE id is the seq');
  }
  assert.ok(Number(events[0]!.id) < Number(events[1]!.id) && Number(events[1]!.id) < Number(events[2]!.id));
  stream.close();
});

test('GET /events › filters by topic: a customer-orders topic gets only that customer\'s orders', async () => {
  const a = await call('POST', '/customers', buildCustomer());
  const b = await call('POST', '/customers', buildCustomer());
  const stream = openStream(`${base}/events?topic=customers/${a.json.id}/orders`);
  await stream.ready;
  await call('POST', `/customers/${b.json.id}/orders`, buildOrder());
  const order = await call('POST', `/customers/${a.json.id}/orders`, buildOrder());
  const [event] = await stream.waitFor(1);
  assert.equal(event!.data.topic, `customers/${a.json.id}/orders`);
  assert.deepEqual(event!.data.data, order.json);
  assert.equal(stream.events.length, 1);
  stream.close();
});

test('GET /events › Last-Event-ID resumes after a dropped connection: nothing lost, nothing twice', async () => {
  const first = openStream(`${base}/events?topic=orders`);
  await first.ready;
  const customer = await call('POST', '/customers', buildCustomer());
  await call('POST', `/customers/${customer.json.id}/orders`, buildOrder());
  const [seen] = await first.waitFor(1);
  first.close();

  // Changes made while the client was away.
  const missed1 = await call('POST', `/customers/${customer.json.id}/orders`, buildOrder());
  const missed2 = await call('PATCH', `/customers/${customer.json.id}/orders/${missed1.json.id}`, { status: 'paid' });

  const resumed = openStream(`${base}/events?topic=orders`, { 'last-event-id': seen!.id! });
  await resumed.ready;
  const live = await call('POST', `/customers/${customer.json.id}/orders`, buildOrder());
  const events = await resumed.waitFor(3);
  assert.deepEqual(
    events.map((e) => [e.data.action, (e.data.data as { id: number }).id]),
    [['created', missed1.json.id], ['updated', missed2.json.id], ['created', live.json.id]],
  );
  assert.equal(new Set(events.map((e) => e.id)).size, 3);
  resumed.close();
});

test('GET /events › an unknown topic is a 400 problem naming it', async () => {
  const res = await fetch(`${base}/events?topic=invoices`);
  assert.equal(res.status, 400);
  assert.match(res.headers.get('content-type')!, /^application\/problem\+json/);
  assert.match((await res.json()).detail, /invoices/);
});

test('GET /events › sends keep-alive comments while idle', async () => {
  const text = await new Promise<string>((resolve, reject) => {
    const req = http.get(`${base}/events`, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => {
        body += c;
        if (body.includes(': keep-alive')) {
          req.destroy();
          resolve(body);
        }
      });
    });
    req.on('error', reject);
  });
  assert.match(text, /^retry: \d+/);
  assert.match(text, /: keep-alive\n\n/);
});

test('GET /events › with a token configured and reads protected, a stream without the token is 401', async () => {
  const guarded = await buildTestApp({ apiToken: 's3cret', readTokenRequired: true });
  const url = await listen(guarded);
  try {
    const res = await fetch(`${url}/events`);
    assert.equal(res.status, 401);
    assert.match(res.headers.get('www-authenticate')!, /^Bearer/);
    const ok = openStream(`${url}/events`, { authorization: 'Bearer s3cret' });
    await ok.ready;
    assert.equal(ok.status, 200);
    ok.close();
  } finally {
    await guarded.close();
  }
});

test('HEAD /events › answers at once: 200 with the stream\'s headers and no body', async () => {
  const res = await fetch(`${base}/events?topic=orders`, { method: 'HEAD', signal: AbortSignal.timeout(5000) });
  assert.equal(res.status, 200);
  assert.match(res.headers.get('content-type')!, /^text\/event-stream; charset=utf-8/);
  assert.equal(res.headers.get('cache-control'), 'no-store');
  assert.equal(res.headers.get('x-content-type-options'), 'nosniff');
  assert.equal(await res.text(), '');
  const bad = await fetch(`${base}/events?topic=invoices`, { method: 'HEAD', signal: AbortSignal.timeout(5000) });
  assert.equal(bad.status, 400, 'a topic GET would refuse is refused the same');
});
