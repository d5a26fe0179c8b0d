/**
 * The pg-read scenario's database: created before the run on the local PostgreSQL
 * (BENCH_DATABASE_URL, default postgres://postgres@127.0.0.1:5432/postgres) and dropped after it,
 * forcing out any connection a killed server left behind.
 */
import pg from 'pg';

export const ADMIN_URL = process.env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

async function admin(sql) {
  const client = new pg.Client({ connectionString: ADMIN_URL, connectionTimeoutMillis: 2000 });
  client.on('error', () => {});
  await client.connect();
  try {
    return await client.query(sql);
  } finally {
    await client.end();
  }
}

/** The reason PostgreSQL cannot be used, or null when it answers. */
export async function unavailable() {
  try {
    await admin('select 1');
    return null;
  } catch (err) {
    return `PostgreSQL not reachable at ${new URL(ADMIN_URL).host}: ${err.message}`;
  }
}

/** Creates a database of its own; returns its URL. */
export async function createDatabase(name) {
  await admin(`create database ${name}`);
  const url = new URL(ADMIN_URL);
  url.pathname = `/${name}`;
  return url.toString();
}

export async function dropDatabase(name) {
  await admin(`drop database if exists ${name} with (force)`);
}
