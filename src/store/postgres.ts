import pg from 'pg';
import { Kysely, PostgresDialect, sql, type PostgresPool, type PostgresPoolClient } from 'kysely';
import type { Database } from './database.js';
import type { Connection, TxContext } from './types.js';
import { queryLog, type ConnectionOptions } from './query-log.js';
import { TransactionAborted, asUnavailable } from './errors.js';
import { UnavailableError } from '../errors.js';

/** Connections per instance; several instances share the server's max_connections (100 by default). */
export const POOL_MAX = 10;
/** A request waits at most this long for a connection before it is answered 503 (not hung). */
const CONNECT_TIMEOUT_MS = 3000;
/** A statement that runs longer is cancelled: the server side of a request can never outlive it by much. */
const STATEMENT_TIMEOUT_MS = 15_000;

const INT8_OID = 20;

/**
 * int8 (bigint) columns hold cents, sequence numbers and COUNT(*): all far below 2^53, so they
 * are numbers here exactly as on SQLite. Set per pool, not on the pg module, so another pg user
 * in the process keeps the default (strings).
 */
const types = {
  getTypeParser(oid: number, format?: 'text' | 'binary') {
    if (oid === INT8_OID && format !== 'binary') return (value: string) => Number(value);
    // pg's own signature is overloaded by format; the default parser fits both.
    return pg.types.getTypeParser(oid, format as 'text');
  },
};

/**
 * PostgreSQL through pg.Pool, behind Kysely. The store queries are the same as on SQLite; what
 * differs is the failure mode: the server can go away and come back. A connection that cannot
 * be had becomes UnavailableError (503), a broken connection leaves the pool (pg-pool drops
 * clients that errored), and the next request simply opens a new one — recovery needs nothing.
 */
export function openPostgres(url: string, options: { max?: number; connectTimeoutMs?: number } & ConnectionOptions = {}): Connection {
  const pool = new pg.Pool({
    connectionString: url,
    max: options.max ?? POOL_MAX,
    connectionTimeoutMillis: options.connectTimeoutMs ?? CONNECT_TIMEOUT_MS,
    idleTimeoutMillis: 30_000,
    keepAlive: true,
    statement_timeout: STATEMENT_TIMEOUT_MS,
    application_name: 'boutique',
    types,
  });
  // An idle client that loses its server emits 'error' on the pool; without a listener that
  // would crash the process. The pool has already dropped the client; nothing else to do.
  pool.on('error', () => {});
  const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool: unavailableWhenUnreachable(pool) }), ...queryLog(options.onQuery) });
  /** The change-log head (src/store/change-log.ts), compiled once. */
  const HEAD = sql<{ value: number }>`select value from bus_state where name = 'log-head'`.compile(db);
  return {
    dialect: 'postgres',
    db,
    // Precompiled queries (src/store/prepared.ts) go through Kysely's pool like any other.
    run: (query) => db.executeQuery(query),
    // One snapshot for the head and the reads: REPEATABLE READ takes it at the first statement,
    // and since positions commit in order (src/store/change-log.ts) it holds every change up to the head.
    readAt: (read) =>
      db
        .transaction()
        .setIsolationLevel('repeatable read')
        .setAccessMode('read only')
        .execute(async (trx) => {
          const position = Number((await trx.executeQuery(HEAD)).rows[0]?.value ?? 0);
          const value = await read((query) => trx.executeQuery(query));
          return { value, position };
        })
        .catch((err: unknown) => {
          throw asUnavailable(err);
        }),
    transact: (work) =>
      db.connection().execute(async (conn) => {
        await sql`begin`.execute(conn);
        const tx: TxContext = {
          db: conn,
          dialect: 'postgres',
          run: (query) => conn.executeQuery(query),
          async isolated(step) {
            await sql`savepoint op`.execute(conn);
            try {
              const value = await step();
              await sql`release savepoint op`.execute(conn);
              return value;
            } catch (err) {
              try {
                await sql`rollback to savepoint op`.execute(conn);
                await sql`release savepoint op`.execute(conn);
              } catch (lost) {
                throw new TransactionAborted(lost);
              }
              throw err;
            }
          },
        };
        try {
          const { value } = await work(tx);
          await sql`commit`.execute(conn);
          return value;
        } catch (err) {
          await sql`rollback`.execute(conn).catch(() => {});
          throw err;
        }
      }),
    async refreshHead() {
      return Number((await db.executeQuery(HEAD)).rows[0]?.value ?? 0);
    },
    // Other instances write to the same database: no poll of this connection could tell.
    externalChanges: () => undefined,
    async ping() {
      try {
        await sql`select 1`.execute(db);
      } catch (err) {
        throw asUnavailable(err);
      }
    },
    async close() {
      await db.destroy();
    },
  };
}

/**
 * Every failure to get a connection means the database is unreachable (refused, timed out,
 * too many clients, starting up), whatever pg calls it; the stores then answer 503.
 */
function unavailableWhenUnreachable(pool: pg.Pool): PostgresPool {
  const guarded = new WeakSet<pg.PoolClient>();
  return {
    async connect(): Promise<PostgresPoolClient> {
      let client: pg.PoolClient;
      try {
        client = await pool.connect();
      } catch (err) {
        throw new UnavailableError('database unavailable', { cause: err });
      }
      // pg-pool listens for 'error' only while a client is idle. A connection that breaks while
      // checked out (the query already failed with ECONNRESET) emits 'error' again on the
      // client; with no listener that is an uncaught exception, i.e. a crash.
      if (!guarded.has(client)) {
        guarded.add(client);
        client.on('error', () => {});
      }
      return client;
    },
    end: () => pool.end(),
  };
}
