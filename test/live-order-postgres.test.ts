/**
 * Order you can rely on, on PostgreSQL: many concurrent writers on two instances (their
 * transactions may finish in any order), and subscribers that drop and resume at random points on
 * either instance. Each subscriber must end with every committed change exactly once, in position
 * order — the same list as the change log. Needs PostgreSQL and Redis (two instances share them).
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import pg from 'pg';
import { buildApp, type App } from '../src/app.js';
import { testConfig } from '../src/config.js';
import { TestClient, type Frame } from './chat-helpers.js';
import { openStream, type SseStream } from './sse-client.js';
import { TEST_REDIS_URL, createTestDatabase, createTestRedisPrefix, needServices, type TestDatabase } from './services.js';

const skip = await needServices('postgres', 'redis');
const keys = createTestRedisPrefix();
let database: TestDatabase | undefined;
const apps: App[] = [];

/** A seeded random generator, so a failing run can be repeated (ORDER_SEED). */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
const SEED = Number(process.env.ORDER_SEED ?? Date.now() % 100_000);

before(async () => {
  if (skip) return;
  database = await createTestDatabase();
  for (const name of ['order-a', 'order-b']) {
    const app = await buildApp(testConfig({ databaseUrl: database.url, redisUrl: TEST_REDIS_URL, redisPrefix: keys.prefix, instanceId: name, wsMaxPerClient: 0, wsHandshakeRate: 0 }));
    await app.listen({ port: 0, host: '127.0.0.1' });
    apps.push(app);
  }
});

after(async () => {
  await Promise.allSettled(apps.map((a) => a.close()));
  if (!skip) {
    await keys.clean();
    await database?.drop();
  }
});

const wsUrl = (app: App): string => {
  const address = app.server.address();
  if (address === null || typeof address === 'string') throw new Error('no port');
  return `ws://127.0.0.1:${address.port}/socketserver`;
};

interface Received {
  seq: number;
  topic: string;
  action: string;
  id: number;
}

/**
 * A WebSocket subscriber to both collections that drops its socket now and then and subscribes
 * again on either instance, each topic after the last seq it received on that topic (each
 * `subscribe` is its own stream, in order).
 */
class Subscriber {
  readonly received: Received[] = [];
  #client: TestClient | undefined;
  readonly #last = new Map<string, number>();
  #stopped = false;
  reconnects = 0;

  constructor(private readonly rnd: () => number) {}

  async connect(): Promise<void> {
    const app = apps[Math.floor(this.rnd() * apps.length)]!;
    const client = await TestClient.connect(wsUrl(app));
    client.ws.on('message', (data) => {
      const frame = JSON.parse(String(data)) as Frame;
      // A subscription's stream starts after the `subscribed` frame's seq: the first position to resume from.
      if (frame.type === 'subscribed' && !this.#last.has(frame.topic as string)) this.#last.set(frame.topic as string, frame.seq as number);
      if (frame.type !== 'event') return;
      const topic = frame.topic as string;
      this.received.push({ seq: frame.seq as number, topic, action: frame.action as string, id: (frame.data as { id: number }).id });
      this.#last.set(topic, frame.seq as number);
    });
    for (const topic of ['customers', 'orders']) {
      const after = this.#last.get(topic);
      client.send({ type: 'subscribe', topic, ...(after !== undefined ? { after } : {}) });
    }
    await client.next('subscribed');
    await client.next('subscribed');
    this.#client = client;
  }

  /** Drops and resumes at random moments until stopped. */
  async churn(): Promise<void> {
    while (!this.#stopped) {
      await new Promise((r) => setTimeout(r, 50 + this.rnd() * 250));
      if (this.#stopped) break;
      const client = this.#client!;
      client.ws.terminate();
      await client.closed;
      await this.connect();
      this.reconnects++;
    }
  }

  stop(): void {
    this.#stopped = true;
  }

  /** Waits until each topic's last event received is its last in `log`. */
  async reach(log: readonly Received[]): Promise<void> {
    const deadline = Date.now() + 10_000;
    for (const topic of ['customers', 'orders']) {
      const last = log.filter((e) => e.topic === topic).at(-1)?.seq ?? 0;
      while ((this.#last.get(topic) ?? 0) < last) {
        if (Date.now() > deadline) throw new Error(`subscriber stuck at ${this.#last.get(topic)} on ${topic}, last ${last}`);
        await new Promise((r) => setTimeout(r, 25));
      }
    }
  }

  close(): void {
    this.#client?.ws.terminate();
  }
}

/** An SSE stream of both collections (one stream, so one order across them) that reconnects with Last-Event-ID on either instance. */
class StreamSubscriber {
  readonly received: Received[] = [];
  #stream: SseStream | undefined;
  /** Carried from one stream to the next, as an EventSource does. */
  #lastId: string | undefined;
  #stopped = false;
  reconnects = 0;

  constructor(private readonly rnd: () => number) {}

  async connect(): Promise<void> {
    const app = apps[Math.floor(this.rnd() * apps.length)]!;
    const url = wsUrl(app).replace('ws://', 'http://').replace('/socketserver', '/events?topic=customers&topic=orders');
    const stream = openStream(url, this.#lastId === undefined ? {} : { 'last-event-id': this.#lastId });
    const push = stream.events.push.bind(stream.events);
    stream.events.push = (...events) => {
      for (const e of events) this.received.push({ seq: e.data.seq as number, topic: e.data.topic as string, action: e.data.action as string, id: (e.data.data as { id: number }).id });
      return push(...events);
    };
    await stream.ready;
    this.#stream = stream;
  }

  async churn(): Promise<void> {
    while (!this.#stopped) {
      await new Promise((r) => setTimeout(r, 50 + this.rnd() * 250));
      if (this.#stopped) break;
      this.#stream!.close();
      await this.#stream!.ended;
      this.#lastId = this.#stream!.lastEventId ?? this.#lastId;
      await this.connect();
      this.reconnects++;
    }
  }

  stop(): void {
    this.#stopped = true;
  }

  async reach(head: number): Promise<void> {
    const deadline = Date.now() + 10_000;
    while (Number(this.#stream?.lastEventId ?? 0) < head) {
      if (Date.now() > deadline) throw new Error(`stream stuck at ${this.#stream?.lastEventId}, head ${head}`);
      await new Promise((r) => setTimeout(r, 25));
    }
  }

  close(): void {
    this.#stream?.close();
  }
}

describe('order on PostgreSQL under concurrent writers', { skip }, () => {
  it(`every subscriber gets every committed change once, in position order, across random drops and resumes (ORDER_SEED=${SEED})`, { timeout: 90_000 }, async () => {
    const rnd = random(SEED);
    const subscribers = Array.from({ length: 4 }, () => new Subscriber(rnd));
    const streams = Array.from({ length: 2 }, () => new StreamSubscriber(rnd));
    for (const s of [...subscribers, ...streams]) await s.connect();
    const churning = [...subscribers, ...streams].map((s) => s.churn());

    let writing = true;
    let acknowledged = 0;
    const writer = async (app: App, k: number) => {
      const customer = (await app.inject({ method: 'POST', url: '/customers', payload: { name: `Writer ${k}`, email: `writer.${k}.${process.pid}@example.org` } })).json<{ id: number }>();
      acknowledged++;
      for (let i = 0; writing; i++) {
        const res = i % 4 === 3
          ? await app.inject({ method: 'PATCH', url: `/customers/${customer.id}`, payload: { name: `Writer ${k} ${i}` } })
          : await app.inject({ method: 'POST', url: `/customers/${customer.id}/orders`, payload: { items: [{ sku: `SKU-${k}`, quantity: 1 + (i % 5), unitPrice: 100 }] } });
        assert.ok(res.statusCode < 300, res.body);
        acknowledged++;
      }
    };
    const writers = Array.from({ length: 16 }, (_, k) => writer(apps[k % 2]!, k));
    await new Promise((r) => setTimeout(r, 3000));
    writing = false;
    await Promise.all(writers);
    for (const s of [...subscribers, ...streams]) s.stop();
    await Promise.all(churning);

    const client = new pg.Client({ connectionString: database!.url });
    await client.connect();
    const log = (await client.query<{ position: string; channel: string; action: string; data: string }>(
      "select position, channel, action, data from change_log where channel in ('customers', 'orders') order by position",
    )).rows.map((r) => ({ seq: Number(r.position), topic: r.channel, action: r.action, id: (JSON.parse(r.data) as { id: number }).id }));
    await client.end();
    assert.equal(log.length, acknowledged, 'every acknowledged write is in the log, and nothing else');
    const head = log.at(-1)!.seq;
    console.log(`${log.length} changes by 16 writers on 2 instances; WebSocket subscribers resubscribed ${subscribers.map((s) => s.reconnects).join(', ')} times, SSE streams reconnected ${streams.map((s) => s.reconnects).join(', ')} times`);
    for (const [i, s] of subscribers.entries()) {
      await s.reach(log);
      for (const topic of ['customers', 'orders']) {
        const got = s.received.filter((e) => e.topic === topic);
        const want = log.filter((e) => e.topic === topic);
        const at = got.findIndex((e, k) => JSON.stringify(e) !== JSON.stringify(want[k]));
        if (at !== -1) console.log(`subscriber ${i} ${topic} differs at ${at}: got`, JSON.stringify(got.slice(Math.max(0, at - 2), at + 3).map((e) => e.seq)), 'want', JSON.stringify(want.slice(Math.max(0, at - 2), at + 3).map((e) => e.seq)));
        assert.deepEqual(got, want, `subscriber ${i}, topic ${topic}: ${got.length} events against ${want.length} logged`);
      }
      s.close();
    }
    for (const [i, s] of streams.entries()) {
      await s.reach(head);
      assert.deepEqual(s.received, log, `stream ${i}: ${s.received.length} events against ${log.length} logged, in one order`);
      s.close();
    }
  });
});
