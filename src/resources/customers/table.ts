import type { Generated, Selectable } from 'kysely';
import type { MigrationSet } from '../../store/migrations.js';
import { createTableWithId } from '../../store/migrations.js';

export interface CustomersTable {
  id: Generated<number>;
  name: string;
  email: string;
  /** lower(email): the unique key, so "A@x.org" and "a@x.org" collide (SPEC: unique ignoring case). */
  email_key: string;
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
});
