import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import WebSocket from 'ws';
import type { App } from '../src/app.js';
import { buildCustomer, buildTestApp, createCustomer, createOrder, listen } from './helpers.js';

let app: App;
let base: string;
before(async () => {
  app = await buildTestApp();
  base = await listen(app);
});
after(() => app.close());

async function scrape(): Promise<{ status: number; type: string | null; body: string }> {
  const res = await fetch(`${base}/metrics`);
  return { status: res.status, type: res.headers.get('content-type'), body: await res.text() };
}

/** The value of one sample line, e.g. `boutique_http_requests_total{method="GET",…} 3`. */
function sample(body: string, name: string, labels: Record<string, string> = {}): number | undefined {
  for (const line of body.split('\n')) {
    if (!line.startsWith(name + '{') && !line.startsWith(name + ' ')) continue;
    if (Object.entries(labels).every(([k, v]) => line.includes(`${k}="${v}"`))) return Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return undefined;
}

test('GET /metrics › answers Prometheus text with version 0.0.4', async () => {
  const res = await scrape();
  assert.equal(res.status, 200);
  assert.equal(res.type, 'text/plain; version=0.0.4; charset=utf-8');
  assert.match(res.body, /^# HELP boutique_http_requests_total /m);
  assert.match(res.body, /^# TYPE boutique_http_request_duration_seconds histogram$/m);
});

test('GET /metrics › counts requests by route pattern and status, not by raw URL', async () => {
  const customer = await createCustomer(app);
  await createOrder(app, customer.id);
  for (let i = 0; i < 3; i++) assert.equal((await fetch(`${base}/customers/${customer.id}`)).status, 200);
  assert.equal((await fetch(`${base}/customers/999999`)).status, 404);
  assert.equal((await fetch(`${base}/no/such/path`)).status, 404);
  const { body } = await scrape();
  assert.equal(sample(body, 'boutique_http_requests_total', { method: 'GET', route: '/customers/:id', status: '200' }), 3);
  assert.equal(sample(body, 'boutique_http_requests_total', { method: 'GET', route: '/customers/:id', status: '404' }), 1);
  assert.equal(sample(body, 'boutique_http_requests_total', { route: 'unmatched', status: '404' }), 1);
  assert.ok(!body.includes(`/customers/${customer.id}"`), 'no raw URL as a label');
  assert.equal(sample(body, 'boutique_http_request_duration_seconds_bucket', { route: '/customers/:id', status: '200', le: '+Inf' }), 3);
  assert.equal(sample(body, 'boutique_http_request_duration_seconds_count', { route: '/customers/:id', status: '200' }), 3);
});

test('GET /metrics › times every answer, and counts an event stream once it opens', async () => {
  const before = sample((await scrape()).body, 'boutique_http_requests_total', { method: 'GET', route: '/events', status: '200' }) ?? 0;
  const controller = new AbortController();
  const stream = await fetch(`${base}/events?topic=customers`, { signal: controller.signal });
  assert.equal(stream.status, 200);
  const reader = stream.body!.getReader();
  await reader.read();
  const { body } = await scrape();
  controller.abort();
  await reader.cancel().catch(() => {});
  assert.equal(sample(body, 'boutique_http_requests_total', { method: 'GET', route: '/events', status: '200' }), before + 1);
  // The answers are timed from the request's start: a sum of zero would mean nobody timed them.
  assert.ok((sample(body, 'boutique_http_request_duration_seconds_sum', { method: 'GET', route: '/events', status: '200' }) ?? 0) > 0);
  assert.ok((sample(body, 'boutique_http_request_duration_seconds_sum', { method: 'GET', route: '/metrics', status: '200' }) ?? 0) > 0);
});

test('GET /metrics › reports database query latency, change events, the change-log head and the writes per commit', async () => {
  const before = sample((await scrape()).body, 'boutique_change_log_head') ?? 0;
  await Promise.all([createCustomer(app), createCustomer(app), createCustomer(app)]);
  const { body } = await scrape();
  assert.ok((sample(body, 'boutique_db_query_duration_seconds_count', { dialect: 'sqlite', outcome: 'ok' }) ?? 0) > 0);
  assert.ok((sample(body, 'boutique_change_events_total', { topic: 'customers' }) ?? 0) >= 3);
  assert.equal(sample(body, 'boutique_change_log_head'), before + 3);
  assert.ok((sample(body, 'boutique_write_batch_size_sum') ?? 0) >= 3, 'every write counted in a commit');
  assert.ok((sample(body, 'boutique_write_batch_size_count') ?? 0) >= 1);
});

test('group commit › creates sent together on separate connections share commits, and each 201 is its own', async () => {
  const before = (await scrape()).body;
  const writesBefore = sample(before, 'boutique_write_batch_size_sum') ?? 0;
  const commitsBefore = sample(before, 'boutique_write_batch_size_count') ?? 0;
  const port = Number(new URL(base).port);
  const sockets = await Promise.all(Array.from({ length: 48 }, () => new Promise<net.Socket>((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1', () => resolve(socket)).once('error', reject);
  })));
  /** The next whole response on a socket. */
  const answer = (socket: net.Socket) => new Promise<string>((resolve) => {
    let text = '';
    const onData = (chunk: Buffer) => {
      text += chunk.toString('utf8');
      const end = text.indexOf('\r\n\r\n');
      if (end < 0 || text.length < end + 4 + Number(/content-length: (\d+)/i.exec(text)?.[1] ?? 0)) return;
      socket.off('data', onData);
      resolve(text);
    };
    socket.on('data', onData);
  });
  // Connections in use, as a loaded server's are: each has been read from and answered once.
  await Promise.all(sockets.map((socket) => {
    const answered = answer(socket);
    socket.write('GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n');
    return answered;
  }));
  const answers = sockets.map(answer);
  // Every request written in one turn of this process: they reach the server together, as a loaded server's do.
  sockets.forEach((socket, i) => {
    const body = JSON.stringify(buildCustomer({ name: `Together ${i}` }));
    socket.write(`POST /customers HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`);
  });
  const texts = await Promise.all(answers);
  for (const socket of sockets) socket.destroy();
  assert.ok(texts.every((text) => text.startsWith('HTTP/1.1 201 ')), 'every create answered 201');
  const ids = texts.map((text) => /location: \/customers\/(\d+)/i.exec(text)?.[1]);
  assert.equal(new Set(ids).size, 48, 'each with its own customer');
  const after = (await scrape()).body;
  const writes = (sample(after, 'boutique_write_batch_size_sum') ?? 0) - writesBefore;
  const commits = (sample(after, 'boutique_write_batch_size_count') ?? 0) - commitsBefore;
  assert.equal(writes, 48);
  // Committed one by one they would take 48 commits (48 fsyncs under synchronous=FULL).
  assert.ok(commits < writes / 2, `48 writes took ${commits} commits`);
});

test('GET /metrics › times bus signals (user lists) by outcome', async () => {
  const ws = new WebSocket(base.replace('http', 'ws') + '/socketserver');
  await new Promise<void>((resolve, reject) => ws.once('open', () => resolve()).once('error', reject));
  ws.send(JSON.stringify({ type: 'username', name: 'metered', date: 1 }));
  await new Promise<void>((resolve) => ws.on('message', (d) => String(d).includes('"username"') && resolve()));
  assert.ok((sample((await scrape()).body, 'boutique_bus_publish_duration_seconds_count', { operation: 'signal', outcome: 'ok' }) ?? 0) > 0);
  const closed = new Promise((resolve) => ws.once('close', resolve));
  ws.close();
  await closed;
  await new Promise((resolve) => setTimeout(resolve, 50));
});

test('GET /metrics › the connection gauge follows open WebSockets', async () => {
  assert.equal(sample((await scrape()).body, 'boutique_websocket_connections'), 0);
  const ws = new WebSocket(base.replace('http', 'ws') + '/socketserver');
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('error', reject);
  });
  assert.equal(sample((await scrape()).body, 'boutique_websocket_connections'), 1);
  const closed = new Promise((resolve) => ws.once('close', resolve));
  ws.close();
  await closed;
  // The server sees the close a moment after the client does.
  for (let i = 0; i < 50 && app.services.chat.connections() > 0; i++) await new Promise((r) => setTimeout(r, 10));
  assert.equal(sample((await scrape()).body, 'boutique_websocket_connections'), 0);
});

test('app.metrics › the chat counters appear under their names once counted', async () => {
  app.metrics.countChatFrame('in', 'message');
  app.metrics.countChatFrame('out', 'message', 3);
  app.metrics.countDroppedClient('slow_reader');
  const { body } = await scrape();
  assert.equal(sample(body, 'boutique_chat_frames_total', { direction: 'in', type: 'message' }), 1);
  assert.equal(sample(body, 'boutique_chat_frames_total', { direction: 'out', type: 'message' }), 3);
  assert.equal(sample(body, 'boutique_websocket_dropped_clients_total', { reason: 'slow_reader' }), 1);
});

test('createMetrics › two apps in one process keep separate registries', async () => {
  const other = await buildTestApp();
  try {
    await other.inject({ method: 'GET', url: '/healthz' });
    const res = await other.inject({ method: 'GET', url: '/metrics' });
    assert.equal(sample(res.body, 'boutique_http_requests_total', { route: '/healthz' }), 1);
    assert.equal(sample(res.body, 'boutique_http_requests_total', { route: '/customers/:id' }), undefined);
  } finally {
    await other.close();
  }
});
