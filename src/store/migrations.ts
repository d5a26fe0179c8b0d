import { Kysely, Migrator, type CreateTableBuilder, type Migration, type MigrationProvider } from 'kysely';
import type { Dialect } from './types.js';

/**
 * Migrations are code, in order of their names, and run at start. The store owns the tables of
 * the live side (chat history, counters); each resource brings the migrations of its own tables
 * (src/resources/<name>/table.ts), so a new resource adds a table without editing this file.
 */
export type MigrationSet = (dialect: Dialect) => Record<string, Migration>;

/**
 * A table with an integer id the database assigns: the only real difference between SQLite and
 * PostgreSQL here. AUTOINCREMENT on SQLite, so an id is never reused after the highest row is
 * deleted (the ids are in URLs and in the change log).
 */
export function createTableWithId(db: Kysely<unknown>, dialect: Dialect, table: string, options: { ifNotExists?: boolean } = {}): CreateTableBuilder<string, 'id'> {
  let builder = db.schema.createTable(table);
  if (options.ifNotExists) builder = builder.ifNotExists();
  return dialect === 'sqlite'
    ? builder.addColumn('id', 'integer', (c) => c.primaryKey().autoIncrement())
    : builder.addColumn('id', 'integer', (c) => c.primaryKey().generatedByDefaultAsIdentity());
}

const coreMigrations: MigrationSet = (dialect) => ({
  '0002_chat_messages': {
    async up(db) {
      await createTableWithId(db, dialect, 'chat_messages')
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
  // The change log (src/store/change-log.ts): positions are given by the counter row
  // 'log-head' of bus_state, not by the table, so they are dense and in commit order.
  '0005_change_log': {
    async up(db) {
      await db.schema
        .createTable('change_log')
        .addColumn('position', 'bigint', (c) => c.primaryKey())
        .addColumn('channel', 'text', (c) => c.notNull())
        .addColumn('recipient', 'text')
        .addColumn('action', 'text')
        .addColumn('data', 'text', (c) => c.notNull())
        .addColumn('previous', 'text')
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .execute();
      await db.schema.createIndex('change_log_channel').on('change_log').columns(['channel', 'position']).execute();
      await db.schema.createIndex('change_log_created').on('change_log').columns(['created_at']).execute();
      // Positions start past every seq this shop handed out before the log existed (the in-process
      // bus's blocks, stored chat history), and everything before the start counts as pruned: a
      // client resuming from such an old seq is told to start again, never replayed a hole.
      const state = db as Kysely<{ bus_state: { name: string; value: number }; chat_messages: { seq: number } }>;
      const bus = await state.selectFrom('bus_state').select('value').where('name', '=', 'memory-bus-seq').executeTakeFirst();
      const chat = await state.selectFrom('chat_messages').select((eb) => eb.fn.max('seq').as('seq')).executeTakeFirst();
      const start = Math.max(Number(bus?.value ?? 0), Number(chat?.seq ?? 0));
      for (const name of ['log-head', 'log-pruned', 'log-published']) {
        await state.insertInto('bus_state').values({ name, value: start }).onConflict((oc) => oc.column('name').doNothing()).execute();
      }
    },
  },
});

/** Runs every pending migration of the store and of `sets` (the resources'), by name; returns the names applied. */
export async function migrateToLatest(db: Kysely<unknown>, dialect: Dialect, sets: readonly MigrationSet[] = []): Promise<string[]> {
  const all: Record<string, Migration> = {};
  for (const set of [coreMigrations, ...sets]) {
    for (const [name, migration] of Object.entries(set(dialect))) {
      if (name in all) throw new Error(`two migrations are named ${name}`);
      all[name] = migration;
    }
  }
  const provider: MigrationProvider = { getMigrations: async () => all };
  const migrator = new Migrator({ db, provider, migrationTableName: 'boutique_migrations', migrationLockTableName: 'boutique_migrations_lock' });
  const { error, results } = await migrator.migrateToLatest();
  if (error) throw error instanceof Error ? error : new Error(String(error));
  return (results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName);
}
