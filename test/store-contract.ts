/**
 * The store contract: one suite, run against every backend (STYLE.md item 3, like hono's
 * `router/common.case.test.ts`). test/store-sqlite.test.ts and test/store-postgres.test.ts call
 * `storeContract` with their factory; a backend is done when the whole suite passes on it.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import type { Store } from '../src/store/store.js';
import { BoutiqueError, UniqueViolationError } from '../src/errors.js';
import type { ListParams } from '../src/http/list-query.js';
import type { CustomerFilters } from '../src/resources/customers/store.js';
import type { OrderFilters } from '../src/resources/orders/store.js';
import type { CustomerSortField } from '../src/resources/customers/schema.js';
import type { OrderSortField } from '../src/resources/orders/schema.js';
import { ChatStore } from '../src/chat/store.js';

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

export function storeContract(label: string, open: () => Promise<Store>, options: { skip?: string | false } = {}): void {
  if (options.skip) {
    // A skipped test (not a skipped suite) so the run's summary counts it and prints why.
    test(`store contract (${label})`, { skip: options.skip }, () => {});
    return;
  }
  describe(`store contract (${label})`, () => {
    let store: Store;
    before(async () => {
      store = await open();
    });
    after(async () => {
      await store?.close();
    });

    test('ping › resolves when the database answers', async () => {
      await store.ping();
    });

    describe('customers', () => {
      test('create › assigns a numeric id, version 1 and ISO timestamps', async () => {
        const input = buildCustomer();
        const row = await store.customers.create(input);
        assert.equal(typeof row.id, 'number');
        assert.equal(row.name, input.name);
        assert.equal(row.email, input.email);
        assert.equal(row.version, 1);
        assert.match(row.created_at, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
        assert.equal(row.created_at, row.updated_at);
        assert.deepEqual(await store.customers.get(row.id), row);
      });

      test('get › returns undefined for an unknown id', async () => {
        assert.equal(await store.customers.get(2_000_000_000), undefined);
      });

      test('create › rejects an email already used, ignoring case, with UniqueViolationError', async () => {
        const input = buildCustomer({ email: `Dup.${token()}@Example.org` });
        await store.customers.create(input);
        await assert.rejects(store.customers.create(buildCustomer({ email: input.email.toLowerCase() })), (err: unknown) => {
          assert.ok(err instanceof UniqueViolationError);
          assert.equal(err.field, 'email');
          return true;
        });
      });

      test('update › rejects taking another customer’s email with UniqueViolationError', async () => {
        const a = await store.customers.create(buildCustomer());
        const b = await store.customers.create(buildCustomer());
        await assert.rejects(store.customers.update(b.id, { email: a.email.toUpperCase() }), UniqueViolationError);
      });

      test('update › merges fields, increments the version, keeps createdAt', async () => {
        const row = await store.customers.create(buildCustomer(), '2020-01-01T00:00:00.000Z');
        const updated = await store.customers.update(row.id, { name: 'Renamed' });
        assert.ok(updated && updated !== 'stale');
        assert.equal(updated.name, 'Renamed');
        assert.equal(updated.email, row.email);
        assert.equal(updated.version, 2);
        assert.equal(updated.created_at, '2020-01-01T00:00:00.000Z');
        assert.notEqual(updated.updated_at, row.updated_at);
      });

      test('update › returns stale when the expected version is old, and undefined for an unknown id', async () => {
        const row = await store.customers.create(buildCustomer());
        assert.ok(await store.customers.update(row.id, { name: 'First' }, 1));
        assert.equal(await store.customers.update(row.id, { name: 'Second' }, 1), 'stale');
        assert.equal((await store.customers.get(row.id))?.name, 'First');
        assert.equal(await store.customers.update(2_000_000_000, { name: 'x' }), undefined);
        assert.equal(await store.customers.update(2_000_000_000, { name: 'x' }, 1), undefined);
      });

      test('update › of two concurrent writers with the same expected version, exactly one wins', async () => {
        const row = await store.customers.create(buildCustomer());
        const results = await Promise.all([store.customers.update(row.id, { name: 'A' }, 1), store.customers.update(row.id, { name: 'B' }, 1)]);
        assert.equal(results.filter((r) => r === 'stale').length, 1);
        assert.equal((await store.customers.get(row.id))?.version, 2);
      });

      test('list › filters by email ignoring case and by exact name', async () => {
        const t = token();
        const a = await store.customers.create(buildCustomer({ name: `Ada ${t}`, email: `ada.${t}@example.org` }));
        await store.customers.create(buildCustomer({ name: `Bob ${t}` }));
        const byEmail = await store.customers.list(customerQuery({ filters: { email: `ADA.${t}@EXAMPLE.ORG` } }));
        assert.deepEqual(byEmail.rows.map((r) => r.id), [a.id]);
        assert.equal(byEmail.total, 1);
        const byName = await store.customers.list(customerQuery({ filters: { name: `Ada ${t}` } }));
        assert.deepEqual(byName.rows.map((r) => r.id), [a.id]);
      });

      test('list › q searches name and email ignoring case; % and _ are literal', async () => {
        const t = token();
        const a = await store.customers.create(buildCustomer({ name: `Zoë ${t}` }));
        const b = await store.customers.create(buildCustomer({ email: `x.${t}@example.org` }));
        await store.customers.create(buildCustomer({ name: `100%_${t}` }));
        const found = await store.customers.list(customerQuery({ q: t.toUpperCase(), sort: [{ field: 'id', descending: false }] }));
        assert.equal(found.total, 3);
        assert.deepEqual(found.rows.slice(0, 2).map((r) => r.id), [a.id, b.id]);
        assert.equal((await store.customers.list(customerQuery({ q: `%_${t}` }))).total, 1);
        assert.equal((await store.customers.list(customerQuery({ q: `0_%${t}` }))).total, 0);
      });

      test('list › sorts by several keys and pages with a total', async () => {
        const t = token();
        const names = ['Carol', 'alice', 'Bob', 'Alice', 'Dave'];
        const created = [];
        for (const [i, name] of names.entries()) {
          created.push(await store.customers.create(buildCustomer({ name: `${name} ${t}` }), `2021-01-0${i + 1}T00:00:00.000Z`));
        }
        const byCreatedDesc = await store.customers.list(customerQuery({ q: t, sort: [{ field: 'createdAt', descending: true }] }));
        assert.deepEqual(byCreatedDesc.rows.map((r) => r.id), [...created].reverse().map((r) => r.id));

        const page2 = await store.customers.list(customerQuery({ q: t, perPage: 2, page: 2, sort: [{ field: 'createdAt', descending: false }] }));
        assert.equal(page2.total, 5);
        assert.deepEqual(page2.rows.map((r) => r.id), [created[2]!.id, created[3]!.id]);
        const beyond = await store.customers.list(customerQuery({ q: t, perPage: 2, page: 4 }));
        assert.deepEqual(beyond.rows, []);
        assert.equal(beyond.total, 5);

        // Name then newest first: both backends compare the same way for plain ASCII names differing in case only by tie-break.
        const byName = await store.customers.list(customerQuery({ q: t, sort: [{ field: 'email', descending: false }] }));
        assert.deepEqual(byName.rows.map((r) => r.email), [...created.map((r) => r.email)].sort());
      });

      test('delete › removes the customer and its orders (and their items) together', async () => {
        const c = await store.customers.create(buildCustomer());
        const o1 = await store.orders.create(c.id, buildItems());
        const o2 = await store.orders.create(c.id, [{ sku: 'HAT', quantity: 3, unitPrice: 500 }]);
        const deleted = await store.customers.delete(c.id, 1);
        assert.ok(deleted && deleted !== 'stale');
        assert.equal(deleted.customer.id, c.id);
        assert.deepEqual(deleted.orders.map((o) => o.id), [o1!.id, o2!.id]);
        assert.deepEqual(deleted.orders[1]!.items, [{ sku: 'HAT', quantity: 3, unitPrice: 500 }]);
        assert.equal(await store.customers.get(c.id), undefined);
        assert.equal(await store.orders.get(c.id, o1!.id), undefined);
        const items = await store.db.selectFrom('order_items').select('order_id').where('order_id', 'in', [o1!.id, o2!.id]).execute();
        assert.deepEqual(items, []);
      });

      test('delete › with a stale version deletes nothing; unknown id is undefined', async () => {
        const c = await store.customers.create(buildCustomer());
        const o = await store.orders.create(c.id, buildItems());
        assert.equal(await store.customers.delete(c.id, 7), 'stale');
        assert.ok(await store.customers.get(c.id));
        assert.ok(await store.orders.get(c.id, o!.id));
        assert.equal(await store.customers.delete(2_000_000_000), undefined);
      });

      test('count › counts customers as a number', async () => {
        const before = await store.customers.count();
        await store.customers.create(buildCustomer());
        assert.equal(await store.customers.count(), before + 1);
      });
    });

    describe('orders', () => {
      test('create › stores the items in order, computes the total, starts pending', async () => {
        const c = await store.customers.create(buildCustomer());
        const order = await store.orders.create(c.id, buildItems());
        assert.ok(order);
        assert.equal(order.customer_id, c.id);
        assert.equal(order.status, 'pending');
        assert.equal(order.total, 2 * 1999 + 1250);
        assert.equal(order.version, 1);
        assert.deepEqual(await store.orders.get(c.id, order.id), order);
      });

      test('create › returns undefined for an unknown customer', async () => {
        assert.equal(await store.orders.create(2_000_000_000, buildItems()), undefined);
      });

      test('create › totals beyond 32 bits come back as exact numbers (bigint columns)', async () => {
        const c = await store.customers.create(buildCustomer());
        const order = await store.orders.create(c.id, [{ sku: 'YACHT', quantity: 1000, unitPrice: 5_000_000 }]);
        const read = await store.orders.get(c.id, order!.id);
        assert.equal(read?.total, 5_000_000_000);
        assert.equal(read?.items[0]?.unitPrice, 5_000_000);
        assert.equal(typeof read?.total, 'number');
      });

      test('get › returns undefined for an order under another customer', async () => {
        const a = await store.customers.create(buildCustomer());
        const b = await store.customers.create(buildCustomer());
        const order = await store.orders.create(a.id, buildItems());
        assert.equal(await store.orders.get(b.id, order!.id), undefined);
      });

      test('update › walks pending → paid → shipped; shipped is final (422)', async () => {
        const c = await store.customers.create(buildCustomer());
        const order = (await store.orders.create(c.id, buildItems()))!;
        const paid = await store.orders.update(c.id, order.id, { status: 'paid' });
        assert.ok(paid && paid !== 'stale');
        assert.equal(paid.status, 'paid');
        assert.equal(paid.version, 2);
        const shipped = await store.orders.update(c.id, order.id, { status: 'shipped' }, 2);
        assert.ok(shipped && shipped !== 'stale' && shipped.status === 'shipped');
        await assert.rejects(store.orders.update(c.id, order.id, { status: 'cancelled' }), (err: unknown) => {
          assert.ok(err instanceof BoutiqueError);
          assert.equal(err.status, 422);
          assert.equal(err.extra.errors?.[0]?.field, 'status');
          return true;
        });
      });

      test('update › replaces items and the total while pending, refuses once paid', async () => {
        const c = await store.customers.create(buildCustomer());
        const order = (await store.orders.create(c.id, buildItems()))!;
        const changed = await store.orders.update(c.id, order.id, { items: [{ sku: 'SOCKS', quantity: 4, unitPrice: 300 }] });
        assert.ok(changed && changed !== 'stale');
        assert.equal(changed.total, 1200);
        assert.deepEqual((await store.orders.get(c.id, order.id))?.items, [{ sku: 'SOCKS', quantity: 4, unitPrice: 300 }]);
        await store.orders.update(c.id, order.id, { status: 'paid' });
        await assert.rejects(store.orders.update(c.id, order.id, { items: buildItems() }), (err: unknown) => err instanceof BoutiqueError && err.status === 422);
        assert.equal((await store.orders.get(c.id, order.id))?.total, 1200);
      });

      test('update › returns stale for an old version and undefined for an unknown order', async () => {
        const c = await store.customers.create(buildCustomer());
        const order = (await store.orders.create(c.id, buildItems()))!;
        await store.orders.update(c.id, order.id, { status: 'paid' }, 1);
        assert.equal(await store.orders.update(c.id, order.id, { status: 'cancelled' }, 1), 'stale');
        assert.equal((await store.orders.get(c.id, order.id))?.status, 'paid');
        assert.equal(await store.orders.update(c.id, 2_000_000_000, { status: 'paid' }), undefined);
      });

      test('update › of two concurrent writers with the same expected version, exactly one wins', async () => {
        const c = await store.customers.create(buildCustomer());
        const order = (await store.orders.create(c.id, buildItems()))!;
        const results = await Promise.all([
          store.orders.update(c.id, order.id, { items: [{ sku: 'A', quantity: 1, unitPrice: 1 }] }, 1),
          store.orders.update(c.id, order.id, { items: [{ sku: 'B', quantity: 1, unitPrice: 2 }] }, 1),
        ]);
        assert.equal(results.filter((r) => r === 'stale').length, 1);
        const final = await store.orders.get(c.id, order.id);
        assert.equal(final?.version, 2);
        assert.equal(final?.items.length, 1);
      });

      test('list › filters by customer and status, searches skus, sorts by total', async () => {
        const c = await store.customers.create(buildCustomer());
        const t = token().toUpperCase();
        const cheap = (await store.orders.create(c.id, [{ sku: `CHEAP-${t}`, quantity: 1, unitPrice: 100 }]))!;
        const dear = (await store.orders.create(c.id, [{ sku: `DEAR-${t}`, quantity: 1, unitPrice: 9900 }]))!;
        await store.orders.update(c.id, dear.id, { status: 'paid' });
        const all = await store.orders.list(orderQuery({ filters: { customerId: c.id }, sort: [{ field: 'total', descending: true }] }));
        assert.deepEqual(all.rows.map((o) => o.id), [dear.id, cheap.id]);
        assert.equal(all.total, 2);
        assert.deepEqual(all.rows[0]!.items, [{ sku: `DEAR-${t}`, quantity: 1, unitPrice: 9900 }]);
        const paid = await store.orders.list(orderQuery({ filters: { customerId: c.id, status: 'paid' } }));
        assert.deepEqual(paid.rows.map((o) => o.id), [dear.id]);
        const searched = await store.orders.list(orderQuery({ q: `cheap-${t.toLowerCase()}` }));
        assert.deepEqual(searched.rows.map((o) => o.id), [cheap.id]);
      });

      test('delete › removes the order and returns it; stale version deletes nothing', async () => {
        const c = await store.customers.create(buildCustomer());
        const order = (await store.orders.create(c.id, buildItems()))!;
        assert.equal(await store.orders.delete(c.id, order.id, 5), 'stale');
        const deleted = await store.orders.delete(c.id, order.id, 1);
        assert.ok(deleted && deleted !== 'stale');
        assert.deepEqual(deleted.items, buildItems());
        assert.equal(await store.orders.get(c.id, order.id), undefined);
        assert.equal(await store.orders.delete(c.id, order.id), undefined);
      });
    });

    describe('chat', () => {
      test('recent › returns the last messages of a room, oldest first', async () => {
        const room = token();
        for (let seq = 1; seq <= 5; seq++) await store.chat.append({ room, seq: seq * 10, payload: `{"n":${seq}}` });
        await store.chat.append({ room: room + 'other', seq: 60, payload: '{"n":"other"}' });
        const recent = await store.chat.recent(room, 3);
        assert.deepEqual(recent.map((m) => m.payload), ['{"n":3}', '{"n":4}', '{"n":5}']);
        assert.deepEqual(recent.map((m) => m.seq), [30, 40, 50]);
        assert.deepEqual(await store.chat.recent(room, 0), []);
      });

      test('after › returns messages after a seq, oldest first, at most limit', async () => {
        const room = token();
        for (let seq = 1; seq <= 5; seq++) await store.chat.append({ room, seq, payload: `{"n":${seq}}` });
        const after2 = await store.chat.after(room, 2, 2);
        assert.deepEqual(after2.map((m) => m.seq), [3, 4]);
        assert.deepEqual(await store.chat.after(room, 5, 10), []);
      });

      test('prune › keeps the newest messages of the room and leaves other rooms alone', async () => {
        const room = token();
        for (let seq = 1; seq <= 8; seq++) await store.chat.append({ room, seq, payload: `{"n":${seq}}` });
        await store.chat.append({ room: room + 'other', seq: 9, payload: '{}' });
        const pruning = new ChatStore(store.db, undefined, 3);
        await pruning.prune(room);
        assert.deepEqual((await store.chat.after(room, 0, 100)).map((m) => m.seq), [6, 7, 8]);
        assert.equal((await store.chat.recent(room + 'other', 10)).length, 1);
      });

      test('append › keeps seqs beyond 32 bits exact', async () => {
        const room = token();
        await store.chat.append({ room, seq: 2 ** 40, payload: '{}' });
        assert.deepEqual((await store.chat.recent(room, 1)).map((m) => m.seq), [2 ** 40]);
      });
    });
  });
}
