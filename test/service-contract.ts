/**
 * The service contract: one suite, run against every storage backend (like hono's
 * `router/common.case.test.ts`). test/service-sqlite.test.ts and test/service-postgres.test.ts
 * call `serviceContract` with their database URL; a backend is done when the whole suite passes.
 * It drives the resources' services — the one write path — and the chat store, and checks what a
 * caller sees: presented values, versions, the changes each write reports, and the errors.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { openStorage } from '../src/store/open.js';
import type { Storage } from '../src/store/types.js';
import { WritePath } from '../src/store/write-path.js';
import { ChangeLog, type LogEntry } from '../src/store/change-log.js';
import { logEntryOf } from '../src/store/write-path.js';
import { Registry } from '../src/resources/registry.js';
import { BoutiqueError } from '../src/errors.js';
import type { ListParams } from '../src/store/list.js';
import type { CustomerFilters } from '../src/resources/customers/repository.js';
import type { OrderFilters } from '../src/resources/orders/repository.js';
import type { CustomerSortField } from '../src/resources/customers/schema.js';
import type { OrderSortField } from '../src/resources/orders/schema.js';
import type { CustomerService } from '../src/resources/customers/service.js';
import type { OrderService } from '../src/resources/orders/service.js';
import type { Precondition } from '../src/store/precondition.js';
import { ChatStore } from '../src/chat/store.js';
import { NO_CACHE } from '../src/http/data-clock.js';

/** A token no other row contains, so `q` and filters see only this test's rows. */
const token = (): string => 'tk' + randomBytes(5).toString('hex');
let counter = 0;

function buildCustomer(overrides: Partial<{ name: string; email: string }> = {}): { name: string; email: string } {
  counter += 1;
  return { name: `Customer ${counter}`, email: `c${counter}.${token()}@example.org`, ...overrides };
}

const buildItems = () => [
  { sku: 'TSHIRT-M', quantity: 2, unitPrice: 1999 },
  { sku: 'MUG', quantity: 1, unitPrice: 1250 },
];

function customerQuery(overrides: Partial<ListParams<CustomerSortField, CustomerFilters>> = {}): ListParams<CustomerSortField, CustomerFilters> {
  return { page: 1, perPage: 20, sort: [], q: undefined, filters: {}, ...overrides };
}

function orderQuery(overrides: Partial<ListParams<OrderSortField, OrderFilters>> = {}): ListParams<OrderSortField, OrderFilters> {
  return { page: 1, perPage: 20, sort: [], q: undefined, filters: {}, ...overrides };
}

/** If-Match naming `version` (as the HTTP layer reads it from a tag). */
const at = (version: string): Precondition => ({ matches: (v) => v === version });

const rejectsWith = (status: number, field?: string) => (err: unknown) => {
  assert.ok(err instanceof BoutiqueError, String(err));
  assert.equal(err.status, status);
  if (field !== undefined) assert.equal(err.extra.errors?.[0]?.field, field);
  return true;
};

interface Shop {
  storage: Storage;
  log: ChangeLog;
  customers: CustomerService;
  orders: OrderService;
  chat: ChatStore;
  writes: WritePath;
  /** Every log entry the write path handed on after a commit, in order. */
  committed: LogEntry[];
}

async function openShop(databaseUrl: string): Promise<Shop> {
  const registry = new Registry();
  const storage = await openStorage({ databaseUrl }, { migrations: registry.migrations });
  const committed: LogEntry[] = [];
  const log = new ChangeLog(storage.db);
  const writes = new WritePath(storage, log, (entries) => committed.push(...entries));
  const mounted = registry.mount({ storage, writes, clock: NO_CACHE });
  return {
    storage,
    log,
    customers: mounted.service('customers') as CustomerService,
    orders: mounted.service('orders') as OrderService,
    chat: new ChatStore(storage.db, storage.run),
    writes,
    committed,
  };
}

export function serviceContract(label: string, databaseUrl: () => Promise<string>, options: { skip?: string | false } = {}): void {
  if (options.skip) {
    // A skipped test (not a skipped suite) so the run's summary counts it and prints why.
    test(`service contract (${label})`, { skip: options.skip }, () => {});
    return;
  }
  describe(`service contract (${label})`, () => {
    let shop: Shop;
    before(async () => {
      shop = await openShop(await databaseUrl());
    });
    after(async () => {
      await shop?.storage.close();
    });
    const listCustomers = async (q: ListParams<CustomerSortField, CustomerFilters>) => (await shop.customers.list(q)).value;
    const listOrders = async (q: ListParams<OrderSortField, OrderFilters>) => (await shop.orders.list(q)).value!;
    const getCustomer = async (id: number) => (await shop.customers.get(id)).value;
    const getOrder = async (customerId: number, id: number) => (await shop.orders.get(customerId, id)).value;
    const newCustomer = async (overrides: Partial<{ name: string; email: string }> = {}) => (await shop.customers.create(buildCustomer(overrides))).value.value;
    const newOrder = async (customerId: number, items = buildItems()) => (await shop.orders.create(customerId, items)).value.value;

    test('ping › resolves when the database answers', async () => {
      await shop.storage.ping();
    });

    describe('customers', () => {
      test('create › assigns a numeric id and ISO timestamps, version 1, and reports one created change', async () => {
        const input = buildCustomer({ name: '  Padded Name  ' });
        const written = await shop.customers.create(input);
        const customer = written.value.value;
        assert.equal(typeof customer.id, 'number');
        assert.equal(customer.name, 'Padded Name', 'names are stored trimmed');
        assert.equal(customer.email, input.email);
        assert.equal(written.value.version, `c${customer.id}-1`);
        assert.match(customer.createdAt, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
        assert.equal(customer.createdAt, customer.updatedAt);
        assert.deepEqual(written.changes, [{ resource: 'customers', action: 'created', data: customer, previous: undefined }]);
        const logged = shop.committed.at(-1)!;
        assert.deepEqual({ channel: logged.channel, action: logged.action, data: JSON.parse(logged.data) }, { channel: 'customers', action: 'created', data: customer }, 'logged, and handed on after the commit');
        assert.equal(written.position, logged.position);
        assert.deepEqual((await getCustomer(customer.id))?.value, customer);
      });

      test('get › returns undefined for an unknown id', async () => {
        assert.equal(await getCustomer(2_000_000_000), undefined);
      });

      test('create › an email already used, ignoring case, is a 409 naming email; nothing is committed', async () => {
        const input = buildCustomer({ email: `Dup.${token()}@Example.org` });
        await shop.customers.create(input);
        const before = shop.committed.length;
        await assert.rejects(shop.customers.create(buildCustomer({ email: input.email.toLowerCase() })), rejectsWith(409, 'email'));
        assert.equal(shop.committed.length, before);
      });

      test('update › taking another customer’s email is a 409', async () => {
        const a = await newCustomer();
        const b = await newCustomer();
        await assert.rejects(shop.customers.update(b.id, { email: a.email.toUpperCase() }), rejectsWith(409, 'email'));
      });

      test('update › merges fields, increments the version, keeps createdAt, reports the previous state', async () => {
        const c = await newCustomer();
        const written = await shop.customers.update(c.id, { name: 'Renamed' });
        const updated = written.value.value;
        assert.equal(updated.name, 'Renamed');
        assert.equal(updated.email, c.email);
        assert.equal(written.value.version, `c${c.id}-2`);
        assert.equal(updated.createdAt, c.createdAt);
        assert.deepEqual(written.changes, [{ resource: 'customers', action: 'updated', data: updated, previous: c }]);
      });

      test('update › a stale If-Match is 412 and changes nothing; an unknown id is 404 with or without one', async () => {
        const c = await newCustomer();
        await shop.customers.update(c.id, { name: 'First' }, at(`c${c.id}-1`));
        await assert.rejects(shop.customers.update(c.id, { name: 'Second' }, at(`c${c.id}-1`)), rejectsWith(412));
        assert.equal((await getCustomer(c.id))?.value.name, 'First');
        await assert.rejects(shop.customers.update(2_000_000_000, { name: 'x' }), rejectsWith(404));
        await assert.rejects(shop.customers.update(2_000_000_000, { name: 'x' }, at('c2000000000-1')), rejectsWith(404));
      });

      test('update › of two concurrent writers with the same If-Match, exactly one wins', async () => {
        const c = await newCustomer();
        const results = await Promise.allSettled([shop.customers.update(c.id, { name: 'A' }, at(`c${c.id}-1`)), shop.customers.update(c.id, { name: 'B' }, at(`c${c.id}-1`))]);
        assert.equal(results.filter((r) => r.status === 'rejected' && (r.reason as BoutiqueError).status === 412).length, 1);
        assert.equal((await getCustomer(c.id))?.version, `c${c.id}-2`);
      });

      test('list › filters by email ignoring case and by exact name', async () => {
        const t = token();
        const a = await newCustomer({ name: `Ada ${t}`, email: `ada.${t}@example.org` });
        await newCustomer({ name: `Bob ${t}` });
        const byEmail = await listCustomers(customerQuery({ filters: { email: `ADA.${t}@EXAMPLE.ORG` } }));
        assert.deepEqual(byEmail.items.map((r) => r.id), [a.id]);
        assert.equal(byEmail.total, 1);
        const byName = await listCustomers(customerQuery({ filters: { name: `Ada ${t}` } }));
        assert.deepEqual(byName.items.map((r) => r.id), [a.id]);
      });

      test('list › q searches name and email ignoring case; % and _ are literal', async () => {
        const t = token();
        const a = await newCustomer({ name: `Zoë ${t}` });
        const b = await newCustomer({ email: `x.${t}@example.org` });
        await newCustomer({ name: `100%_${t}` });
        const found = await listCustomers(customerQuery({ q: t.toUpperCase(), sort: [{ field: 'id', descending: false }] }));
        assert.equal(found.total, 3);
        assert.deepEqual(found.items.slice(0, 2).map((r) => r.id), [a.id, b.id]);
        assert.equal((await listCustomers(customerQuery({ q: `%_${t}` }))).total, 1);
        assert.equal((await listCustomers(customerQuery({ q: `0_%${t}` }))).total, 0);
      });

      test('list › sorts by several keys and pages with a total', async () => {
        const t = token();
        const names = ['Carol', 'alice', 'Bob', 'Alice', 'Dave'];
        const created = [];
        for (const [i, name] of names.entries()) {
          const c = await newCustomer({ name: `${name} ${t}` });
          // Distinct creation times, whatever the clock's resolution.
          await shop.storage.db.updateTable('customers').set({ created_at: `2021-01-0${i + 1}T00:00:00.000Z` }).where('id', '=', c.id).execute();
          created.push(c);
        }
        const byCreatedDesc = await listCustomers(customerQuery({ q: t, sort: [{ field: 'createdAt', descending: true }] }));
        assert.deepEqual(byCreatedDesc.items.map((r) => r.id), [...created].reverse().map((r) => r.id));

        const page2 = await listCustomers(customerQuery({ q: t, perPage: 2, page: 2, sort: [{ field: 'createdAt', descending: false }] }));
        assert.equal(page2.total, 5);
        assert.deepEqual(page2.items.map((r) => r.id), [created[2]!.id, created[3]!.id]);
        const beyond = await listCustomers(customerQuery({ q: t, perPage: 2, page: 4 }));
        assert.deepEqual(beyond.items, []);
        assert.equal(beyond.total, 5);

        const byEmail = await listCustomers(customerQuery({ q: t, sort: [{ field: 'email', descending: false }] }));
        assert.deepEqual(byEmail.items.map((r) => r.email), [...created.map((r) => r.email)].sort());
      });

      test('delete › removes the customer and its orders (and their items) together, reporting each order then the customer', async () => {
        const c = await newCustomer();
        const o1 = await newOrder(c.id);
        const o2 = await newOrder(c.id, [{ sku: 'HAT', quantity: 3, unitPrice: 500 }]);
        const deleted = await shop.customers.delete(c.id, at(`c${c.id}-1`));
        assert.deepEqual(
          deleted.changes.map((ch) => [ch.resource, ch.action, ch.data.id]),
          [['orders', 'deleted', o1.id], ['orders', 'deleted', o2.id], ['customers', 'deleted', c.id]],
        );
        assert.deepEqual(deleted.changes[1]!.data, o2);
        assert.equal(await getCustomer(c.id), undefined);
        assert.equal(await getOrder(c.id, o1.id), undefined);
        const items = await shop.storage.db.selectFrom('order_items').select('order_id').where('order_id', 'in', [o1.id, o2.id]).execute();
        assert.deepEqual(items, []);
      });

      test('delete › with a stale If-Match deletes nothing (412); an unknown id is 404', async () => {
        const c = await newCustomer();
        const o = await newOrder(c.id);
        await assert.rejects(shop.customers.delete(c.id, at(`c${c.id}-7`)), rejectsWith(412));
        assert.ok(await getCustomer(c.id));
        assert.ok(await getOrder(c.id, o.id));
        await assert.rejects(shop.customers.delete(2_000_000_000), rejectsWith(404));
      });
    });

    describe('orders', () => {
      test('create › stores the items in order, computes the total, starts pending, reports created', async () => {
        const c = await newCustomer();
        const written = await shop.orders.create(c.id, buildItems());
        const order = written.value.value;
        assert.equal(order.customerId, c.id);
        assert.equal(order.status, 'pending');
        assert.equal(order.total, 2 * 1999 + 1250);
        assert.equal(written.value.version, `o${order.id}-1`);
        assert.deepEqual(written.changes, [{ resource: 'orders', action: 'created', data: order, previous: undefined }]);
        assert.deepEqual((await getOrder(c.id, order.id))?.value, order);
      });

      test('create › an unknown customer is a 404', async () => {
        await assert.rejects(shop.orders.create(2_000_000_000, buildItems()), rejectsWith(404));
      });

      test('create › totals beyond 32 bits come back as exact numbers (bigint columns)', async () => {
        const c = await newCustomer();
        const order = await newOrder(c.id, [{ sku: 'YACHT', quantity: 1000, unitPrice: 5_000_000 }]);
        const read = (await getOrder(c.id, order.id))?.value;
        assert.equal(read?.total, 5_000_000_000);
        assert.equal(read?.items[0]?.unitPrice, 5_000_000);
        assert.equal(typeof read?.total, 'number');
      });

      test('get › returns undefined for an order under another customer', async () => {
        const a = await newCustomer();
        const b = await newCustomer();
        const order = await newOrder(a.id);
        assert.equal(await getOrder(b.id, order.id), undefined);
      });

      test('update › walks pending → paid → shipped; shipped is final (422 naming status)', async () => {
        const c = await newCustomer();
        const order = await newOrder(c.id);
        const paid = await shop.orders.update(c.id, order.id, { status: 'paid' });
        assert.equal(paid.value.value.status, 'paid');
        assert.equal(paid.value.version, `o${order.id}-2`);
        assert.deepEqual(paid.changes, [{ resource: 'orders', action: 'updated', data: paid.value.value, previous: order }]);
        const shipped = await shop.orders.update(c.id, order.id, { status: 'shipped' }, at(`o${order.id}-2`));
        assert.equal(shipped.value.value.status, 'shipped');
        await assert.rejects(shop.orders.update(c.id, order.id, { status: 'cancelled' }), rejectsWith(422, 'status'));
      });

      test('update › replaces items and the total while pending, refuses once paid', async () => {
        const c = await newCustomer();
        const order = await newOrder(c.id);
        const changed = await shop.orders.update(c.id, order.id, { items: [{ sku: 'SOCKS', quantity: 4, unitPrice: 300 }] });
        assert.equal(changed.value.value.total, 1200);
        assert.deepEqual((await getOrder(c.id, order.id))?.value.items, [{ sku: 'SOCKS', quantity: 4, unitPrice: 300 }]);
        await shop.orders.update(c.id, order.id, { status: 'paid' });
        await assert.rejects(shop.orders.update(c.id, order.id, { items: buildItems() }), rejectsWith(422, 'items'));
        assert.equal((await getOrder(c.id, order.id))?.value.total, 1200);
      });

      test('update › a stale If-Match is 412; an unknown order is 404', async () => {
        const c = await newCustomer();
        const order = await newOrder(c.id);
        await shop.orders.update(c.id, order.id, { status: 'paid' }, at(`o${order.id}-1`));
        await assert.rejects(shop.orders.update(c.id, order.id, { status: 'cancelled' }, at(`o${order.id}-1`)), rejectsWith(412));
        assert.equal((await getOrder(c.id, order.id))?.value.status, 'paid');
        await assert.rejects(shop.orders.update(c.id, 2_000_000_000, { status: 'paid' }), rejectsWith(404));
      });

      test('update › of two concurrent writers with the same If-Match, exactly one wins', async () => {
        const c = await newCustomer();
        const order = await newOrder(c.id);
        const results = await Promise.allSettled([
          shop.orders.update(c.id, order.id, { items: [{ sku: 'A', quantity: 1, unitPrice: 1 }] }, at(`o${order.id}-1`)),
          shop.orders.update(c.id, order.id, { items: [{ sku: 'B', quantity: 1, unitPrice: 2 }] }, at(`o${order.id}-1`)),
        ]);
        assert.equal(results.filter((r) => r.status === 'rejected' && (r.reason as BoutiqueError).status === 412).length, 1);
        const final = await getOrder(c.id, order.id);
        assert.equal(final?.version, `o${order.id}-2`);
        assert.equal(final?.value.items.length, 1);
      });

      test('list › filters by customer and status, searches skus, sorts by total', async () => {
        const c = await newCustomer();
        const t = token().toUpperCase();
        const cheap = await newOrder(c.id, [{ sku: `CHEAP-${t}`, quantity: 1, unitPrice: 100 }]);
        const dear = await newOrder(c.id, [{ sku: `DEAR-${t}`, quantity: 1, unitPrice: 9900 }]);
        await shop.orders.update(c.id, dear.id, { status: 'paid' });
        const all = await listOrders(orderQuery({ filters: { customerId: c.id }, sort: [{ field: 'total', descending: true }] }));
        assert.deepEqual(all.items.map((o) => o.id), [dear.id, cheap.id]);
        assert.equal(all.total, 2);
        assert.deepEqual(all.items[0]!.items, [{ sku: `DEAR-${t}`, quantity: 1, unitPrice: 9900 }]);
        const paid = await listOrders(orderQuery({ filters: { customerId: c.id, status: 'paid' } }));
        assert.deepEqual(paid.items.map((o) => o.id), [dear.id]);
        const searched = await listOrders(orderQuery({ q: `cheap-${t.toLowerCase()}` }));
        assert.deepEqual(searched.items.map((o) => o.id), [cheap.id]);
      });

      test('delete › removes the order and reports it; a stale If-Match deletes nothing; gone is 404', async () => {
        const c = await newCustomer();
        const order = await newOrder(c.id);
        await assert.rejects(shop.orders.delete(c.id, order.id, at(`o${order.id}-5`)), rejectsWith(412));
        const deleted = await shop.orders.delete(c.id, order.id, at(`o${order.id}-1`));
        assert.deepEqual(deleted.changes, [{ resource: 'orders', action: 'deleted', data: order, previous: undefined }]);
        assert.equal(await getOrder(c.id, order.id), undefined);
        await assert.rejects(shop.orders.delete(c.id, order.id), rejectsWith(404));
      });
    });

    describe('the change log', () => {
      test('every write is logged in its transaction: dense positions in commit order; a failed write logs nothing', async () => {
        const start = await shop.log.head(shop.storage.run);
        const a = await shop.customers.create(buildCustomer());
        await assert.rejects(shop.customers.update(a.value.value.id, { name: 'x' }, at('c0-0')), rejectsWith(412));
        const b = await shop.customers.update(a.value.value.id, { name: 'Renamed Again' });
        assert.deepEqual([a.position, b.position], [start + 1, start + 2]);
        assert.equal(await shop.log.head(shop.storage.run), start + 2);
        const entries = await shop.log.read(start, start + 2, { channels: ['customers'] }, 10);
        assert.deepEqual(entries.map((e) => [e.position, e.action]), [[start + 1, 'created'], [start + 2, 'updated']]);
        assert.deepEqual(JSON.parse(entries[1]!.previous!), a.value.value, 'an update logs the state before');
        assert.deepEqual(entries[1], { ...logEntryOf(b.changes[0]!), position: start + 2, createdAt: entries[1]!.createdAt });
      });

      test('a read says which position it reflects: the last write it sees', async () => {
        const c = await shop.customers.create(buildCustomer());
        const read = await shop.customers.get(c.value.value.id);
        assert.equal(read.position, await shop.log.head(shop.storage.run));
        assert.ok(read.position >= c.position);
        const list = await shop.orders.list(orderQuery({ filters: { customerId: c.value.value.id } }), c.value.value.id);
        assert.equal(list.position, read.position);
        assert.deepEqual(list.value?.items, []);
        assert.equal((await shop.orders.list(orderQuery(), 2_000_000_000)).value, undefined, 'an unknown customer\'s orders');
      });

      test('group commit › concurrent writers that conflict: one winner per email and per If-Match, each success logged once, no failure logged', async () => {
        const email = `race.${token()}@example.org`;
        const start = await shop.log.head(shop.storage.run);
        const created = await Promise.allSettled(Array.from({ length: 8 }, () => shop.customers.create(buildCustomer({ email }))));
        const won = created.filter((r) => r.status === 'fulfilled');
        assert.equal(won.length, 1, 'one 201 for the email');
        assert.ok(created.filter((r) => r.status === 'rejected').every((r) => (r.reason as BoutiqueError).status === 409));
        const id = won[0]!.value.value.value.id;
        const patched = await Promise.allSettled(Array.from({ length: 6 }, (_, i) => shop.customers.update(id, { name: `Writer ${i}` }, at(`c${id}-1`))));
        assert.equal(patched.filter((r) => r.status === 'fulfilled').length, 1, 'one writer wins the If-Match race');
        assert.ok(patched.filter((r) => r.status === 'rejected').every((r) => (r.reason as BoutiqueError).status === 412));
        const mixed = await Promise.allSettled([
          shop.customers.create(buildCustomer()),
          shop.customers.create(buildCustomer({ email })),
          shop.orders.create(id, buildItems()),
          shop.orders.create(2_000_000_000, buildItems()),
        ]);
        assert.deepEqual(mixed.map((r) => r.status), ['fulfilled', 'rejected', 'fulfilled', 'rejected'], 'a failing write does not fail its neighbours');
        const head = await shop.log.head(shop.storage.run);
        const entries = await shop.log.read(start, head, { channels: ['customers', 'orders'] }, 100);
        assert.deepEqual(entries.map((e) => e.position), Array.from({ length: head - start }, (_, i) => start + 1 + i), 'dense');
        assert.deepEqual(entries.map((e) => `${e.channel}:${e.action}`), ['customers:created', 'customers:updated', 'customers:created', 'orders:created']);
        const committed = [...won, ...patched, ...mixed].flatMap((r) => (r.status === 'fulfilled' ? [r.value.position] : [])).sort((x, y) => x - y);
        assert.deepEqual(committed, entries.map((e) => e.position), 'every success answered with its own position');
      });

      test('group commit › a write that fails after writing leaves nothing, alone in its commit or beside others', async () => {
        const start = await shop.log.head(shop.storage.run);
        const email = () => `half.${token()}@example.org`;
        // Inserts a customer row, then fails: what it wrote must not survive, whatever commits beside it.
        const halfDone = (address: string) => () =>
          shop.writes.write(async (tx) => {
            await tx.db.insertInto('customers').values({ name: 'Half', name_key: 'half', email: address, email_key: address, version: 1, created_at: new Date().toISOString(), updated_at: new Date().toISOString() }).execute();
            throw new BoutiqueError('CONFLICT', 'failed after writing');
          });
        const alone = email();
        await assert.rejects(halfDone(alone)(), rejectsWith(409));
        const beside = email();
        const [good, bad] = await Promise.allSettled([shop.customers.create(buildCustomer()), halfDone(beside)()]);
        assert.equal(good.status, 'fulfilled');
        assert.equal(bad.status, 'rejected');
        const rows = await shop.storage.db.selectFrom('customers').select('email').where('email', 'in', [alone, beside]).execute();
        assert.deepEqual(rows, [], 'neither half-done insert was committed');
        assert.equal(await shop.log.head(shop.storage.run), start + 1, 'only the good create was logged');
      });

      test('durability › a write is answered after an fsync unless it asks for none (a room message)', async () => {
        let syncs = 0;
        const counting = new WritePath({ transact: (work) => shop.storage.transact(work), durable: () => (syncs++, shop.storage.durable()) }, shop.log);
        const entry = { channel: 'room:durability', recipient: null, action: null, data: '{}', previous: null };
        const quiet = await counting.write(async () => ({ value: 'quiet', changes: [], entries: [entry] }), { durable: false });
        assert.equal(quiet.value, 'quiet');
        assert.equal(syncs, 0, 'no fsync for a write nobody is told was stored');
        const answered = await counting.write(async () => ({ value: 'answered', changes: [], entries: [entry] }));
        assert.equal(answered.position, quiet.position + 1);
        assert.equal(syncs, 1, 'an answered write waits for its fsync');
        const [a, b] = await Promise.all([
          counting.write(async () => ({ value: 1, changes: [], entries: [entry] }), { durable: false }),
          counting.write(async () => ({ value: 2, changes: [], entries: [entry] })),
        ]);
        assert.deepEqual([b.position - a.position, syncs], [1, 2], 'a batch with one answered write is synced once, for all of it');
      });

      test('record › a write that only logs: its queries commit with its entry; one that fails leaves nothing; one made while a transaction is open commits after it, not in it', async () => {
        const room = token();
        const message = (n: number) => ({
          entries: [{ channel: `room:${room}`, recipient: null, action: null, data: `{"n":${n}}`, previous: null }],
          after: ([e]: readonly LogEntry[]) => [shop.chat.insertOf({ room, seq: e!.position, payload: `{"n":${n}}` })],
        });
        const start = await shop.log.head(shop.storage.run);
        const first = await shop.writes.record(message(1), { durable: false });
        assert.equal(first.position, start + 1);
        assert.deepEqual(shop.committed.at(-1), { channel: `room:${room}`, recipient: null, action: null, data: '{"n":1}', previous: null, position: start + 1, createdAt: shop.committed.at(-1)!.createdAt }, 'delivered at its commit');
        assert.deepEqual((await shop.chat.recent(room, 10)).map((m) => [m.seq, m.payload]), [[start + 1, '{"n":1}']], 'kept under the position the log gave it');

        // Its second query fails (a NOT NULL column): the entry it appended is rolled back with it.
        const failing = { ...message(2), after: (entries: readonly LogEntry[]) => [...message(2).after(entries), shop.chat.insertOf({ room: null as unknown as string, seq: 0, payload: '{}' })] };
        await assert.rejects(shop.writes.record(failing));
        assert.equal(await shop.log.head(shop.storage.run), start + 1, 'nothing of the failed write was logged');
        assert.equal((await shop.chat.recent(room, 10)).length, 1);

        // A transaction of someone else is open (and will roll back): the write must not join it.
        let begun!: () => void;
        let release!: () => void;
        const inside = new Promise<void>((resolve) => (begun = resolve));
        const held = new Promise<void>((resolve) => (release = resolve));
        const probe = `record-probe-${token()}`;
        const outer = shop.storage.db.transaction().execute(async (trx) => {
          await trx.insertInto('bus_state').values({ name: probe, value: 1 }).execute();
          begun();
          await held;
          throw new Error('rolled back on purpose');
        });
        await inside;
        const during = shop.writes.record(message(3));
        await new Promise((resolve) => setTimeout(resolve, 20));
        release();
        await assert.rejects(outer, /rolled back on purpose/);
        const third = await during;
        assert.equal(third.position, start + 2, 'dense: the failed write gave its position back');
        assert.deepEqual((await shop.log.read(start, third.position, { channels: [`room:${room}`] }, 10)).map((e) => e.data), ['{"n":1}', '{"n":3}']);
        assert.deepEqual((await shop.chat.recent(room, 10)).map((m) => m.payload), ['{"n":1}', '{"n":3}'], 'survived the other transaction\'s rollback');
        assert.equal(await shop.storage.db.selectFrom('bus_state').select('value').where('name', '=', probe).executeTakeFirst(), undefined);
      });

      test('retention › deletes beyond the count, records how far, and reads after that stop at what is kept', async () => {
        for (let i = 0; i < 5; i++) await shop.customers.create(buildCustomer());
        const head = await shop.log.head(shop.storage.run);
        const through = await shop.log.prune({ count: 3, maxAgeMs: 86_400_000 });
        assert.equal(through, head - 3);
        assert.equal(await shop.log.prunedThrough(shop.storage.run), head - 3);
        assert.deepEqual((await shop.log.readAll(0, 100)).map((e) => e.position), [head - 2, head - 1, head]);
        assert.equal(await shop.log.prune({ count: 3, maxAgeMs: 86_400_000 }), head - 3, 'nothing more to delete');
        const byAge = await shop.log.prune({ count: 1_000_000, maxAgeMs: 0 }, Date.now() + 1);
        assert.equal(byAge, head, 'everything older than the age goes');
      });
    });

    describe('chat', () => {
      test('recent › returns the last messages of a room, oldest first', async () => {
        const room = token();
        for (let seq = 1; seq <= 5; seq++) await shop.chat.append({ room, seq: seq * 10, payload: `{"n":${seq}}` });
        await shop.chat.append({ room: room + 'other', seq: 60, payload: '{"n":"other"}' });
        const recent = await shop.chat.recent(room, 3);
        assert.deepEqual(recent.map((m) => m.payload), ['{"n":3}', '{"n":4}', '{"n":5}']);
        assert.deepEqual(recent.map((m) => m.seq), [30, 40, 50]);
        assert.deepEqual(await shop.chat.recent(room, 0), []);
      });

      test('after › returns messages after a seq, oldest first, at most limit', async () => {
        const room = token();
        for (let seq = 1; seq <= 5; seq++) await shop.chat.append({ room, seq, payload: `{"n":${seq}}` });
        const after2 = await shop.chat.after(room, 2, 2);
        assert.deepEqual(after2.map((m) => m.seq), [3, 4]);
        assert.deepEqual(await shop.chat.after(room, 5, 10), []);
      });

      test('prune › keeps the newest messages of the room and leaves other rooms alone', async () => {
        const room = token();
        for (let seq = 1; seq <= 8; seq++) await shop.chat.append({ room, seq, payload: `{"n":${seq}}` });
        await shop.chat.append({ room: room + 'other', seq: 9, payload: '{}' });
        const pruning = new ChatStore(shop.storage.db, undefined, 3);
        await pruning.prune(room);
        assert.deepEqual((await shop.chat.after(room, 0, 100)).map((m) => m.seq), [6, 7, 8]);
        assert.equal((await shop.chat.recent(room + 'other', 10)).length, 1);
      });

      test('append › keeps seqs beyond 32 bits exact', async () => {
        const room = token();
        await shop.chat.append({ room, seq: 2 ** 40, payload: '{}' });
        assert.deepEqual((await shop.chat.recent(room, 1)).map((m) => m.seq), [2 ** 40]);
      });
    });
  });
}
