import { Kysely, Migrator, type Migration, type MigrationProvider } from 'kysely';
import type { Dialect } from './store.js';

/**
 * Migrations are code, in order, and run at start. Each receives the dialect because the
 * only real difference between SQLite and PostgreSQL here is how an id is generated.
 */
function migrations(dialect: Dialect): Record<string, Migration> {
  const id = (db: Kysely<unknown>, table: string) =>
    dialect === 'sqlite'
      ? db.schema.createTable(table).addColumn('id', 'integer', (c) => c.primaryKey().autoIncrement())
      : db.schema.createTable(table).addColumn('id', 'integer', (c) => c.primaryKey().generatedByDefaultAsIdentity());

  return {
    '0001_customers_and_orders': {
      async up(db) {
        await id(db, 'customers')
          .addColumn('name', 'text', (c) => c.notNull())
          .addColumn('email', 'text', (c) => c.notNull())
          .addColumn('email_key', 'text', (c) => c.notNull().unique())
          .addColumn('version', 'integer', (c) => c.notNull().defaultTo(1))
          .addColumn('created_at', 'text', (c) => c.notNull())
          .addColumn('updated_at', 'text', (c) => c.notNull())
          .execute();
        await id(db, 'orders')
          .addColumn('customer_id', 'integer', (c) => c.notNull().references('customers.id').onDelete('cascade'))
          .addColumn('status', 'text', (c) => c.notNull())
          .addColumn('total', 'bigint', (c) => c.notNull())
          .addColumn('version', 'integer', (c) => c.notNull().defaultTo(1))
          .addColumn('created_at', 'text', (c) => c.notNull())
          .addColumn('updated_at', 'text', (c) => c.notNull())
          .execute();
        await db.schema.createIndex('orders_customer_id').on('orders').column('customer_id').execute();
        await db.schema
          .createTable('order_items')
          .addColumn('order_id', 'integer', (c) => c.notNull().references('orders.id').onDelete('cascade'))
          .addColumn('position', 'integer', (c) => c.notNull())
          .addColumn('sku', 'text', (c) => c.notNull())
          .addColumn('quantity', 'integer', (c) => c.notNull())
          .addColumn('unit_price', 'bigint', (c) => c.notNull())
          .addPrimaryKeyConstraint('order_items_pk', ['order_id', 'position'])
          .execute();
      },
    },
    '0002_chat_messages': {
      async up(db) {
        await id(db, 'chat_messages')
          .addColumn('room', 'text', (c) => c.notNull())
          .addColumn('seq', 'bigint', (c) => c.notNull())
          .addColumn('payload', 'text', (c) => c.notNull())
          .addColumn('created_at', 'text', (c) => c.notNull())
          .execute();
        await db.schema.createIndex('chat_messages_room_seq').on('chat_messages').columns(['room', 'seq']).execute();
      },
    },
    '0003_bus_state': {
      async up(db) {
        await db.schema
          .createTable('bus_state')
          .addColumn('name', 'text', (c) => c.primaryKey())
          .addColumn('value', 'bigint', (c) => c.notNull())
          .execute();
      },
    },
  };
}

export async function migrateToLatest(db: Kysely<unknown>, dialect: Dialect): Promise<string[]> {
  const provider: MigrationProvider = { getMigrations: async () => migrations(dialect) };
  const migrator = new Migrator({ db, provider, migrationTableName: 'boutique_migrations', migrationLockTableName: 'boutique_migrations_lock' });
  const { error, results } = await migrator.migrateToLatest();
  if (error) throw error instanceof Error ? error : new Error(String(error));
  return (results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName);
}

