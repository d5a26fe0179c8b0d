/**
 * The live guarantee across two instances sharing PostgreSQL and Redis: REST writers on both,
 * WebSocket (subscribe and resume) and SSE subscribers on both; mid-run instance A is killed
 * with kill -9 and restarted, and Redis is killed and started again empty. Subscribers of A
 * reconnect to B or to the restarted A and resume. The change log in the database is the
 * reference for what every one of them must have received.
 *
 * Needs PostgreSQL (TEST_DATABASE_URL) and redis-server on PATH (a Redis of its own is started
 * on a free port); skips without them unless BOUTIQUE_REQUIRE_SERVICES=1.
 * LIVE_FAULT_SEED=<n> repeats a run's schedule (the seed is printed).
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import pg from 'pg';
import { freePort, startServerProcess, stopServerProcess, type ServerProcess } from './process.js';
import { createTestDatabase, needServices } from './services.js';
import { needRedisServer, startRedisServer } from './redis-server.js';
import { LiveCrowd, Teardown, complaints, violations } from './live-fault.js';
import { RestWriters, seededRandom } from './live-writers.js';
import type { LogRow } from './live-log.js';

const skip = (await needServices('postgres')) || needRedisServer();
const SEED = process.env.LIVE_FAULT_SEED ? Number(process.env.LIVE_FAULT_SEED) : Math.floor(Math.random() * 2 ** 31);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

const teardown = new Teardown();
const servers: ServerProcess[] = [];

after(() => teardown.run());

async function readLog(url: string): Promise<LogRow[]> {
  const client = new pg.Client({ connectionString: url });
  client.on('error', () => {});
  await client.connect();
  try {
    return (await client.query<LogRow>('select position, channel, recipient, action, data from change_log order by position')).rows;
  } finally {
    await client.end();
  }
}


type Fault = 'kill A' | 'restart Redis' | 'restart Redis while A is down' | 'restart Redis as the writers stop';

test('two instances on PostgreSQL + Redis, A killed with kill -9 and Redis restarted empty mid-run › every subscriber on either instance gets every committed change once, in order', { skip, timeout: 85_000 }, async () => {
  const random = seededRandom(SEED);
  const [portA, portB, redisPort] = [await freePort(), await freePort(), await freePort()];
  const database = await createTestDatabase();
  teardown.add(() => database.drop());
  const startRedis = async () => {
    const started = await startRedisServer(redisPort);
    teardown.add(() => started.kill());
    return started;
  };
  let redis = await startRedis();
  const start = async (env: Record<string, string>) => {
    const started = await startServerProcess(env, 30_000);
    teardown.add(() => stopServerProcess(started));
    servers.push(started);
    return started;
  };
  const common = {
    DATABASE_URL: database.url,
    REDIS_URL: redis.url,
    // Many sockets from one address, and chat clients faster than a person.
    WS_MAX_PER_CLIENT: '0', WS_HANDSHAKE_RATE: '0', SSE_MAX_PER_CLIENT: '0', WS_RATE_LIMIT: '1000',
  };
  const envA = { ...common, PORT: String(portA), INSTANCE_ID: 'A' };
  const envB = { ...common, PORT: String(portB), INSTANCE_ID: 'B' };
  const A = `http://127.0.0.1:${portA}`;
  const B = `http://127.0.0.1:${portB}`;
  // Subscribers of A come back on B, or wait for A's restart; B's stay on B.
  const toB = (n: number) => (n === 0 ? A : B);
  const onA = () => A;
  const onB = () => B;
  // Flaky clients drop their connection themselves every now and then and come back on the
  // other instance (the one that is up, when A is down).
  const flaky = { targets: (n: number) => (n % 2 === 0 ? A : B), dropAfterMs: [200, 900] as const, random: seededRandom(SEED + 2) };
  const crowd = new LiveCrowd({
    topics: [
      { label: 'ws-subscribe-A→B', targets: toB },
      { label: 'ws-subscribe-A', targets: onA },
      { label: 'ws-subscribe-B', targets: onB },
      { label: 'ws-subscribe-flaky', ...flaky },
    ],
    chatters: [
      { label: 'ws-resume-A→B-ana', targets: toB, name: 'ana', withTopics: true, chatEveryMs: 150 },
      { label: 'ws-resume-A-bo', targets: onA, name: 'bo', withTopics: true, chatEveryMs: 110 },
      { label: 'ws-resume-B-cy', targets: onB, name: 'cy', withTopics: true, chatEveryMs: 130 },
      { label: 'ws-resume-flaky-di', name: 'di', withTopics: true, chatEveryMs: 120, ...flaky },
    ],
    streams: [{ label: 'sse-A→B', targets: toB }, { label: 'sse-A', targets: onA }, { label: 'sse-B', targets: onB }, { label: 'sse-flaky', ...flaky }],
  });
  // Two writers on each instance; the writers draw from their own generator, so the fault
  // schedule does not depend on their pace.
  const writers = new RestWriters(4, (w) => (w < 2 ? A : B), seededRandom(SEED + 1));
  teardown.add(() => writers.stop());
  teardown.add(() => crowd.stop());
  let serverA: ServerProcess | undefined;
  const startA = async () => {
    serverA = await start(envA);
  };
  const killA = async () => {
    crowd.mark();
    serverA!.child.kill('SIGKILL');
    assert.equal(await serverA!.exited, 'SIGKILL');
  };
  const restartRedis = async (meanwhile: () => Promise<void> = async () => {}) => {
    await redis.kill();
    await sleep(200 + Math.floor(random() * 800));
    await meanwhile();
    redis = await startRedis();
  };
  const stopTalking = async () => {
    crowd.hush();
    await writers.stop();
  };
  // Both faults one after the other, in either order, or Redis going while A is down; and maybe
  // a last Redis restart during which the writes end, so that what the bus lost is followed by
  // silence: only reading the log brings it to the other instance.
  const faults: Fault[] = random() < 0.5 ? ['kill A', 'restart Redis'] : ['restart Redis', 'kill A'];
  if (random() < 0.35) faults.splice(0, 2, 'restart Redis while A is down');
  if (random() < 0.5) faults.push('restart Redis as the writers stop');
  try {
    // One at a time: each runs the migrations at start.
    await startA();
    await start(envB);
    crowd.start();
    await crowd.waitLive(20_000);
    // Sign-ins so far happened before some clients connected: compare from here on.
    const baseline = Math.max(0, ...(await readLog(database.url)).map((r) => Number(r.position)));
    writers.start();

    const schedule: string[] = [];
    for (const fault of faults) {
      const runFor = 700 + Math.floor(random() * 1500);
      await sleep(runFor);
      schedule.push(`${fault} after ${runFor} ms`);
      if (fault === 'restart Redis') {
        await restartRedis();
        continue;
      }
      if (fault === 'restart Redis as the writers stop') {
        await restartRedis(stopTalking);
        continue;
      }
      await killA();
      // B alone (and A's subscribers moving to it) for a while; or Redis goes too.
      if (fault === 'restart Redis while A is down') await restartRedis();
      else await sleep(300 + Math.floor(random() * 900));
      await startA();
      await crowd.waitLive(25_000);
    }
    await sleep(1000);
    await stopTalking();
    await crowd.settle(() => readLog(database.url), baseline, 15_000);

    const rows = await readLog(database.url);
    const found = violations(rows, baseline, crowd, writers);
    const changes = rows.filter((r) => r.channel === 'customers' || r.channel === 'orders').length;
    const messages = rows.filter((r) => r.channel === 'chat:room:lobby').length;
    const retried = crowd.chatters.filter((c) => c.retried.length > 0).map((c) => `${c.label} ${c.retried.length}× ${[...new Set(c.retried.map((r) => (JSON.parse(r) as { code: string }).code))].join('/')}`).join(', ') || 'none';
    console.log(
      `# scale-live (PostgreSQL + Redis), seed ${SEED}: ${schedule.join(', ')}; log ${rows.length} entries after ${baseline} ` +
        `(${changes} changes, ${messages} lobby messages); ${writers.acknowledged.length} writes acknowledged of ${writers.attempts} (${writers.unanswered} unanswered); ` +
        `received: ${crowd.pairs(rows, baseline).map((p) => `${p.label} ${p.got.length}`).join(', ')}; missed on resume: ${crowd.resumeFigures()}; dropped by flaky clients: ${crowd.flakyDrops()}; resumes retried: ${retried}; error frames in greetings: ${crowd.greetingErrors()}`,
    );
    if (found.length > 0) assert.fail(`seed ${SEED}:\n${found.join('\n')}\nserver warnings and errors:\n${complaints(servers.map((s) => s.output()))}`);
    assert.ok(writers.acknowledged.length >= 50, `only ${writers.acknowledged.length} writes acknowledged`);
    for (const label of ['ws-resume-A→B-ana', 'ws-resume-A-bo']) {
      assert.ok(crowd.chatters.find((c) => c.label === label)!.resumes.some((r) => r.complete), `${label} never completed a resume`);
    }
  } finally {
    // Clients first, so that they do not reconnect to servers on their way down.
    await Promise.all([crowd.stop(), writers.stop()]);
    await teardown.run();
  }
});
