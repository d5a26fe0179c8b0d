import type { Kysely } from 'kysely';
import type { Config } from '../config.js';
import type { Database } from './database.js';
import { CustomerStore } from '../resources/customers/store.js';
import { OrderStore } from '../resources/orders/store.js';
import { ChatStore } from '../chat/store.js';
import { reserveSeqBlock } from './seq-blocks.js';
import { migrateToLatest } from './migrations.js';
import type { ConnectionOptions } from './query-log.js';
import type { QueryRunner } from './prepared.js';

export type Dialect = 'sqlite' | 'postgres';

/**
 * Storage behind one interface, chosen once from config (STYLE.md item 3). Routes and socket
 * handlers see resource stores only — never SQL, never a transaction.
 */
export interface Store {
  readonly dialect: Dialect;
  readonly db: Kysely<Database>;
  readonly customers: CustomerStore;
  readonly orders: OrderStore;
  readonly chat: ChatStore;
  /**
   * A number that changes whenever customers, orders or their items may have changed, for caches
   * of what they show (src/http/page-cache.ts); undefined when the store cannot tell — PostgreSQL,
   * where other instances write. On SQLite this process's own writes count at once and another
   * process's commits within 100 ms.
   */
  changes(): number | undefined;
  /** The first of `size` sequence numbers no earlier process used (see seq-blocks.ts). */
  reserveSeqBlock(name: string, size: number): Promise<number>;
  /** Resolves when the database answers; rejects otherwise. */
  ping(): Promise<void>;
  close(): Promise<void>;
}

export interface Connection {
  dialect: Dialect;
  db: Kysely<Database>;
  /** Runs a precompiled query (the stores' hot paths); see src/store/prepared.ts. */
  run: QueryRunner;
  /** See Store.changes. */
  changes(): number | undefined;
  ping(): Promise<void>;
  close(): Promise<void>;
}

export async function openConnection(databaseUrl: string, options: ConnectionOptions = {}): Promise<Connection> {
  if (databaseUrl.startsWith('sqlite:')) {
    const { openSqlite } = await import('./sqlite.js');
    return openSqlite(databaseUrl.slice('sqlite:'.length), options);
  }
  const { openPostgres } = await import('./postgres.js');
  return openPostgres(databaseUrl, options);
}

export async function createStore(config: Pick<Config, 'databaseUrl'>, options: { migrate?: boolean } & ConnectionOptions = {}): Promise<Store> {
  const connection = await openConnection(config.databaseUrl, options);
  if (options.migrate !== false) {
    try {
      await migrateToLatest(connection.db as Kysely<unknown>, connection.dialect);
    } catch (err) {
      await connection.close();
      throw err;
    }
  }
  const { db, dialect, run } = connection;
  return {
    dialect,
    db,
    customers: new CustomerStore(db, dialect, run),
    orders: new OrderStore(db, dialect, run),
    chat: new ChatStore(db, run),
    changes: () => connection.changes(),
    reserveSeqBlock: (name, size) => reserveSeqBlock(db, name, size),
    ping: () => connection.ping(),
    close: () => connection.close(),
  };
}
