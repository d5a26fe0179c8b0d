import { createHash } from 'node:crypto';
import pg from 'pg';
import { Kysely, PostgresDialect, sql, type CompiledQuery, type PostgresPool, type PostgresPoolClient, type QueryResult } from 'kysely';
import type { Database } from './database.js';
import type { Connection, Positioned, TxContext } from './types.js';
import type { QueryRunner } from './prepared.js';
import { queryLog, type ConnectionOptions } from './query-log.js';
import { TransactionAborted, asUnavailable } from './errors.js';
import { UnavailableError } from '../errors.js';

/** SQLSTATE 0A000 as PostgreSQL raises it for "cached plan must not change result type". */
const STALE_PLAN = '0A000';

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
  const guardedPool = unavailableWhenUnreachable(pool);
  const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool: guardedPool }), ...queryLog(options.onQuery) });
  const onQuery = options.onQuery;
  /** A read's query timed as Kysely's log times every other (the query-duration metric). */
  const timed = async <R extends pg.QueryResultRow>(query: Promise<pg.QueryResult<R>>): Promise<{ rows: R[] }> => {
    const started = onQuery === undefined ? 0 : performance.now();
    try {
      const result = await query;
      onQuery?.(performance.now() - started, true);
      return { rows: result.rows };
    } catch (err) {
      onQuery?.(performance.now() - started, false);
      throw err;
    }
  };
  /** A read's snapshot and the change-log head (src/store/change-log.ts) it holds, in one simple-protocol query. */
  const BEGIN_AND_HEAD = "begin isolation level repeatable read read only; select value from bus_state where name = 'log-head'";
  const HEAD = sql<{ value: number }>`select value from bus_state where name = 'log-head'`.compile(db);
  /**
   * A read of one SELECT, and the head, in one statement — one snapshot, one round trip: the
   * SELECT runs as a lateral subquery beside the head, so even no row brings the head back.
   * A second statement is refused (that read needs the transaction of readAt).
   */
  /**
   * The one-statement form of a SELECT, and the name it is prepared under on each connection (the
   * server parses and plans it once per connection, not once per read).
   */
  const statements = new Map<string, { text: string; name: string }>();
  const names = new Map<string, string>();
  /** The name a read's statement is prepared under on each connection. */
  const prepared = (text: string): string => {
    let name = names.get(text);
    if (name === undefined) {
      if (names.size >= 256) names.clear();
      names.set(text, (name = 'boutique_' + createHash('sha1').update(text).digest('hex').slice(0, 20)));
    }
    return name;
  };
  const headed = (select: string): { text: string; name: string } => {
    let statement = statements.get(select);
    if (statement === undefined) {
      if (statements.size >= 256) statements.clear();
      const text = `select h.value as "__log_head", q.* from (select value from bus_state where name = 'log-head') h left join lateral (select true as "__log_row", s.* from (${select}) s) q on true`;
      statements.set(select, (statement = { text, name: prepared(text) }));
    }
    return statement;
  };
  const readInOneStatement = async <T>(read: (run: QueryRunner) => Promise<T>): Promise<Positioned<T>> => {
    let position: number | undefined;
    const value = await read(async <R>(query: CompiledQuery<R>): Promise<QueryResult<R>> => {
      if (position !== undefined) throw new Error('a read hinted oneStatement ran a second statement');
      const { text, name } = headed(query.sql);
      const client = (await guardedPool.connect()) as pg.PoolClient;
      let rows: Record<string, unknown>[];
      try {
        rows = (await timed(client.query<Record<string, unknown>>({ name, text, values: query.parameters as unknown[] }))).rows;
        client.release();
      } catch (err) {
        client.release(err as Error);
        throw err;
      }
      position = Number(rows[0]?.__log_head ?? 0);
      const out: R[] = [];
      for (const row of rows) {
        if (row.__log_row !== true) continue;
        const { __log_head: _head, __log_row: _row, ...rest } = row;
        out.push(rest as R);
      }
      return { rows: out };
    });
    return { value, position: position ?? 0 };
  };

  /**
   * One snapshot for the head and the reads: REPEATABLE READ takes it at the first statement,
   * and since positions commit in order (src/store/change-log.ts) it holds every change up to
   * the head. Three round trips, the first and last cheap: BEGIN and the head in one simple
   * query, the reads, and COMMIT — sent, not waited for (a read-only transaction has nothing to
   * commit; the connection goes back to the pool once it is done). A failed read drops its
   * connection, and with it whatever that connection had prepared.
   */
  const readInTransaction = async <T>(read: (run: QueryRunner) => Promise<T>): Promise<Positioned<T>> => {
    const client = (await guardedPool.connect()) as pg.PoolClient;
    try {
      const results = (await client.query(BEGIN_AND_HEAD)) as unknown as pg.QueryResult<{ value: number }>[];
      const position = Number(results[1]?.rows[0]?.value ?? 0);
      const value = await read((query) => timed(client.query({ name: prepared(query.sql), text: query.sql, values: query.parameters as unknown[] })) as never);
      client.query('commit').then(
        () => client.release(),
        (err: Error) => client.release(err),
      );
      return { value, position };
    } catch (err) {
      client.release(err as Error);
      throw err;
    }
  };

  return {
    dialect: 'postgres',
    db,
    // Precompiled queries (src/store/prepared.ts) go through Kysely's pool like any other.
    run: (query) => db.executeQuery(query),
    // A read of one statement with the head in it, or a read-only transaction (see above).
    readAt: async (read, hint) => {
      const once = () => (hint?.oneStatement ? readInOneStatement(read) : readInTransaction(read));
      try {
        return await once();
      } catch (err) {
        // A migration by another instance changed a table under a statement prepared before it:
        // that connection is gone now (a failed read drops its connection); once more on another.
        if ((err as { code?: string }).code !== STALE_PLAN) throw asUnavailable(err);
        return once().catch((again: unknown) => {
          throw asUnavailable(again);
        });
      }
    },
    // COMMIT returned after PostgreSQL flushed its WAL (synchronous_commit, on by default).
    durable: () => Promise.resolve(),
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
