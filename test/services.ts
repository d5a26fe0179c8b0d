/**
 * Real PostgreSQL and Redis for the tests that say so in their file name (STYLE.md item 10).
 * Each test gets its own database / key prefix and removes it afterwards. Where a service is
 * absent the tests skip with a message saying how to get it; BOUTIQUE_REQUIRE_SERVICES=1 (CI)
 * turns the skip into a failure.
 */
import { randomBytes } from 'node:crypto';
import { test } from 'node:test';
import pg from 'pg';
import { Redis } from 'ioredis';

export const TEST_DATABASE_URL = process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
export const TEST_REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
export const SERVICES_REQUIRED = process.env.BOUTIQUE_REQUIRE_SERVICES === '1';

const hostOf = (url: string): string => {
  const u = new URL(url);
  return `${u.hostname}:${u.port || (u.protocol.startsWith('redis') ? '6379' : '5432')}`;
};

/** A name no other test run uses: `<pid>_<random>`. */
export const uniqueSuffix = (): string => `${process.pid}_${randomBytes(4).toString('hex')}`;

async function reachablePostgres(): Promise<boolean> {
  const client = new pg.Client({ connectionString: TEST_DATABASE_URL, connectionTimeoutMillis: 2000 });
  client.on('error', () => {});
  try {
    await client.connect();
    await client.query('select 1');
    return true;
  } catch {
    return false;
  } finally {
    await client.end().catch(() => {});
  }
}

async function reachableRedis(): Promise<boolean> {
  const redis = new Redis(TEST_REDIS_URL, { lazyConnect: true, connectTimeout: 2000, maxRetriesPerRequest: 0, retryStrategy: () => null, enableOfflineQueue: false });
  redis.on('error', () => {});
  try {
    await redis.connect();
    return (await redis.ping()) === 'PONG';
  } catch {
    return false;
  } finally {
    redis.disconnect();
  }
}

/**
 * Probes the services a test file needs. Returns false when all answer (run the tests), or
 * the skip message. When services are required, an unreachable one also registers a failing
 * test, so the run fails with the same message.
 */
export async function needServices(...services: ('postgres' | 'redis')[]): Promise<string | false> {
  const missing: string[] = [];
  if (services.includes('postgres') && !(await reachablePostgres())) {
    missing.push(`PostgreSQL not reachable at ${hostOf(TEST_DATABASE_URL)}; set TEST_DATABASE_URL or start PostgreSQL`);
  }
  if (services.includes('redis') && !(await reachableRedis())) {
    missing.push(`Redis not reachable at ${hostOf(TEST_REDIS_URL)}; set TEST_REDIS_URL or start Redis`);
  }
  if (missing.length === 0) return false;
  const message = `${missing.join('; ')} (BOUTIQUE_REQUIRE_SERVICES=1 makes this mandatory)`;
  if (SERVICES_REQUIRED) {
    test(`required services are reachable (${services.join(', ')})`, () => {
      throw new Error(message);
    });
  }
  return message;
}

export interface TestDatabase {
  url: string;
  drop(): Promise<void>;
}

/** Creates `boutique_test_<pid>_<random>` on the test server; `drop()` removes it (forcing out leftover connections). */
export async function createTestDatabase(): Promise<TestDatabase> {
  const name = `boutique_test_${uniqueSuffix()}`;
  const admin = new pg.Client({ connectionString: TEST_DATABASE_URL, connectionTimeoutMillis: 2000 });
  admin.on('error', () => {});
  await admin.connect();
  try {
    await admin.query(`create database ${name}`);
  } finally {
    await admin.end();
  }
  const url = new URL(TEST_DATABASE_URL);
  url.pathname = '/' + name;
  return {
    url: url.toString(),
    async drop() {
      const client = new pg.Client({ connectionString: TEST_DATABASE_URL, connectionTimeoutMillis: 2000 });
      client.on('error', () => {});
      await client.connect();
      try {
        await client.query(`drop database if exists ${name} with (force)`);
      } finally {
        await client.end();
      }
    },
  };
}

export interface TestRedisPrefix {
  prefix: string;
  /** Deletes every key under the prefix. */
  clean(): Promise<void>;
}

/** A key prefix of its own (`boutique_test:<pid>_<random>:`) and the function that deletes its keys. */
export function createTestRedisPrefix(): TestRedisPrefix {
  const prefix = `boutique_test:${uniqueSuffix()}:`;
  return {
    prefix,
    async clean() {
      const redis = new Redis(TEST_REDIS_URL, { maxRetriesPerRequest: 1 });
      redis.on('error', () => {});
      try {
        let cursor = '0';
        do {
          const [next, keys] = await redis.scan(cursor, 'MATCH', prefix + '*', 'COUNT', 500);
          cursor = next;
          if (keys.length > 0) await redis.del(...keys);
        } while (cursor !== '0');
      } finally {
        redis.disconnect();
      }
    },
  };
}

export interface TcpProxy {
  /** The port on 127.0.0.1 to connect to instead of the service's. */
  port: number;
  /** Drops every connection and refuses new ones (resets them): the service "goes away". */
  cut(): void;
  /** Lets connections through again. */
  restore(): void;
  close(): Promise<void>;
}

/**
 * A TCP proxy on loopback in front of a real service, to take the service away from one client
 * and give it back — never stopping the machine's PostgreSQL or Redis.
 */
export async function startTcpProxy(target: string): Promise<TcpProxy> {
  const { createServer, connect } = await import('node:net');
  const u = new URL(target);
  const targetPort = Number(u.port || (u.protocol.startsWith('redis') ? 6379 : 5432));
  let open = true;
  const sockets = new Set<import('node:net').Socket>();
  const server = createServer((client) => {
    if (!open) {
      client.resetAndDestroy();
      return;
    }
    const upstream = connect(targetPort, u.hostname);
    for (const s of [client, upstream]) {
      sockets.add(s);
      s.on('error', () => {});
      s.on('close', () => {
        sockets.delete(s);
        client.destroy();
        upstream.destroy();
      });
    }
    client.pipe(upstream);
    upstream.pipe(client);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as import('node:net').AddressInfo).port;
  return {
    port,
    cut() {
      open = false;
      for (const s of sockets) s.resetAndDestroy();
    },
    restore() {
      open = true;
    },
    async close() {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** `target` with its host and port replaced by the proxy's. */
export function viaProxy(target: string, proxy: TcpProxy): string {
  const u = new URL(target);
  u.hostname = '127.0.0.1';
  u.port = String(proxy.port);
  return u.toString();
}

/** Polls `check` until it returns true or `timeoutMs` passes. */
export async function eventually(check: () => boolean | Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      if (await check()) return;
    } catch {
      // not yet
    }
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
