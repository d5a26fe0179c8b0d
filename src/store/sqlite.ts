import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { Kysely, SqliteDialect, sql, type CompiledQuery, type QueryResult, type SqliteDatabase, type SqliteStatement } from 'kysely';
import type { Database } from './database.js';
import type { Connection } from './store.js';
import { queryLog, type ConnectionOptions } from './query-log.js';

const STATEMENT_CACHE_SIZE = 256;
/** How often the connection asks SQLite whether another process wrote to the file. */
const EXTERNAL_WRITE_POLL_MS = 100;
/** Statements that write these tables change what a list page shows (chat history and bus state do not). */
const SHOP_TABLES = /\b(customers|orders|order_items)\b/i;

/**
 * SQLite through better-sqlite3, behind Kysely. Kysely prepares every query anew; preparing is
 * the most expensive step of a primary-key read, so the database handed to Kysely keeps the
 * prepared statements by SQL text (STYLE.md item 12: prepared statements on the hot path).
 */
export function openSqlite(path: string, options: ConnectionOptions = {}): Connection {
  if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
  const raw = new BetterSqlite3(path);
  raw.pragma('journal_mode = WAL');
  // NORMAL in WAL mode: a commit survives a process crash (kill -9); FULL would also survive power loss.
  raw.pragma('synchronous = NORMAL');
  raw.pragma('foreign_keys = ON');
  raw.pragma('busy_timeout = 5000');

  // What `changes()` reports: bumped by every statement of this connection that writes a shop
  // table, and by the poller below when another process (a `boutique import`) committed.
  let writes = 0;
  const dataVersion = raw.prepare('pragma data_version').pluck();
  let lastDataVersion = dataVersion.get() as number;
  const poller = setInterval(() => {
    const now = dataVersion.get() as number;
    if (now !== lastDataVersion) {
      lastDataVersion = now;
      writes++;
    }
  }, EXTERNAL_WRITE_POLL_MS);
  poller.unref();
  /**
   * A statement that writes a shop table bumps `writes` each time it runs — before its
   * transaction commits, so a cache can only forget too early, never too late. (`reader` is no
   * test: an INSERT … RETURNING is a reader; better-sqlite3's `readonly` is.)
   */
  const counted = (statement: SqliteStatement): SqliteStatement => ({
    reader: statement.reader,
    all(parameters) {
      writes++;
      return statement.all(parameters);
    },
    iterate(parameters) {
      writes++;
      return statement.iterate(parameters);
    },
    run(parameters) {
      writes++;
      return statement.run(parameters);
    },
  });

  const cache = new Map<string, SqliteStatement>();
  const database: SqliteDatabase = {
    prepare(text: string): SqliteStatement {
      let statement = cache.get(text);
      if (!statement) {
        if (cache.size >= STATEMENT_CACHE_SIZE) cache.clear();
        const prepared = raw.prepare(text);
        statement = !prepared.readonly && SHOP_TABLES.test(text) ? counted(prepared as unknown as SqliteStatement) : (prepared as unknown as SqliteStatement);
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
      const statement = database.prepare(query.sql);
      let result: QueryResult<R>;
      if (statement.reader) {
        result = { rows: statement.all(query.parameters) as R[] };
      } else {
        const { changes, lastInsertRowid } = statement.run(query.parameters);
        result = { rows: [], numAffectedRows: BigInt(changes), insertId: BigInt(lastInsertRowid) };
      }
      onQuery?.(performance.now() - started, true);
      return Promise.resolve(result);
    } catch (err) {
      onQuery?.(performance.now() - started, false);
      return Promise.reject(err);
    }
  };

  return {
    dialect: 'sqlite',
    db,
    run,
    changes: () => writes,
    async ping() {
      await sql`select 1`.execute(db);
    },
    async close() {
      await db.destroy();
    },
  };
}
