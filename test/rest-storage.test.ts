import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, existsSync, rmSync, statSync } from 'node:fs';
import BetterSqlite3 from 'better-sqlite3';
import { buildTestApp, buildCustomer, createCustomer, createOrder, tempDatabaseUrl } from './helpers.js';
import { sql } from 'kysely';
import { WAL_BACKSTOP_PAGES, openSqlite } from '../src/store/sqlite.js';

// A 2xx means the write is committed: it is there for the next process that opens the same
// SQLite file. The file is created and migrated at start, and runs in WAL mode.
describe('SQLite storage', () => {
  test('a fresh SQLite file › is created and migrated at start; the API works on it at once', async () => {
    const db = tempDatabaseUrl();
    try {
      assert.equal(existsSync(db.path), false);
      const app = await buildTestApp({ databaseUrl: db.url });
      try {
        assert.ok(existsSync(db.path));
        assert.equal((await app.inject({ method: 'GET', url: '/customers' })).statusCode, 200);
        assert.equal((await app.inject({ method: 'POST', url: '/customers', payload: buildCustomer() })).statusCode, 201);
      } finally {
        await app.close();
      }
      const raw = new BetterSqlite3(db.path, { readonly: true });
      try {
        const tables = raw.prepare("select name from sqlite_master where type = 'table' order by name").pluck().all();
        for (const t of ['boutique_migrations', 'customers', 'order_items', 'orders']) assert.ok(tables.includes(t), `table ${t}`);
      } finally {
        raw.close();
      }
    } finally {
      rmSync(db.dir, { recursive: true, force: true });
    }
  });

  test('a write that got 2xx › is visible from a new app opened on the same file', async () => {
    const db = tempDatabaseUrl();
    try {
      const first = await buildTestApp({ databaseUrl: db.url });
      const customer = await createCustomer(first, { name: 'Durable' });
      const order = await createOrder(first, customer.id);
      const patched = await first.inject({ method: 'PATCH', url: `/customers/${customer.id}/orders/${order.id}`, payload: { status: 'paid' } });
      assert.equal(patched.statusCode, 200);
      await first.close();

      const second = await buildTestApp({ databaseUrl: db.url });
      try {
        const c = await second.inject({ method: 'GET', url: `/customers/${customer.id}` });
        assert.equal(c.statusCode, 200);
        assert.equal(c.json().name, 'Durable');
        const o = await second.inject({ method: 'GET', url: `/customers/${customer.id}/orders/${order.id}` });
        assert.equal(o.json().status, 'paid');
        assert.deepEqual(o.json().items, order.items);
        // Reopening runs the migrations again without harm, and ids keep counting up.
        const next = await createCustomer(second);
        assert.ok(next.id > customer.id);
      } finally {
        await second.close();
      }
    } finally {
      rmSync(db.dir, { recursive: true, force: true });
    }
  });

  test('a write that got 2xx › is readable by another connection while the app is still running', async () => {
    const db = tempDatabaseUrl();
    const app = await buildTestApp({ databaseUrl: db.url });
    try {
      const customer = await createCustomer(app, { name: 'Committed' });
      const raw = new BetterSqlite3(db.path, { readonly: true });
      try {
        assert.equal(raw.prepare('select name from customers where id = ?').pluck().get(customer.id), 'Committed');
      } finally {
        raw.close();
      }
    } finally {
      await app.close();
      rmSync(db.dir, { recursive: true, force: true });
    }
  });

  test('the SQLite file › is in WAL mode', async () => {
    const db = tempDatabaseUrl();
    const app = await buildTestApp({ databaseUrl: db.url });
    try {
      await createCustomer(app);
      assert.ok(existsSync(`${db.path}-wal`), 'the -wal file exists while the database is open');
      const raw = new BetterSqlite3(db.path);
      try {
        assert.equal(raw.pragma('journal_mode', { simple: true }), 'wal');
      } finally {
        raw.close();
      }
    } finally {
      await app.close();
      rmSync(db.dir, { recursive: true, force: true });
    }
  });

  test('the write-ahead log › is copied into the database file in the background, and removed at close', async () => {
    const db = tempDatabaseUrl();
    const app = await buildTestApp({ databaseUrl: db.url });
    /** How many of the rows the database file holds by itself, without its write-ahead log. */
    const inFileAlone = (): number => {
      const copy = `${db.dir}/alone.db`;
      copyFileSync(db.path, copy);
      const raw = new BetterSqlite3(copy);
      try {
        const tables = raw.prepare("select count(*) from sqlite_master where name = 'customers'").pluck().get() as number;
        return tables === 0 ? 0 : (raw.prepare("select count(*) from customers where name like 'Checkpointed %'").pluck().get() as number);
      } finally {
        raw.close();
        for (const suffix of ['', '-wal', '-shm']) rmSync(copy + suffix, { force: true });
      }
    };
    try {
      // 300 creates, each its own commit: ~2,500 pages of log, past SQLite's own 1,000-page
      // checkpoint, which Boutique turns off on the connection that writes.
      for (let i = 0; i < 300; i++) {
        assert.equal((await app.inject({ method: 'POST', url: '/customers', payload: buildCustomer({ name: `Checkpointed ${i}` }) })).statusCode, 201);
      }
      // The checkpoint runs on its own thread about once a second: the rows reach the database
      // file itself while the app runs, without a request waiting for it.
      const deadline = Date.now() + 10_000;
      while (inFileAlone() < 300 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 200));
      assert.equal(inFileAlone(), 300, 'the database file alone holds every row');
    } finally {
      await app.close();
    }
    try {
      assert.equal(existsSync(`${db.path}-wal`), false, 'a clean close leaves no write-ahead log behind');
    } finally {
      rmSync(db.dir, { recursive: true, force: true });
    }
  });

  test('the write-ahead log › stays bounded under writes that never pause (the worker alone never lets it start over)', async () => {
    const db = tempDatabaseUrl();
    const storage = openSqlite(db.path);
    let largest = 0;
    try {
      await sql`create table blobs (id integer primary key, data blob not null)`.execute(storage.db);
      const blob = Buffer.alloc(100_000, 7);
      // ~25 pages a commit, 700 commits back to back: ~17,500 pages, past the backstop.
      for (let i = 0; i < 700; i++) {
        await storage.transact(async (tx) => {
          await sql`insert into blobs (data) values (${blob})`.execute(tx.db);
          return { value: undefined, head: undefined };
        });
        largest = Math.max(largest, statSync(`${db.path}-wal`).size);
      }
      const bound = (WAL_BACKSTOP_PAGES + 500) * 4096;
      assert.ok(largest < bound, `the log reached ${(largest / 2 ** 20).toFixed(1)} MiB, over ${(bound / 2 ** 20).toFixed(1)} MiB`);
      assert.equal(Number((await sql<{ n: number }>`select count(*) as n from blobs`.execute(storage.db)).rows[0]!.n), 700);
    } finally {
      await storage.close();
      rmSync(db.dir, { recursive: true, force: true });
    }
  });

  test('a SQLite path in a directory that does not exist yet › the directory is created', async () => {
    const db = tempDatabaseUrl();
    const app = await buildTestApp({ databaseUrl: `sqlite:${db.dir}/nested/deeper/boutique.db` });
    try {
      assert.equal((await app.inject({ method: 'POST', url: '/customers', payload: buildCustomer() })).statusCode, 201);
      assert.ok(existsSync(`${db.dir}/nested/deeper/boutique.db`));
    } finally {
      await app.close();
      rmSync(db.dir, { recursive: true, force: true });
    }
  });
});
