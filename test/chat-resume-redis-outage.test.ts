/**
 * Chat resume around a Redis outage, with a redis-server of the test's own behind a TCP proxy
 * that cuts it off and gives it back. A resume that cannot finish during the outage may fail; the
 * session must still be there once Redis is back, within its grace period; a resume that was
 * answered `resumed` stays answered (what it announces waits for Redis). Needs redis-server on
 * PATH; skips without it unless BOUTIQUE_REQUIRE_SERVICES=1.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { startApp, TestClient, type Frame, type Running } from './chat-helpers.js';
import { freePort } from './process.js';
import { needRedisServer, startRedisServer, type RedisServer } from './redis-server.js';
import { eventually, startTcpProxy, type TcpProxy } from './services.js';

const skip = needRedisServer();
let redis: RedisServer | undefined;
let proxy: TcpProxy | undefined;
let running: Running | undefined;

before(async () => {
  if (skip) return;
  redis = await startRedisServer(await freePort());
  proxy = await startTcpProxy(redis.url);
  running = await startApp({ redisUrl: `redis://127.0.0.1:${proxy.port}` });
});

after(async () => {
  await running?.close();
  await proxy?.close();
  await redis?.kill();
});

const ready = async (): Promise<boolean> => (await running!.app.inject({ url: '/readyz' })).statusCode === 200;

/**
 * Signs `name` in, drops the connection (the session now waits for a resume, its name reserved),
 * cuts Redis off — trying the resume meanwhile when `tryDuring` — gives Redis back, and resumes
 * again. Returns what the resume during the outage got, and the answer to the one after it.
 */
async function resumeAroundOutage(name: string, tryDuring: boolean): Promise<{ during?: Frame; after?: Frame }> {
  const watcher = await TestClient.connect(running!.wsUrl);
  const client = await TestClient.connect(running!.wsUrl);
  const session = client.session;
  const signedIn = await client.signIn(name);
  client.close();
  // Everyone is told when the server has seen the socket go: the session is detached from then on.
  await eventually(() => watcher.frames.some((f) => f.type === 'userlist' && !(f.users as string[]).includes(name)) && watcher.frames.some((f) => f.type === 'username' && f.name === name), 5000, `${name} to leave the user list`);
  watcher.close();

  proxy!.cut();
  let during: Frame | undefined;
  if (tryDuring) {
    const early = await TestClient.open(running!.wsUrl, 'json');
    await early.next('id');
    early.send({ type: 'resume', session, seq: signedIn.seq });
    during = (await early.drain(1500)).find((f) => f.type === 'resumed' || f.type === 'error');
    early.close();
  } else {
    await eventually(async () => !(await ready()), 5000, '/readyz to see Redis gone');
  }
  proxy!.restore();
  await eventually(ready, 15_000, '/readyz once Redis is back');

  const back = await TestClient.connect(running!.wsUrl);
  back.send({ type: 'resume', session, seq: signedIn.seq });
  const answer = (await back.drain(1500)).find((f) => f.type === 'resumed' || f.type === 'error');
  back.close();
  return { during, after: answer };
}

describe('chat resume around a Redis outage', { skip }, () => {
  it('resumes the session once Redis is back, when nothing was tried meanwhile', { timeout: 30_000 }, async () => {
    const { after: answer } = await resumeAroundOutage('yan', false);
    assert.equal(answer?.type, 'resumed', JSON.stringify(answer));
    assert.equal(answer.name, 'yan');
    assert.equal(answer.missed, 0);
  });

  it('may refuse a resume while Redis is away, but the same resume once it is back resumes the session', { timeout: 30_000 }, async () => {
    const { during, after: answer } = await resumeAroundOutage('zed', true);
    // Refused as "try again" (UNAVAILABLE), not as a failure of the server, nor as a lost session.
    if (during?.type === 'error') assert.equal(during.code, 'UNAVAILABLE', JSON.stringify(during));
    assert.equal(answer?.type, 'resumed', `after the outage (during it: ${JSON.stringify(during)}), the same resume got ${JSON.stringify(answer)}`);
    assert.equal(answer.name, 'zed');
    assert.equal(answer.missed, 0);
  });

  it('keeps a resume it answered while Redis is away: no error after `resumed`, and the announcement goes out once Redis is back', { timeout: 30_000 }, async () => {
    const watcher = await TestClient.connect(running!.wsUrl);
    // A session without a name: resuming it needs nothing of Redis, only its announcement does.
    const old = await TestClient.connect(running!.wsUrl);
    const session = old.session;
    proxy!.cut();
    await eventually(async () => !(await ready()), 5000, '/readyz to see Redis gone');
    const again = await TestClient.open(running!.wsUrl, 'json');
    await again.next('id');
    // The greeting's user list cannot be read without Redis: its place is taken by an error.
    assert.equal((await again.next()).type, 'error');
    again.send({ type: 'resume', session, seq: 0 });
    const resumed = await again.next('resumed', 5000);
    assert.equal(resumed.session, session);
    assert.equal((await old.closed).code, 4000, 'the older connection of the session is closed');
    // Told it resumed, the client must not then be told its request failed.
    const after = await again.drain(1500);
    assert.deepEqual(after.filter((f) => f.type === 'error'), [], JSON.stringify(after));
    await watcher.drain(0);
    proxy!.restore();
    await eventually(ready, 15_000, '/readyz once Redis is back');
    // The announcement (user list to everyone) is sent again once Redis is back.
    await watcher.next('userlist', 5000);
    // And the resumed connection is an ordinary one.
    again.send({ type: 'message', text: 'still here', id: 0, date: Date.now() });
    const echoed = await again.next('message', 5000);
    assert.equal(echoed.text, 'still here');
    assert.deepEqual(again.frames.slice(again.frames.indexOf(resumed)).filter((f) => f.type === 'error'), []);
    watcher.close();
    again.close();
  });
});

/** Waits until the server has seen every connection but `open` go (its departures handled). */
async function serverSees(open: number): Promise<void> {
  await eventually(() => running!.app.services.chat.connections() === open, 5000, `the server to hold ${open} connection(s)`);
}

/** Cuts Redis off, closes `client` and waits until the server has seen it go (`open` left), then gives Redis back. */
async function closeDuringOutage(client: TestClient, open: number): Promise<void> {
  proxy!.cut();
  await eventually(async () => !(await ready()), 5000, '/readyz to see Redis gone');
  client.close();
  await serverSees(open);
  proxy!.restore();
  await eventually(ready, 15_000, '/readyz once Redis is back');
}

const lists = (client: TestClient): string[][] => client.frames.filter((f) => f.type === 'userlist').map((f) => f.users as string[]);

describe('a departure during a Redis outage', { skip }, () => {
  it('a user whose connection closed while Redis was away leaves the user list once Redis is back', { timeout: 30_000 }, async () => {
    const watcher = await TestClient.connect(running!.wsUrl);
    const client = await TestClient.connect(running!.wsUrl);
    await client.signIn('una');
    await eventually(() => lists(watcher).some((users) => users.includes('una')), 5000, 'una in the watcher’s user list');

    await closeDuringOutage(client, 1);

    // Redis kept its data: the departure made while it was away must still reach it, and everyone.
    await eventually(() => lists(watcher).at(-1)?.includes('una') === false, 10_000, 'a user list without una for the watcher');
    const newcomer = await TestClient.connect(running!.wsUrl);
    const greeting = newcomer.frames.find((f) => f.type === 'userlist') ?? (await newcomer.next('userlist'));
    assert.ok(!(greeting.users as string[]).includes('una'), JSON.stringify(greeting));
    watcher.close();
    newcomer.close();
    await serverSees(0);
  });

  it('a session resumed once Redis is back stays online: the release it left behind while Redis was away is void', { timeout: 30_000 }, async () => {
    const client = await TestClient.connect(running!.wsUrl);
    const session = client.session;
    const signedIn = await client.signIn('vera');

    await closeDuringOutage(client, 0);

    const back = await TestClient.connect(running!.wsUrl);
    back.send({ type: 'resume', session, seq: signedIn.seq });
    const resumed = await back.next('resumed', 5000);
    assert.equal(resumed.name, 'vera');
    // Past two presence heartbeats (2 s each), the first of which makes the releases left over from the outage.
    await new Promise((resolve) => setTimeout(resolve, 4500));
    const newcomer = await TestClient.connect(running!.wsUrl);
    const greeting = newcomer.frames.find((f) => f.type === 'userlist') ?? (await newcomer.next('userlist'));
    assert.ok((greeting.users as string[]).includes('vera'), JSON.stringify(greeting));
    back.close();
    newcomer.close();
    await serverSees(0);
  });
});
