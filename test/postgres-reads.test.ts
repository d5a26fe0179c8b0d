/**
 * PostgreSQL reads as the store makes them: one statement with the log head in it, or a read-only
 * transaction; both at one position, both with statements prepared per connection — and a
 * statement prepared before another instance's migration changed its table is read again on a
 * fresh connection instead of failing ("cached plan must not change result type").
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import pg from 'pg';
import { sql } from 'kysely';
import { openPostgres } from '../src/store/postgres.js';
import type { Connection } from '../src/store/types.js';
import { createTestDatabase, needServices, type TestDatabase } from './services.js';

const skip = await needServices('postgres');

describe('PostgreSQL reads', { skip }, () => {
  let database: TestDatabase;
  let connection: Connection;
  before(async () => {
    database = await createTestDatabase();
    const admin = new pg.Client({ connectionString: database.url });
    await admin.connect();
    await admin.query("create table bus_state (name text primary key, value bigint not null); insert into bus_state values ('log-head', 41)");
    await admin.query('create table things (id integer primary key, label text not null); insert into things values (1, $$one$$), (2, $$two$$)');
    await admin.end();
    // One connection: every read reuses what the previous one prepared.
    connection = openPostgres(database.url, { max: 1 });
  });
  after(async () => {
    await connection?.close();
    await database?.drop();
  });

  const byId = (id: number) => sql<{ id: number; label: string }>`select * from things where id = ${id}`.compile(connection.db);

  it('one statement: the row (or none) and the head it is as of', async () => {
    const one = await connection.readAt(async (run) => (await run(byId(1))).rows, { oneStatement: true });
    assert.deepEqual(one, { value: [{ id: 1, label: 'one' }], position: 41 });
    const none = await connection.readAt(async (run) => (await run(byId(9))).rows, { oneStatement: true });
    assert.deepEqual(none, { value: [], position: 41 });
    await assert.rejects(connection.readAt(async (run) => [await run(byId(1)), await run(byId(2))], { oneStatement: true }), /second statement/);
  });

  it('a transaction: several statements at one head', async () => {
    const both = await connection.readAt(async (run) => [(await run(byId(1))).rows[0], (await run(byId(2))).rows[0]]);
    assert.deepEqual(both, { value: [{ id: 1, label: 'one' }, { id: 2, label: 'two' }], position: 41 });
  });

  it('a table changed under a prepared statement: read again on a fresh connection, with the new column', async () => {
    await connection.readAt(async (run) => (await run(byId(1))).rows, { oneStatement: true });
    await connection.readAt(async (run) => (await run(byId(1))).rows);
    const admin = new pg.Client({ connectionString: database.url });
    await admin.connect();
    await admin.query("alter table things add column colour text not null default 'red'");
    await admin.end();
    const one = await connection.readAt(async (run) => (await run(byId(1))).rows, { oneStatement: true });
    assert.deepEqual(one.value, [{ id: 1, label: 'one', colour: 'red' }]);
    const again = await connection.readAt(async (run) => (await run(byId(2))).rows);
    assert.deepEqual(again.value, [{ id: 2, label: 'two', colour: 'red' }]);
  });
});
