import { mkdirSync } from 'node:fs';
import { open as openFile, type FileHandle } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { Kysely, SqliteDialect, sql, type CompiledQuery, type QueryResult, type SqliteDatabase, type SqliteStatement } from 'kysely';
import type { Database } from './database.js';
import type { Connection, SyncQueryRunner, TxContext } from './types.js';
import { TransactionAborted } from './errors.js';
import type { QueryRunner } from './prepared.js';
import { queryLog, type ConnectionOptions } from './query-log.js';
import { startCheckpointer } from './checkpointer.js';
import { singleFlight } from './single-flight.js';

const STATEMENT_CACHE_SIZE = 256;
/** How often the connection asks SQLite whether another process wrote to the file. */
const EXTERNAL_WRITE_POLL_MS = 100;
/**
 * Pages of write-ahead log at which the writing connection checkpoints itself after all (ten times
 * SQLite's default; the checkpoint worker keeps up below it): the log stays under ~40 MB.
 */
export const WAL_BACKSTOP_PAGES = 10_000;

/**
 * SQLite through better-sqlite3, behind Kysely. Kysely prepares every query anew; preparing is
 * the most expensive step of a primary-key read, so the database handed to Kysely keeps the
 * prepared statements by SQL text.
 */
export function openSqlite(path: string, options: ConnectionOptions = {}): Connection {
  if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
  const raw = new BetterSqlite3(path);
  raw.pragma('journal_mode = WAL');
  // SQLite itself never fsyncs at COMMIT (NORMAL, in WAL mode: a commit is in the operating
  // system's cache, which a crash of the process — kill -9 — does not lose; checkpoints still sync
  // the log before they copy it and the file after). With SQLITE_SYNCHRONOUS=full, the default, the
  // write path acknowledges a write only after `durable()` — an fsync of the write-ahead log — so
  // every acknowledged write survives a power cut too, exactly as SQLite's FULL would make it; but
  // the fsync runs on libuv's thread pool, not in the COMMIT on the event loop, which serves other
  // requests, chat and the next batch meanwhile, and one fsync covers every commit before it.
  raw.pragma('synchronous = NORMAL');
  // Checkpoints run on a worker thread (src/store/checkpointer.ts), not inside the COMMIT that
  // crosses 1,000 pages of log, where their copy and fsyncs held the event loop for milliseconds.
  // The worker copies the log into the file, but only a checkpoint that finds nothing left to copy
  // lets the next write start the log over; under writes that never pause, the worker's never
  // does, and the log grew past 150 MB in 8 s of creates (each page lookup then searches a larger
  // wal-index: CPU per create doubled). So this connection keeps SQLite's own checkpoint as a
  // backstop at WAL_BACKSTOP_PAGES: it then copies the little the worker has not, and the log starts over.
  const file = path === ':memory:' ? undefined : resolve(path);
  const checkpointer = file === undefined ? undefined : startCheckpointer(file, { onError: options.onBackgroundError });
  if (checkpointer !== undefined) raw.pragma(`wal_autocheckpoint = ${WAL_BACKSTOP_PAGES}`);
  raw.pragma('foreign_keys = ON');
  raw.pragma('busy_timeout = 5000');

  // What `externalChanges()` reports: bumped by the poller when another process (a `boutique
  // import`) committed to the file. SQLite's data_version changes only for other connections'
  // commits, so this process's own writes never count here: the write path reports those.
  let external = 0;
  const dataVersion = raw.prepare('pragma data_version').pluck();
  let lastDataVersion = dataVersion.get() as number;
  const poller = setInterval(() => {
    const now = dataVersion.get() as number;
    if (now !== lastDataVersion) {
      lastDataVersion = now;
      external++;
    }
  }, EXTERNAL_WRITE_POLL_MS);
  poller.unref();

  const cache = new Map<string, SqliteStatement>();
  const database: SqliteDatabase = {
    prepare(text: string): SqliteStatement {
      let statement = cache.get(text);
      if (!statement) {
        if (cache.size >= STATEMENT_CACHE_SIZE) cache.clear();
        statement = raw.prepare(text) as unknown as SqliteStatement;
        cache.set(text, statement);
      }
      return statement;
    },
    close() {
      clearInterval(poller);
      raw.close();
    },
  };
  const db = new Kysely<Database>({ dialect: new SqliteDialect({ database }), ...queryLog(options.onQuery) });
  const onQuery = options.onQuery;

  /** A precompiled query on its cached statement, at once: what `run`, transactions' `run` and transactNow run. */
  const runNow: SyncQueryRunner = <R>(query: CompiledQuery<R>): QueryResult<R> => {
    const statement = database.prepare(query.sql);
    if (statement.reader) return { rows: statement.all(query.parameters) as R[] };
    const { changes, lastInsertRowid } = statement.run(query.parameters);
    return { rows: [], numAffectedRows: BigInt(changes), insertId: BigInt(lastInsertRowid) };
  };

  /**
   * Runs a precompiled query (src/store/prepared.ts) on its cached statement, synchronously:
   * better-sqlite3 is synchronous anyway, and Kysely's path around it (connection mutex, logging
   * wrapper, result plugins, several promises) cost more than the statement itself. Inside an
   * open transaction the query instead queues behind it through Kysely, as every other query
   * does: run directly it would join that transaction (reading its uncommitted rows, or being
   * rolled back with it). Outside one, a synchronous statement is an atomic autocommit.
   */
  const run = <R>(query: CompiledQuery<R>): Promise<QueryResult<R>> => {
    if (raw.inTransaction) return db.executeQuery(query);
    const started = onQuery === undefined ? 0 : performance.now();
    try {
      const result = runNow(query);
      onQuery?.(performance.now() - started, true);
      return Promise.resolve(result);
    } catch (err) {
      onQuery?.(performance.now() - started, false);
      return Promise.reject(err);
    }
  };

  /**
   * Inside a transaction this module holds Kysely's one connection, and that connection is `raw`:
   * the transaction's statements run on it directly, synchronously, without queueing behind the
   * transaction they belong to.
   */
  const inTransaction: QueryRunner = (query) => {
    try {
      return Promise.resolve(runNow(query));
    } catch (err) {
      return Promise.reject(err);
    }
  };

  // The change-log head readers are told, and how many transactions have committed: both change
  // in the same synchronous step as the COMMIT itself, so a reader that saw no commit during its
  // reads saw exactly the data of `head` (readAt).
  let head = 0;
  let commits = 0;
  const statements = {
    begin: raw.prepare('begin immediate'),
    commit: raw.prepare('commit'),
    rollback: raw.prepare('rollback'),
    savepoint: raw.prepare('savepoint op'),
    release: raw.prepare('release op'),
    rollbackTo: raw.prepare('rollback to op'),
  };
  const tx = (conn: Kysely<Database>): TxContext => ({
    db: conn,
    dialect: 'sqlite',
    run: inTransaction,
    async isolated(work) {
      statements.savepoint.run();
      try {
        const value = await work();
        statements.release.run();
        return value;
      } catch (err) {
        // A failure SQLite answered by rolling the whole transaction back leaves nothing to go on with.
        if (!raw.inTransaction) throw new TransactionAborted(err);
        statements.rollbackTo.run();
        statements.release.run();
        throw err;
      }
    },
  });

  const wal = file === undefined || options.synchronous === 'normal' ? undefined : walSync(file);
  const durable = wal ?? (() => Promise.resolve());

  return {
    dialect: 'sqlite',
    db,
    run,
    durable,
    async readAt(read) {
      for (;;) {
        const seen = commits;
        const position = head;
        const value = await read(run);
        if (commits === seen) return { value, position };
      }
    },
    transact(work) {
      return db.connection().execute(async (conn) => {
        statements.begin.run();
        try {
          const { value, head: next } = await work(tx(conn));
          statements.commit.run();
          commits++;
          if (next !== undefined) head = next;
          return value;
        } catch (err) {
          if (raw.inTransaction) statements.rollback.run();
          throw err;
        }
      });
    },
    transactNow(work) {
      // Open means a transaction awaits its work (ours or Kysely's): running now would join it.
      // Closed, nothing can interleave: this begins, runs and commits before it returns.
      if (raw.inTransaction) return undefined;
      statements.begin.run();
      try {
        const { value, head: next } = work(runNow);
        statements.commit.run();
        commits++;
        if (next !== undefined) head = next;
        return { value };
      } catch (err) {
        if (raw.inTransaction) statements.rollback.run();
        throw err;
      }
    },
    async refreshHead() {
      const row = raw.prepare("select value from bus_state where name = 'log-head'").get() as { value: number } | undefined;
      head = Number(row?.value ?? 0);
      return head;
    },
    externalChanges: () => external,
    async ping() {
      await sql`select 1`.execute(db);
    },
    async close() {
      // The worker's connection first: the last connection to close checkpoints and removes the log.
      await checkpointer?.close();
      await db.destroy();
      await wal?.close();
    },
  };
}

/**
 * `durable()` for a database file: fsyncs its write-ahead log (`<file>-wal`) on libuv's thread
 * pool, through a file handle of its own (an fsync flushes the file's cached pages whichever
 * descriptor wrote them). The handle stays open: SQLite deletes or replaces the log file only when
 * the last connection closes or the journal mode changes, and this connection stays open in WAL
 * mode for the life of the process. A sync already running may have started before the caller's
 * commit, so callers arriving meanwhile share the next one, started when it ends (singleFlight):
 * one fsync in flight, one waiting, however many commits. The directory is synced once too, so the log file's
 * own entry is durable. No log file yet means nothing was written to one: nothing to wait for.
 */
function walSync(file: string): (() => Promise<void>) & { close(): Promise<void> } {
  const wal = file + '-wal';
  let handle: FileHandle | undefined;
  const syncOnce = async (): Promise<void> => {
    if (handle === undefined) {
      let opened: FileHandle;
      try {
        opened = await openFile(wal, 'r');
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
        throw err;
      }
      const directory = await openFile(dirname(file), 'r');
      try {
        await directory.sync();
      } finally {
        await directory.close();
      }
      handle = opened;
    }
    await handle.sync();
  };
  const durable = singleFlight(syncOnce);
  return Object.assign(durable, {
    close: async () => {
      await handle?.close();
      handle = undefined;
    },
  });
}
