import type { Kysely, Transaction } from 'kysely';
import type { Database } from './database.js';
import type { QueryRunner } from './prepared.js';

/**
 * The storage contract, apart from the factory that opens it (src/store/open.ts): repositories
 * and services depend on these types only, so nothing that stores data imports what builds it.
 */
export type Dialect = 'sqlite' | 'postgres';

/** One open database: Kysely for built queries, `run` for precompiled ones (src/store/prepared.ts). */
export interface Connection {
  readonly dialect: Dialect;
  readonly db: Kysely<Database>;
  /** Runs a precompiled query outside any transaction (the hot reads). */
  readonly run: QueryRunner;
  /** Runs precompiled queries inside `trx` (a write operation's statements). */
  inTransaction(trx: Transaction<Database>): QueryRunner;
  /**
   * A number that changes whenever another process may have changed the data (SQLite's
   * data_version, polled); undefined where the connection cannot tell (PostgreSQL). The write
   * path reports this process's own commits; caches combine both (src/http/page-cache.ts).
   */
  externalChanges(): number | undefined;
  /** Resolves when the database answers; rejects with UnavailableError (503) otherwise. */
  ping(): Promise<void>;
  close(): Promise<void>;
}

/** A connection with its migrations applied, as the app and the commands use it. */
export interface Storage extends Connection {
  /** The first of `size` sequence numbers no earlier process used (src/store/seq-blocks.ts). */
  reserveSeqBlock(name: string, size: number): Promise<number>;
}
