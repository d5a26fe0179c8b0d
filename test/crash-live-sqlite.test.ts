/**
 * The live guarantee under crashes, on SQLite: `boutique serve` as a real process is killed with
 * kill -9 at random moments while REST writers, WebSocket and SSE subscribers and chat clients
 * are busy, and restarted on the same file and port; the clients reconnect and resume. The change
 * log in the file is the reference for what every one of them must have received.
 *
 * LIVE_FAULT_SEED=<n> repeats a run's timings (the seed is printed).
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { freePort, startServerProcess, stopServerProcess, type ServerProcess } from './process.js';
import { LiveCrowd, Teardown, complaints, violations } from './live-fault.js';
import { RestWriters, seededRandom } from './live-writers.js';
import type { LogRow } from './live-log.js';

const KILLS = 3;
const SEED = process.env.LIVE_FAULT_SEED ? Number(process.env.LIVE_FAULT_SEED) : Math.floor(Math.random() * 2 ** 31);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

const teardown = new Teardown();
after(() => teardown.run());

function readLog(file: string): LogRow[] {
  const db = new Database(file, { fileMustExist: true });
  try {
    return db.prepare('select position, channel, recipient, action, data from change_log order by position').all() as LogRow[];
  } finally {
    db.close();
  }
}

test(`kill -9 ${KILLS} times under REST writes, chat and live subscribers on SQLite › every subscriber gets every committed change once, in order, and every chat message received is in the log`, { timeout: 85_000 }, async () => {
  const random = seededRandom(SEED);
  const dir = mkdtempSync(join(tmpdir(), 'boutique-crash-live-'));
  teardown.add(() => rmSync(dir, { recursive: true, force: true }));
  const file = join(dir, 'shop.db');
  const port = await freePort();
  // Many sockets from one address, and chat clients faster than a person.
  const env = { DATABASE_URL: `sqlite:${file}`, PORT: String(port), WS_MAX_PER_CLIENT: '0', WS_HANDSHAKE_RATE: '0', SSE_MAX_PER_CLIENT: '0', WS_RATE_LIMIT: '1000' };
  const base = `http://127.0.0.1:${port}`;
  const here = () => base;
  const flaky = { dropAfterMs: [200, 900] as const, random: seededRandom(SEED + 2) };
  const crowd = new LiveCrowd({
    // One of each kind comes back late, with more to catch up on (and more for a resume to count);
    // one of each drops its connection itself every now and then, and resumes under load.
    topics: [
      { label: 'ws-subscribe-1', targets: here },
      { label: 'ws-subscribe-2', targets: here, reconnectMs: 700 },
      { label: 'ws-subscribe-flaky', targets: here, ...flaky },
    ],
    chatters: [
      { label: 'ws-resume-ana', targets: here, name: 'ana', withTopics: true, chatEveryMs: 120 },
      { label: 'ws-resume-bo', targets: here, name: 'bo', withTopics: false, chatEveryMs: 90, reconnectMs: 700 },
      { label: 'ws-resume-cy', targets: here, name: 'cy', withTopics: true, chatEveryMs: 0, reconnectMs: 500 },
      { label: 'ws-resume-flaky-di', targets: here, name: 'di', withTopics: true, chatEveryMs: 100, ...flaky },
    ],
    streams: [
      { label: 'sse-1', targets: here },
      { label: 'sse-2', targets: here, reconnectMs: 700 },
      { label: 'sse-flaky', targets: here, ...flaky },
    ],
  });
  // The writers draw from their own generator: the kill schedule does not depend on their pace.
  const writers = new RestWriters(4, () => base, seededRandom(SEED + 1));
  const servers: ServerProcess[] = [];
  let server: ServerProcess | undefined;
  const start = async () => {
    const started = await startServerProcess(env, 30_000);
    teardown.add(() => stopServerProcess(started));
    servers.push((server = started));
  };
  teardown.add(() => writers.stop());
  teardown.add(() => crowd.stop());
  try {
    await start();
    crowd.start();
    await crowd.waitLive(15_000);
    // Sign-ins so far happened before some clients connected: compare from here on.
    const baseline = Math.max(0, ...readLog(file).map((r) => Number(r.position)));
    writers.start();

    // Each kill comes under load, once everyone is live again; or — from the second on, by the
    // seed — right after the restart, while clients are still reconnecting and resuming.
    const phases: string[] = [];
    for (let kill = 1; kill <= KILLS; kill++) {
      const early = kill > 1 && random() < 0.5;
      const runFor = early ? Math.floor(random() * 300) : 700 + Math.floor(random() * 1800);
      phases.push(`${runFor}${early ? ' (resuming)' : ''}`);
      if (!early) await crowd.waitLive(25_000);
      await sleep(runFor);
      crowd.mark();
      server!.child.kill('SIGKILL');
      assert.equal(await server!.exited, 'SIGKILL');
      await sleep(Math.floor(random() * 400));
      await start();
    }
    await crowd.waitLive(25_000);
    await sleep(800);
    crowd.hush();
    await writers.stop();
    await crowd.settle(async () => readLog(file), baseline, 15_000);

    const rows = readLog(file);
    const found = violations(rows, baseline, crowd, writers);
    const changes = rows.filter((r) => r.channel === 'customers' || r.channel === 'orders').length;
    const messages = rows.filter((r) => r.channel === 'chat:room:lobby').length;
    console.log(
      `# crash-live (SQLite), seed ${SEED}: ${KILLS} kills after ${phases.join(', ')} ms; log ${rows.length} entries after ${baseline} ` +
        `(${changes} changes, ${messages} lobby messages); ${writers.acknowledged.length} writes acknowledged of ${writers.attempts} (${writers.unanswered} unanswered); ` +
        `received: ${crowd.pairs(rows, baseline).map((p) => `${p.label} ${p.got.length}`).join(', ')}; missed on resume: ${crowd.resumeFigures()}; dropped by flaky clients: ${crowd.flakyDrops()}`,
    );
    if (found.length > 0) assert.fail(`seed ${SEED}:\n${found.join('\n')}\nserver warnings and errors:\n${complaints(servers.map((s) => s.output()))}`);
    assert.ok(writers.acknowledged.length >= 50, `only ${writers.acknowledged.length} writes acknowledged`);
    assert.ok(messages >= 10, `only ${messages} chat messages logged`);
    for (const c of crowd.chatters) assert.ok(c.resumes.some((r) => r.complete), `${c.label} never completed a resume`);
  } finally {
    // Clients first, so that they do not reconnect to servers on their way down.
    await Promise.all([crowd.stop(), writers.stop()]);
    await teardown.run();
  }
});
