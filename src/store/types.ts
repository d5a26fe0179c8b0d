import type { CompiledQuery, Kysely, QueryResult } from 'kysely';
import type { Database } from './database.js';
import type { QueryRunner } from './prepared.js';

/**
 * The storage contract, apart from the factory that opens it (src/store/open.ts): repositories
 * and services depend on these types only, so nothing that stores data imports what builds it.
 */
export type Dialect = 'sqlite' | 'postgres';

/** A value read together with the change-log position it reflects: every change up to it, none after. */
/**
 * `oneStatement`: the read runs exactly one SELECT. PostgreSQL then reads it and the head in that
 * one statement (a statement sees one snapshot) instead of a transaction of three.
 */
export interface ReadHint {
  readonly oneStatement?: boolean;
}

export interface Positioned<T> {
  readonly value: T;
  readonly position: number;
}

/** Runs a precompiled query and returns its result at once (SQLite: better-sqlite3 is synchronous). */
export type SyncQueryRunner = <R>(query: CompiledQuery<R>) => QueryResult<R>;

/** What a transaction's work gets: queries on the transaction's connection, and savepoints. */
export interface TxContext {
  readonly db: Kysely<Database>;
  readonly dialect: Dialect;
  /** Runs precompiled queries (src/store/prepared.ts) in this transaction. */
  readonly run: QueryRunner;
  /** Runs `work` under a savepoint: if it throws, what it wrote is undone and the transaction goes on. */
  isolated<T>(work: () => Promise<T>): Promise<T>;
}

/** One open database: Kysely for built queries, `run` for precompiled ones (src/store/prepared.ts). */
export interface Connection {
  readonly dialect: Dialect;
  readonly db: Kysely<Database>;
  /** Runs a precompiled query outside any transaction (the hot reads). */
  readonly run: QueryRunner;
  /**
   * Runs `read` so that everything it reads reflects exactly one change-log position, returned
   * with it: a snapshot that a subscription from that position continues without a gap or a repeat.
   */
  readAt<T>(read: (run: QueryRunner) => Promise<T>, hint?: ReadHint): Promise<Positioned<T>>;
  /**
   * Runs `work` in one transaction on a connection held for it and commits. `work` returns the
   * change-log head its writes leave (when they moved it), so that readers see the new head
   * exactly when they see the new data.
   */
  transact<T>(work: (tx: TxContext) => Promise<{ value: T; head: number | undefined }>): Promise<T>;
  /**
   * SQLite only: runs `work` — synchronous, precompiled queries only — in one transaction, begun,
   * run and committed in this call, so no other query can interleave with it. Returns undefined,
   * having run nothing, when a transaction is open on the connection (a `transact` waiting on its
   * work, a Kysely transaction): the caller then goes through `transact`. A throw rolls it back.
   */
  transactNow?<T>(work: (run: SyncQueryRunner) => { value: T; head: number | undefined }): { value: T } | undefined;
  /**
   * Resolves once every transaction committed before the call is on disk, not only in the
   * operating system's cache: what a write is acknowledged after. Already so on PostgreSQL (its
   * COMMIT returns after the WAL flush); on SQLite an fsync of the write-ahead log, run off the
   * event loop (src/store/sqlite.ts), or nothing with SQLITE_SYNCHRONOUS=normal.
   */
  durable(): Promise<void>;
  /** Reads the change-log head from the database (after migrations, and after another process wrote). */
  refreshHead(): Promise<number>;
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
