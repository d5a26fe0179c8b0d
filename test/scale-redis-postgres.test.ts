/**
 * Several instances sharing one PostgreSQL and one Redis. Two apps in this
 * process with distinct instance ids, and one real child process for the kill -9 test.
 * Needs PostgreSQL and Redis (TEST_DATABASE_URL, TEST_REDIS_URL); skips without them unless
 * BOUTIQUE_REQUIRE_SERVICES=1.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { after, before, describe, test } from 'node:test';
import WebSocket from 'ws';
import { buildApp, type App } from '../src/app.js';
import { testConfig, type Config } from '../src/config.js';
import type { BusMessage } from '../src/bus/bus.js';
import { LOG_CHANNEL, decodeEntries } from '../src/live/relay.js';
import { buildCustomer } from './helpers.js';
import {
  TEST_REDIS_URL, createTestDatabase, createTestRedisPrefix, eventually, needServices, startTcpProxy, viaProxy, type TestDatabase,
} from './services.js';

const skip = await needServices('postgres', 'redis');
const keys = createTestRedisPrefix();
let database: TestDatabase | undefined;
const apps: App[] = [];
const children: ChildProcess[] = [];

async function instance(name: string, overrides: Partial<Config> = {}): Promise<{ app: App; url: string; ws: string }> {
  const app = await buildApp(testConfig({ databaseUrl: database!.url, redisUrl: TEST_REDIS_URL, redisPrefix: keys.prefix, instanceId: name, ...overrides }));
  apps.push(app);
  const url = await app.listen({ port: 0, host: '127.0.0.1' });
  return { app, url, ws: url.replace(/^http/, 'ws') + '/socketserver' };
}

/** A chat client that keeps every frame, to wait for one that matches. */
class Client {
  readonly frames: Record<string, unknown>[] = [];
  private constructor(readonly ws: WebSocket) {
    ws.on('message', (data) => this.frames.push(JSON.parse(data.toString()) as Record<string, unknown>));
    ws.on('error', () => {});
  }
  static async open(url: string): Promise<Client> {
    const ws = new WebSocket(url, 'json');
    await new Promise((resolve, reject) => ws.once('open', resolve).once('error', reject));
    return new Client(ws);
  }
  send(frame: Record<string, unknown>): void {
    this.ws.send(JSON.stringify({ id: 0, date: Date.now(), ...frame }));
  }
  async next(match: (f: Record<string, unknown>) => boolean, what: string, timeoutMs = 5000): Promise<Record<string, unknown>> {
    let found: Record<string, unknown> | undefined;
    await eventually(() => (found = this.frames.find(match)) !== undefined, timeoutMs, what);
    return found!;
  }
}

before(async () => {
  if (!skip) database = await createTestDatabase();
});

after(async () => {
  for (const child of children) child.kill('SIGKILL');
  await Promise.allSettled(apps.map((a) => a.close()));
  if (!skip) {
    await keys.clean();
    await database?.drop();
  }
});

describe('two instances sharing PostgreSQL and Redis', { skip }, () => {
  test('a REST write on A is relayed to B over the bus, and B\'s live tail delivers it at its position', async () => {
    const a = await instance('A');
    const b = await instance('B');
    const got: BusMessage[] = [];
    b.app.services.bus.subscribe(LOG_CHANNEL, (m) => got.push(m));
    const delivered: number[] = [];
    b.app.services.tail.subscribe((entry) => delivered.push(entry.position));
    const res = await a.app.inject({ method: 'POST', url: '/customers', payload: buildCustomer() });
    assert.equal(res.statusCode, 201);
    const created = res.json<{ id: number; email: string }>();
    const position = Number(res.headers['boutique-log-position']);
    await eventually(() => got.length === 1, 3000, 'the relayed entry on B');
    const [entry] = decodeEntries(got[0]!.data);
    assert.equal(entry!.position, position);
    assert.equal(entry!.channel, 'customers');
    assert.equal(entry!.action, 'created');
    assert.equal(JSON.parse(entry!.data).id, created.id);
    await eventually(() => delivered.includes(position), 3000, 'B\'s tail to deliver it');
    // B reads what A wrote: one database.
    assert.equal((await b.app.inject({ url: `/customers/${created.id}` })).json<{ email: string }>().email, created.email);
  });

  test('a chat message from a client on A reaches a client on B; a name taken on A is refused on B', async () => {
    const a = await instance('A2');
    const b = await instance('B2');
    const ann = await Client.open(a.ws);
    const bea = await Client.open(b.ws);
    try {
      ann.send({ type: 'username', name: 'ann' });
      await ann.next((f) => f.type === 'userlist' && (f.users as string[]).includes('ann'), 'ann signed in');
      await bea.next((f) => f.type === 'userlist' && (f.users as string[]).includes('ann'), 'B’s user list to show ann');
      bea.send({ type: 'username', name: 'ann' });
      const rejected = await bea.next((f) => f.type === 'rejectusername', 'the name refused on B');
      assert.equal(rejected.name, 'ann1');
      ann.send({ type: 'message', text: 'hello from A <b>' });
      const message = await bea.next((f) => f.type === 'message' && f.name === 'ann', 'the message on B');
      assert.equal(message.text, 'hello from A &lt;b&gt;');
      assert.equal(typeof message.seq, 'number');
    } finally {
      ann.ws.terminate();
      bea.ws.terminate();
    }
  });

  test('killing instance A (kill -9) removes its users from B’s presence within the bound', { timeout: 30_000 }, async () => {
    const b = await instance('B3');
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli.ts', 'serve'], {
      env: { ...process.env, PORT: '0', HOST: '127.0.0.1', DATABASE_URL: database!.url, REDIS_URL: TEST_REDIS_URL, REDIS_PREFIX: keys.prefix, INSTANCE_ID: 'A3', LOG_LEVEL: 'info' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    children.push(child);
    let log = '';
    child.stdout!.on('data', (d: Buffer) => (log += d.toString()));
    child.stderr!.on('data', (d: Buffer) => (log += d.toString()));
    await eventually(() => /listening at (http:\/\/[\d.:]+)/i.test(log), 15_000, 'the child to listen');
    const url = /listening at (http:\/\/[\d.:]+)/i.exec(log)![1]!;
    const zed = await Client.open(url.replace(/^http/, 'ws') + '/socketserver');
    zed.send({ type: 'username', name: 'zed' });
    const watcher = await Client.open(b.ws);
    await watcher.next((f) => f.type === 'userlist' && (f.users as string[]).includes('zed'), 'zed online, seen from B');

    child.kill('SIGKILL');
    const killedAt = Date.now();
    await eventually(async () => !(await b.app.services.bus.presence.members('chat:online')).includes('zed'), 12_000, 'zed to leave B’s presence');
    const elapsed = Date.now() - killedAt;
    assert.ok(elapsed <= 8_500, `gone after ${elapsed} ms (bound: 6 s TTL + one 2 s sweep)`);
    zed.ws.terminate();
    watcher.ws.terminate();
  });
});

describe('PostgreSQL going away', { skip }, () => {
  test('requests get 503 problem+json, /readyz says so, and both recover by themselves', { timeout: 30_000 }, async () => {
    const proxy = await startTcpProxy(database!.url);
    try {
      const { app } = await instance('PGFAULT', { databaseUrl: viaProxy(database!.url, proxy) });
      assert.equal((await app.inject({ url: '/customers' })).statusCode, 200);

      proxy.cut();
      const down = await app.inject({ url: '/customers' });
      assert.equal(down.statusCode, 503);
      assert.match(String(down.headers['content-type']), /^application\/problem\+json/);
      assert.equal(down.json<{ status: number }>().status, 503);
      const write = await app.inject({ method: 'POST', url: '/customers', payload: buildCustomer() });
      assert.equal(write.statusCode, 503);
      const ready = await app.inject({ url: '/readyz' });
      assert.equal(ready.statusCode, 503);
      assert.equal(ready.json<{ checks: { database: string; bus: string } }>().checks.database, 'unavailable');
      assert.equal(ready.json<{ checks: { database: string; bus: string } }>().checks.bus, 'ok');

      proxy.restore();
      await eventually(async () => (await app.inject({ url: '/readyz' })).statusCode === 200, 10_000, '/readyz to recover');
      assert.equal((await app.inject({ method: 'POST', url: '/customers', payload: buildCustomer() })).statusCode, 201);
    } finally {
      await proxy.close();
    }
  });

  test('with Redis gone, a REST write still commits and answers; the bus reports unavailable', { timeout: 30_000 }, async () => {
    const proxy = await startTcpProxy(TEST_REDIS_URL);
    try {
      const { app } = await instance('REDISFAULT', { redisUrl: viaProxy(TEST_REDIS_URL, proxy) });
      proxy.cut();
      const res = await app.inject({ method: 'POST', url: '/customers', payload: buildCustomer() });
      assert.equal(res.statusCode, 201);
      const ready = await app.inject({ url: '/readyz' });
      assert.equal(ready.statusCode, 503);
      assert.equal(ready.json<{ checks: { bus: string } }>().checks.bus, 'unavailable');
      proxy.restore();
      await eventually(async () => (await app.inject({ url: '/readyz' })).statusCode === 200, 10_000, '/readyz to recover');
    } finally {
      await proxy.close();
    }
  });
});
