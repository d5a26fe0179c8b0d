import type { Kysely } from 'kysely';
import type { Config } from '../config.js';
import type { Connection, Storage } from './types.js';
import { reserveSeqBlock } from './seq-blocks.js';
import { migrateToLatest, type MigrationSet } from './migrations.js';
import type { ConnectionOptions } from './query-log.js';

/** Storage behind one interface, chosen once from config: SQLite or PostgreSQL. */
export async function openConnection(databaseUrl: string, options: ConnectionOptions = {}): Promise<Connection> {
  if (databaseUrl.startsWith('sqlite:')) {
    const { openSqlite } = await import('./sqlite.js');
    return openSqlite(databaseUrl.slice('sqlite:'.length), options);
  }
  const { openPostgres } = await import('./postgres.js');
  return openPostgres(databaseUrl, options);
}

export interface StorageOptions extends ConnectionOptions {
  /** The resources' migrations (the registry's), run after the store's own. */
  migrations?: readonly MigrationSet[];
  /** False: open without migrating (a command that only reads). */
  migrate?: boolean;
}

export async function openStorage(config: Pick<Config, 'databaseUrl'>, options: StorageOptions = {}): Promise<Storage> {
  const connection = await openConnection(config.databaseUrl, options);
  if (options.migrate !== false) {
    try {
      await migrateToLatest(connection.db as Kysely<unknown>, connection.dialect, options.migrations);
    } catch (err) {
      await connection.close();
      throw err;
    }
  }
  if (options.migrate !== false) await connection.refreshHead();
  return {
    dialect: connection.dialect,
    db: connection.db,
    run: connection.run,
    readAt: (read, hint) => connection.readAt(read, hint),
    transact: (work) => connection.transact(work),
    ...(connection.transactNow && { transactNow: connection.transactNow.bind(connection) }),
    durable: () => connection.durable(),
    refreshHead: () => connection.refreshHead(),
    externalChanges: () => connection.externalChanges(),
    reserveSeqBlock: (name, size) => reserveSeqBlock(connection.db, name, size),
    ping: () => connection.ping(),
    close: () => connection.close(),
  };
}
