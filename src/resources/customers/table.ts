import { sql, type Generated, type Selectable } from 'kysely';
import { searchKey } from '../../store/list.js';
import type { MigrationSet } from '../../store/migrations.js';
import { createTableWithId } from '../../store/migrations.js';

export interface CustomersTable {
  id: Generated<number>;
  name: string;
  email: string;
  /** lower(email): the unique key, so "A@x.org" and "a@x.org" collide (SPEC: unique ignoring case). */
  email_key: string;
  /** searchKey(name) (src/store/list.ts): what `?q=` searches, folded the same way on every database. */
  name_key: string;
  /** Incremented on every write; the ETag is built from it, so two writes in one millisecond still differ. */
  version: number;
  created_at: string;
  updated_at: string;
}

declare module '../../store/database.js' {
  interface Database {
    customers: CustomersTable;
  }
}

export type CustomerRow = Selectable<CustomersTable>;

/**
 * The customers table. The migration keeps the name it had when it also created the orders
 * tables, so databases made then do not run it again; orders now create theirs in their own
 * migration, which finds them already there on such databases.
 */
export const customerMigrations: MigrationSet = (dialect) => ({
  '0001_customers_and_orders': {
    async up(db) {
      await createTableWithId(db, dialect, 'customers')
        .addColumn('name', 'text', (c) => c.notNull())
        .addColumn('email', 'text', (c) => c.notNull())
        .addColumn('email_key', 'text', (c) => c.notNull().unique())
        .addColumn('version', 'integer', (c) => c.notNull().defaultTo(1))
        .addColumn('created_at', 'text', (c) => c.notNull())
        .addColumn('updated_at', 'text', (c) => c.notNull())
        .execute();
    },
  },
  // Search folded by the application rather than by the database's lower(), so that SQLite and
  // PostgreSQL find the same customers and a live query can tell which rows a search lists.
  '0006_customers_name_key': {
    async up(db) {
      await db.schema.alterTable('customers').addColumn('name_key', 'text', (c) => c.notNull().defaultTo('')).execute();
      const rows = await sql<{ id: number; name: string }>`select id, name from customers`.execute(db);
      for (const row of rows.rows) await sql`update customers set name_key = ${searchKey(row.name)} where id = ${row.id}`.execute(db);
    },
  },
});
