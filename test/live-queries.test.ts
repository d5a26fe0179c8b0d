/**
 * Live queries (a REST list's path and filters, subscribed to) as a client sees them: entered and
 * left, the GET's own refusals, read-auth, the snapshot and its limit, one subscription for the
 * same query written two ways, resume and Last-Event-ID. The property that snapshot + events equals
 * the list is test/live-query-property.test.ts.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { startApp, TestClient, type Frame, type Running } from './chat-helpers.js';
import { openStream } from './sse-client.js';
import { buildCustomer, buildOrder } from './helpers.js';

const TOKEN = 'live-queries-token-0123456789';

async function send(running: Running, method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<{ status: number; body: Record<string, unknown>; position: number }> {
  const res = await fetch(running.httpUrl + path, {
    method,
    headers: { ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...headers },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, body: text ? (JSON.parse(text) as Record<string, unknown>) : {}, position: Number(res.headers.get('boutique-log-position')) };
}

const strip = (frame: Frame) => ({ type: frame.type, query: frame.query, action: frame.action, id: (frame.data as { id?: number } | undefined)?.id, status: (frame.data as { status?: string } | undefined)?.status });

describe('live queries', () => {
  let running: Running;
  before(async () => {
    running = await startApp({ liveSnapshotMax: 3 });
  });
  after(() => running.close());

  it('an order paid enters ?status=paid and leaves ?status=pending; shipped, it leaves ?status=paid — over WebSocket and SSE alike', async () => {
    const customer = await send(running, 'POST', '/customers', buildCustomer());
    const id = customer.body.id as number;
    const client = await TestClient.connect(running.wsUrl);
    client.send({ type: 'subscribe', query: `/orders?status=paid&customerId=${id}` });
    client.send({ type: 'subscribe', query: `/customers/${id}/orders?status=pending` });
    assert.deepEqual(await client.next('subscribed'), { type: 'subscribed', query: `/orders?customerId=${id}&status=paid`, seq: customer.position });
    assert.deepEqual(await client.next('subscribed'), { type: 'subscribed', query: `/customers/${id}/orders?status=pending`, seq: customer.position });
    const stream = openStream(`${running.httpUrl}/events/orders?customerId=${id}&status=paid`);
    await stream.ready;
    assert.equal(stream.status, 200);
    assert.match(String(stream.headers['content-type']), /^text\/event-stream/);

    const order = await send(running, 'POST', `/customers/${id}/orders`, buildOrder());
    const orderId = order.body.id as number;
    await send(running, 'PATCH', `/customers/${id}/orders/${orderId}`, { status: 'paid' });
    await send(running, 'PATCH', `/customers/${id}/orders/${orderId}`, { status: 'shipped' });
    const paid = `/orders?customerId=${id}&status=paid`;
    const pending = `/customers/${id}/orders?status=pending`;
    const frames = [await client.next('event'), await client.next('event'), await client.next('event')].map(strip);
    assert.deepEqual(frames, [
      { type: 'event', query: pending, action: 'created', id: orderId, status: 'pending' },
      { type: 'event', query: paid, action: 'entered', id: orderId, status: 'paid' },
      { type: 'event', query: pending, action: 'left', id: orderId, status: 'paid' },
    ]);
    assert.deepEqual(strip(await client.next('event')), { type: 'event', query: paid, action: 'left', id: orderId, status: 'shipped' });
    const events = await stream.waitFor(2);
    assert.deepEqual(events.map((e) => strip(e.data as Frame)), [
      { type: 'event', query: paid, action: 'entered', id: orderId, status: 'paid' },
      { type: 'event', query: paid, action: 'left', id: orderId, status: 'shipped' },
    ]);
    assert.deepEqual(events.map((e) => Number(e.id)), events.map((e) => e.data.seq));
    stream.close();
    client.close();
  });

  it('the same query written two ways is one subscription: the same key, the same frames', async () => {
    const a = await TestClient.connect(running.wsUrl);
    const b = await TestClient.connect(running.wsUrl);
    a.send({ type: 'subscribe', query: '/customers?q=%20Twin%20&name=Twin%20Peaks' });
    b.send({ type: 'subscribe', query: '/customers?name=Twin+Peaks&q=Twin' });
    const key = '/customers?name=Twin+Peaks&q=Twin';
    assert.equal((await a.next('subscribed')).query, key);
    assert.equal((await b.next('subscribed')).query, key);
    await send(running, 'POST', '/customers', buildCustomer({ name: 'Twin Peaks' }));
    await send(running, 'POST', '/customers', buildCustomer({ name: 'Twin Peaks Too' }));
    const [x, y] = [await a.next('event'), await b.next('event')];
    assert.deepEqual(x, y);
    assert.equal(x.query, key);
    assert.deepEqual(await a.drain(100), [], 'the other customer is not named exactly "Twin Peaks"');
    // Unsubscribing in other words ends it too.
    a.send({ type: 'unsubscribe', query: '/customers?q=twin&name=Twin%20Peaks' });
    assert.deepEqual(await a.next('unsubscribed'), { type: 'unsubscribed', query: '/customers?name=Twin+Peaks&q=twin' });
    a.send({ type: 'unsubscribe', query: '/customers?q=Twin&name=Twin+Peaks' });
    assert.deepEqual(await a.next('unsubscribed'), { type: 'unsubscribed', query: key });
    await send(running, 'POST', '/customers', buildCustomer({ name: 'Twin Peaks' }));
    assert.equal((await b.next('event')).action, 'created');
    assert.deepEqual((await a.drain(100)).filter((f) => f.type === 'event'), []);
    a.close();
    b.close();
  });

  it('a bad query is refused with the GET’s own problem: the same code, detail and field errors, as a 400 on SSE and an error frame on WebSocket', async () => {
    const client = await TestClient.connect(running.wsUrl);
    const cases = ['/orders?status=bogus', '/orders?customerId=abc', '/customers?sort=nope', `/customers?q=${'x'.repeat(201)}`, '/customers?colour=red', '/orders?status=paid&status=shipped'];
    for (const query of cases) {
      const get = await send(running, 'GET', query);
      assert.equal(get.status, 400, query);
      const sse = await send(running, 'GET', '/events' + query);
      assert.equal(sse.status, 400, query);
      assert.deepEqual({ ...sse.body, instance: undefined }, { ...get.body, instance: undefined }, query);
      client.send({ type: 'subscribe', query });
      const error = await client.next('error');
      assert.deepEqual(error, { type: 'error', code: 'BAD_REQUEST', message: get.body.detail, errors: get.body.errors, query }, query);
    }
    // The enum's message names every status.
    client.send({ type: 'subscribe', query: '/orders?status=bogus' });
    assert.equal((await client.next('error')).message, 'query parameter "status" must be one of pending, paid, shipped, cancelled');
    // Paging belongs to pages, not to streams.
    client.send({ type: 'subscribe', query: '/orders?page=2' });
    assert.deepEqual((await client.next('error')).errors, [{ field: 'page', message: 'is not a known field' }]);
    // Not a list: 404 as the GET of a path that is not there; a parent that is not there, 404 as its GET (with a snapshot).
    client.send({ type: 'subscribe', query: '/customers/1' });
    const notList = await client.next('error');
    assert.equal(notList.code, 'NOT_FOUND');
    assert.match(String(notList.message), /live queries are \/customers, \/orders and \/customers\/\{id\}\/orders/);
    client.send({ type: 'subscribe', query: '/customers/abc/orders' });
    assert.deepEqual(await client.next('error'), { type: 'error', code: 'NOT_FOUND', message: 'No resource exists at this path.', query: '/customers/abc/orders' });
    const missing = await send(running, 'GET', '/customers/999999/orders');
    client.send({ type: 'subscribe', query: '/customers/999999/orders', snapshot: true });
    assert.deepEqual(await client.next('error'), { type: 'error', code: 'NOT_FOUND', message: missing.body.detail, query: '/customers/999999/orders' });
    assert.equal((await send(running, 'GET', '/events/customers/999999/orders?snapshot=true')).status, 404);
    // A field of the wrong kind.
    client.sendInvalid({ type: 'subscribe', query: '/orders', snapshot: 'yes' });
    assert.equal((await client.next('error')).code, 'MISSING_FIELD');
    client.sendInvalid({ type: 'subscribe', query: '/orders', topic: 'orders' });
    assert.equal((await client.next('error')).code, 'MISSING_FIELD');
    // HEAD answers the stream's headers, or the same 400.
    const head = await fetch(`${running.httpUrl}/events/orders?status=paid`, { method: 'HEAD' });
    assert.equal(head.status, 200);
    assert.match(String(head.headers.get('content-type')), /^text\/event-stream/);
    assert.equal((await fetch(`${running.httpUrl}/events/orders?status=bogus`, { method: 'HEAD' })).status, 400);
    client.close();
  });

  it('a snapshot holds the rows at a position, then the changes after it; more rows than LIVE_SNAPSHOT_MAX is a 400 naming the limit', async () => {
    const customer = await send(running, 'POST', '/customers', buildCustomer());
    const id = customer.body.id as number;
    const created: number[] = [];
    for (let i = 0; i < 3; i++) created.push((await send(running, 'POST', `/customers/${id}/orders`, buildOrder())).body.id as number);
    const client = await TestClient.connect(running.wsUrl);
    client.send({ type: 'subscribe', query: `/customers/${id}/orders?sort=-id`, snapshot: true });
    const snapshot = await client.next('snapshot');
    assert.deepEqual((snapshot.data as { id: number }[]).map((o) => o.id), [...created].reverse(), 'in the order sort asks for');
    const list = await send(running, 'GET', `/customers/${id}/orders`);
    assert.equal(snapshot.seq, list.position);
    assert.deepEqual(await client.next('subscribed'), { type: 'subscribed', query: `/customers/${id}/orders`, seq: list.position });

    const sse = openStream(`${running.httpUrl}/events/customers/${id}/orders?snapshot=true`);
    const [first] = await sse.waitFor(1);
    assert.equal(first!.id, String(list.position));
    assert.deepEqual(first!.data, { ...snapshot, data: [...(snapshot.data as unknown[])].reverse() });
    sse.close();

    const fourth = await send(running, 'POST', `/customers/${id}/orders`, buildOrder());
    assert.equal((await client.next('event')).seq, fourth.position);
    client.send({ type: 'subscribe', query: `/customers/${id}/orders`, snapshot: true });
    const tooMany = await client.next('error');
    assert.equal(tooMany.code, 'BAD_REQUEST');
    assert.match(String(tooMany.message), /matches 4 rows, more than a snapshot holds \(3, LIVE_SNAPSHOT_MAX\)/);
    assert.deepEqual(tooMany.errors, [{ field: 'snapshot', message: 'is limited to 3 rows' }]);
    const refused = await send(running, 'GET', `/events/customers/${id}/orders?snapshot=true`);
    assert.equal(refused.status, 400);
    assert.equal(refused.body.detail, tooMany.message);
    client.close();
  });

  it('an EventSource reconnecting with Last-Event-ID to a snapshot URL resumes after it, without the snapshot again', async () => {
    const customer = await send(running, 'POST', '/customers', buildCustomer({ name: 'Resuming Rita' }));
    const url = `${running.httpUrl}/events/customers?q=rita&snapshot=true`;
    const first = openStream(url);
    const [snapshot] = await first.waitFor(1);
    assert.equal(snapshot!.data.type, 'snapshot');
    first.close();
    const renamed = await send(running, 'PATCH', `/customers/${customer.body.id}`, { name: 'Rita Renamed' });
    await send(running, 'PATCH', `/customers/${customer.body.id}`, { name: 'Nobody' });
    const again = openStream(url, { 'last-event-id': snapshot!.id! });
    const events = await again.waitFor(2);
    assert.deepEqual(events.map((e) => [e.data.type, e.data.action, e.data.seq]), [
      ['event', 'updated', renamed.position],
      ['event', 'left', renamed.position + 1],
    ]);
    again.close();
  });

  it('a resumed session keeps its live queries and gets the events it missed', async () => {
    const client = await TestClient.connect(running.wsUrl);
    client.send({ type: 'subscribe', query: '/customers?q=resumer' });
    const { seq } = await client.next('subscribed');
    const session = client.session;
    client.close();
    await client.closed;
    const made = await send(running, 'POST', '/customers', buildCustomer({ name: 'Resumer Rex' }));
    await send(running, 'POST', '/customers', buildCustomer({ name: 'Someone Else' }));
    const back = await TestClient.open(`${running.wsUrl}?session=${session}&seq=${String(seq)}`, 'json');
    const resumed = await back.next('resumed');
    assert.deepEqual(resumed.topics, ['/customers?q=resumer']);
    assert.equal(resumed.missed, 1);
    const missed = await back.next('event');
    assert.deepEqual([missed.query, missed.action, missed.seq], ['/customers?q=resumer', 'created', made.position]);
    back.close();
  });
});

describe('live queries with BOUTIQUE_READ_TOKEN_REQUIRED', () => {
  let running: Running;
  before(async () => {
    running = await startApp({ apiToken: TOKEN, readTokenRequired: true });
  });
  after(() => running.close());

  it('need the token like the GET: refused without it on both transports, served with it', async () => {
    const client = await TestClient.connect(running.wsUrl);
    client.send({ type: 'subscribe', query: '/orders?status=paid', snapshot: true });
    assert.equal((await client.next('error')).code, 'UNAUTHORIZED');
    client.send({ type: 'subscribe', query: '/orders?status=paid', snapshot: true, token: TOKEN });
    assert.equal((await client.next('snapshot')).query, '/orders?status=paid');
    client.close();
    assert.equal((await send(running, 'GET', '/orders?status=paid')).status, 401);
    assert.equal((await send(running, 'GET', '/events/orders?status=paid&snapshot=true')).status, 401);
    const stream = openStream(`${running.httpUrl}/events/orders?status=paid&snapshot=true`, { authorization: `Bearer ${TOKEN}` });
    const [snapshot] = await stream.waitFor(1);
    assert.equal(snapshot!.data.type, 'snapshot');
    stream.close();
  });
});
