/**
 * The typed client (src/client/index.ts, `boutique/client`) in Node 20 against a real server:
 * REST calls typed and their problems thrown as BoutiqueApiError, live queries kept exact through
 * a dropped connection (resume), through a reset (the log no longer holds the gap), and past the
 * snapshot limit (first page + after), chat between two clients. The browser side runs it
 * through /chat and /dashboard (test/chat-browser.test.ts, test/dashboard-browser.test.ts).
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import WebSocket from 'ws';
import { Boutique, BoutiqueApiError, canonicalQuery, type BoutiqueSocket, type Customer, type LiveQuery, type Order, type ServerFrame, type WebSocketConstructor } from '../src/client/index.js';
import { startApp, type Running } from './chat-helpers.js';
import { startTcpProxy, type TcpProxy } from './services.js';
import { buildCustomer } from './helpers.js';

const WS = WebSocket as unknown as WebSocketConstructor;

async function until(what: string, check: () => boolean | Promise<boolean>, ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** The live copy equals the REST list, row for row. */
async function sameAsList<T extends { id: number }>(shop: Boutique, live: LiveQuery<T>, path: string): Promise<boolean> {
  const [base, query = ''] = path.split('?');
  const page = await shop.page<T>(base!, { ...Object.fromEntries(new URLSearchParams(query)), per_page: 100, sort: 'id' });
  const rows = [...live.rows.values()].sort((a, b) => a.id - b.id);
  return JSON.stringify(rows) === JSON.stringify(page.items);
}

describe('the typed client in Node', () => {
  let running: Running;
  let proxy: TcpProxy;
  let shop: Boutique;
  let sockets: BoutiqueSocket[] = [];
  before(async () => {
    running = await startApp({ liveSnapshotMax: 5, logRetentionCount: 100 });
    proxy = await startTcpProxy(running.httpUrl);
    shop = new Boutique({ baseUrl: running.httpUrl, WebSocket: WS });
  });
  after(async () => {
    for (const s of sockets) s.close();
    await proxy.close();
    await running.close();
  });
  const open = (api = shop) => {
    const socket = api.socket({ maxDelayMs: 300 });
    sockets.push(socket);
    return socket;
  };

  it('REST: typed reads and writes with ETags and positions; a refusal is a BoutiqueApiError with the problem', async () => {
    const created = await shop.customers.create(buildCustomer({ name: 'Client Carla' }));
    const carla: Customer = created.data;
    assert.equal(carla.name, 'Client Carla');
    assert.ok(created.position > 0 && created.etag);
    const read = await shop.customers.get(carla.id);
    assert.deepEqual(read.data, carla);
    const renamed = await shop.customers.update(carla.id, { name: 'Carla C.' }, read.etag);
    assert.equal(renamed.data.name, 'Carla C.');
    await assert.rejects(shop.customers.update(carla.id, { name: 'Stale' }, read.etag), (err: unknown) => {
      assert.ok(err instanceof BoutiqueApiError);
      assert.equal(err.status, 412);
      assert.equal(err.problem.title, 'Precondition failed');
      return true;
    });
    await assert.rejects(shop.customers.create({ name: 'x', email: 'not an email' }), (err: unknown) => err instanceof BoutiqueApiError && err.status === 422 && err.problem.errors?.[0]?.field === 'email');
    await assert.rejects(shop.orders.list({ status: 'bogus' as never }), (err: unknown) => err instanceof BoutiqueApiError && err.status === 400 && /must be one of pending, paid, shipped, cancelled/.test(err.problem.detail));
    const order: Order = (await shop.orders.create(carla.id, [{ sku: 'TEE', quantity: 2, unitPrice: 500 }])).data;
    assert.equal(order.total, 1000);
    const page = await shop.orders.ofCustomer(carla.id, { status: 'pending' });
    assert.deepEqual(page.items.map((o) => o.id), [order.id]);
    assert.equal(page.total, 1);
    assert.ok((await shop.orders.delete(carla.id, order.id)) > page.position);
    await assert.rejects(shop.orders.get(carla.id, order.id), (err: unknown) => err instanceof BoutiqueApiError && err.status === 404);
  });

  it('a live query starts from its snapshot and stays equal to the list as orders enter and leave it', async () => {
    const socket = open();
    const customer = (await shop.customers.create(buildCustomer())).data;
    const first = (await shop.orders.create(customer.id, [{ sku: 'MUG', quantity: 1, unitPrice: 100 }])).data;
    await shop.orders.update(customer.id, first.id, { status: 'paid' });
    const query = `/orders?status=paid&customerId=${customer.id}`;
    const paid = socket.watch<Order>(query);
    const changes: string[] = [];
    paid.on('change', (_rows, frame) => changes.push(String(frame.type === 'event' ? frame.action : frame.type)));
    await until('the snapshot', () => paid.ready);
    assert.equal(paid.key, canonicalQuery(query));
    assert.deepEqual([...paid.rows.keys()], [first.id]);
    const second = (await shop.orders.create(customer.id, [{ sku: 'MUG', quantity: 1, unitPrice: 100 }])).data;
    await shop.orders.update(customer.id, second.id, { status: 'paid' });
    await shop.orders.update(customer.id, first.id, { status: 'shipped' });
    await until('entered and left', () => paid.rows.has(second.id) && !paid.rows.has(first.id));
    assert.deepEqual(changes, ['snapshot', 'entered', 'left']);
    assert.ok(await sameAsList(shop, paid, query));
  });

  it('after the connection drops, it reconnects, resumes, and the copy catches up with what changed meanwhile', async () => {
    const viaProxy = new Boutique({ baseUrl: `http://127.0.0.1:${proxy.port}`, WebSocket: WS });
    const socket = open(viaProxy);
    const statuses: string[] = [];
    socket.on('status', (f: ServerFrame) => statuses.push(String(f.status)));
    const customer = (await shop.customers.create(buildCustomer({ name: 'Dropped Dora' }))).data;
    const query = `/customers/${customer.id}/orders`;
    const live = socket.watch<Order>(query);
    await until('the snapshot', () => live.ready);
    const session = socket.session;
    proxy.cut();
    await until('the drop', () => socket.status === 'reconnecting');
    for (let i = 0; i < 3; i++) await shop.orders.create(customer.id, [{ sku: `GAP-${i}`, quantity: 1, unitPrice: 1 }]);
    proxy.restore();
    await until('the resume', async () => live.rows.size === 3 && (await sameAsList(shop, live, query)));
    assert.equal(socket.session, session, 'the same session, resumed');
    assert.deepEqual(statuses.slice(-2), ['reconnecting', 'open']);
  });

  it('when the log no longer holds what it missed, the server resets the query and the client starts it again from a snapshot', async () => {
    const viaProxy = new Boutique({ baseUrl: `http://127.0.0.1:${proxy.port}`, WebSocket: WS });
    const socket = open(viaProxy);
    const customer = (await shop.customers.create(buildCustomer({ name: 'Reset Rosa' }))).data;
    const query = `/customers/${customer.id}/orders`;
    const live = socket.watch<Order>(query);
    await until('the snapshot', () => live.ready);
    const frames: string[] = [];
    socket.on('frame', (f) => frames.push(f.type));
    proxy.cut();
    await until('the drop', () => socket.status === 'reconnecting');
    // 150 changes elsewhere, and retention keeps the newest 100: the copy's position is gone.
    const other = (await shop.customers.create(buildCustomer())).data;
    for (let i = 0; i < 150; i++) await shop.customers.update(other.id, { name: `Churn ${i}` });
    await shop.orders.create(customer.id, [{ sku: 'AFTER', quantity: 1, unitPrice: 1 }]);
    await running.app.services.retention.prune();
    proxy.restore();
    await until('the copy again', async () => live.rows.size === 1 && (await sameAsList(shop, live, query)));
    // The session could not resume (RESUME_FAILED, a new id); the query asked again after its seq, got a reset, then a snapshot.
    assert.deepEqual(frames.filter((f) => f === 'reset' || f === 'snapshot' || f === 'id'), ['id', 'reset', 'snapshot'], frames.join(','));
  });

  it('more rows than a snapshot holds: the first page over HTTP, then the changes after its position', async () => {
    const socket = open();
    const customer = (await shop.customers.create(buildCustomer())).data;
    for (let i = 0; i < 7; i++) await shop.orders.create(customer.id, [{ sku: `MANY-${i}`, quantity: 1, unitPrice: 1 }]);
    const query = `/customers/${customer.id}/orders`;
    const live = socket.watch<Order>(query);
    const refused: ServerFrame[] = [];
    live.on('error', (f) => refused.push(f));
    await until('the page', () => live.ready && live.rows.size === 7);
    assert.equal(refused[0]?.code, 'BAD_REQUEST');
    await shop.orders.create(customer.id, [{ sku: 'MANY-8', quantity: 1, unitPrice: 1 }]);
    await until('the eighth', async () => live.rows.size === 8 && (await sameAsList(shop, live, query)));
  });

  it('chat: names, rooms and messages between two clients', async () => {
    const a = open();
    const b = open();
    await until('both open', () => a.status === 'open' && b.status === 'open' && a.id !== undefined && b.id !== undefined);
    a.chooseName('clientann');
    await until('a name', () => a.name === 'clientann');
    const got: ServerFrame[] = [];
    b.on('message', (f) => got.push(f));
    b.join('client-room');
    a.join('client-room');
    await new Promise((r) => setTimeout(r, 100));
    assert.ok(a.say('hello <you>', 'client-room'));
    await until('the message', () => got.length === 1);
    assert.deepEqual([got[0]!.name, got[0]!.text, got[0]!.room], ['clientann', 'hello &lt;you&gt;', 'client-room']);
  });

  it('on Node without a WebSocket, says what to pass', () => {
    assert.throws(() => new Boutique({ baseUrl: running.httpUrl }).socket(), /pass one, e\.g\. `import WebSocket from "ws"`/);
  });
});
