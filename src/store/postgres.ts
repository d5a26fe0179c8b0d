import pg from 'pg';
import { Kysely, PostgresDialect, sql } from 'kysely';
import type { Database } from './database.js';
import type { Connection } from './store.js';
import { queryLog, type ConnectionOptions } from './query-log.js';

// int8 (bigint) columns hold cents and sequence numbers, all far below 2^53.
pg.types.setTypeParser(20, (v: string) => Number(v));

export function openPostgres(url: string, options: ConnectionOptions = {}): Connection {
  const pool = new pg.Pool({ connectionString: url, max: 10 });
  // An idle client that loses its server emits 'error' on the pool; without a listener that would crash the process.
  pool.on('error', () => {});
  const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }), ...queryLog(options.onQuery) });
  return {
    dialect: 'postgres',
    db,
    async ping() {
      await sql`select 1`.execute(db);
    },
    async close() {
      await db.destroy();
    },
  };
}
