/**
 * The live-data guarantee as a client sees it: whoever resumes from a position within retention
 * gets every change and message after it exactly once, in order; beyond retention it is told so
 * (RESUME_FAILED, a reset frame, a reset event), never left with a silent gap; a snapshot (GET)
 * and a stream after its Boutique-Log-Position join without a gap or a repeat; and a resume never
 * hands one user's private messages to another.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { startApp, TestClient, type Frame, type Running } from './chat-helpers.js';
import { openStream } from './sse-client.js';

const NO_CAPS = { wsMaxPerClient: 0, wsHandshakeRate: 0, sseMaxPerClient: 0, wsRateLimit: 100_000 };
const seqOf = (frames: Frame[]): number => Math.max(0, ...frames.map((f) => (typeof f.seq === 'number' ? f.seq : 0)));

async function post(running: Running, url: string, payload: unknown) {
  const res = await running.app.inject({ method: 'POST', url, payload: payload as Record<string, unknown> });
  assert.ok(res.statusCode === 201, `${url}: ${res.statusCode} ${res.body}`);
  return { body: res.json<{ id: number }>(), position: Number(res.headers['boutique-log-position']) };
}

let n = 0;
const customer = () => ({ name: `Guarantee ${++n}`, email: `guarantee.${n}.${process.pid}@example.org` });

/** The eviction scenario: 15 sockets, 37 messages of 65 KB each into rooms of their own. */
async function flood(running: Running): Promise<void> {
  const senders = await Promise.all(Array.from({ length: 15 }, () => TestClient.connect(running.wsUrl)));
  const text = 'f'.repeat(65_000);
  await Promise.all(
    senders.map(async (s, i) => {
      s.send({ type: 'join', room: `flood${i}` });
      await s.next('joined');
      for (let k = 0; k < 37; k++) {
        s.send({ type: 'message', room: `flood${i}`, text, date: 1 });
        await s.next('message', 10_000);
      }
      s.close();
    }),
  );
}

describe('resume after a flood into other rooms', () => {
  it('WebSocket: the lobby message sent meanwhile is delivered, and missed counts exactly what is replayed', { timeout: 60_000 }, async () => {
    const running = await startApp({ ...NO_CAPS, wsMaxFrame: 70_000 });
    try {
      const away = await TestClient.connect(running.wsUrl);
      await away.signIn('away');
      await away.drain();
      const session = away.session;
      const last = seqOf(away.frames);
      away.ws.terminate();
      await away.closed;
      const bob = await TestClient.connect(running.wsUrl);
      bob.send({ type: 'message', text: 'sent while you were away', date: 1 });
      await bob.next('message');
      await flood(running);

      const back = await TestClient.connect(running.wsUrl);
      back.send({ type: 'resume', session, seq: last });
      const resumed = await back.next('resumed');
      const missed = resumed.missed as number;
      assert.ok(missed >= 1, `missed ${missed}`);
      const replayed: Frame[] = [];
      for (let i = 0; i < missed; i++) replayed.push(await back.next());
      assert.ok(replayed.some((f) => f.type === 'message' && f.text === 'sent while you were away'), 'the lobby message is among the missed frames');
      assert.ok(replayed.every((f) => typeof f.seq === 'number' && (f.seq as number) > last), 'only frames after the position');
      const seqs = replayed.map((f) => f.seq as number);
      assert.deepEqual(seqs, [...seqs].sort((a, b) => a - b), 'in seq order');
      assert.equal(new Set(seqs).size, seqs.length, 'nothing twice');
      assert.ok(!replayed.some((f) => typeof f.room === 'string' && (f.room as string).startsWith('flood')), 'nothing of rooms it was not in');
      bob.send({ type: 'message', text: 'live again', date: 1 });
      const after = await back.next('message');
      assert.equal(after.text, 'live again', 'then live, with nothing else replayed in between');
      bob.close();
      back.close();
    } finally {
      await running.close();
    }
  });

  it('SSE: a stream that reconnects with Last-Event-ID gets the customer created meanwhile', { timeout: 60_000 }, async () => {
    const running = await startApp({ ...NO_CAPS, wsMaxFrame: 70_000 });
    try {
      const first = openStream(`${running.httpUrl}/events?topic=customers`);
      await first.ready;
      await post(running, '/customers', customer());
      const [seen] = await first.waitFor(1);
      first.close();
      const meanwhile = await post(running, '/customers', customer());
      await flood(running);
      const again = openStream(`${running.httpUrl}/events?topic=customers`, { 'last-event-id': seen!.id! });
      const [event] = await again.waitFor(1);
      assert.equal(event!.data.type, 'event');
      assert.deepEqual((event!.data.data as { id: number }).id, meanwhile.body.id);
      assert.equal(event!.id, String(meanwhile.position));
      again.close();
    } finally {
      await running.close();
    }
  });
});

describe('an event stream that drops before its first event', () => {
  it('resumes from where it started: the stream marks its position with an id-only event, as EventSource keeps it', { timeout: 30_000 }, async () => {
    const running = await startApp(NO_CAPS);
    try {
      const before = await post(running, '/customers', customer());
      const first = openStream(`${running.httpUrl}/events?topic=customers`);
      await first.ready;
      const deadline = Date.now() + 5000;
      while (first.lastEventId === undefined && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
      assert.equal(first.lastEventId, String(before.position), 'the start position, with no event dispatched');
      assert.equal(first.events.length, 0);
      first.close();
      const meanwhile = await post(running, '/customers', customer());
      const again = openStream(`${running.httpUrl}/events?topic=customers`, { 'last-event-id': first.lastEventId! });
      const [event] = await again.waitFor(1);
      assert.equal(event!.id, String(meanwhile.position));
      again.close();
    } finally {
      await running.close();
    }
  });
});

describe('a position older than retention', () => {
  it('gets RESUME_FAILED on a chat resume, a reset frame on subscribe, a reset event on SSE — and a position within retention still replays exactly', { timeout: 60_000 }, async () => {
    const running = await startApp({ ...NO_CAPS, logRetentionCount: 100 });
    try {
      const old = await post(running, '/customers', customer());
      const gone = await TestClient.connect(running.wsUrl);
      const session = gone.session;
      gone.ws.terminate();
      await gone.closed;
      for (let i = 0; i < 150; i++) await post(running, '/customers', customer());
      await running.app.services.retention.prune();

      const client = await TestClient.connect(running.wsUrl);
      client.send({ type: 'resume', session, seq: old.position });
      const failed = await client.next('error');
      assert.equal(failed.code, 'RESUME_FAILED');
      assert.match(failed.message as string, /no longer kept/);

      client.send({ type: 'subscribe', topic: 'customers', after: old.position });
      const reset = await client.next();
      const subscribed = await client.next();
      assert.deepEqual(reset, { type: 'reset', topic: 'customers', href: '/customers', seq: subscribed.seq });
      assert.equal(subscribed.type, 'subscribed', 'the subscription is live from the reset on');
      const live = await post(running, '/customers', customer());
      const event = await client.next('event');
      assert.equal(event.seq, live.position, 'live from the reset on');

      const stream = openStream(`${running.httpUrl}/events?topic=customers`, { 'last-event-id': String(old.position) });
      const [first] = await stream.waitFor(1);
      assert.equal(first!.data.type, 'reset');
      assert.equal(first!.data.href, '/customers');
      assert.equal(first!.id, String(first!.data.seq));
      stream.close();

      const recent = live.position - 3;
      client.send({ type: 'subscribe', topic: 'orders', after: recent });
      await client.next('subscribed');
      const withinRetention = openStream(`${running.httpUrl}/events?topic=customers`, { 'last-event-id': String(recent) });
      const replayed = await withinRetention.waitFor(3);
      assert.deepEqual(replayed.map((e) => e.data.type), ['event', 'event', 'event']);
      assert.deepEqual(replayed.map((e) => Number(e.id)), [recent + 1, recent + 2, recent + 3]);
      withinRetention.close();
      client.close();
    } finally {
      await running.close();
    }
  });
});

describe('private messages on resume', () => {
  it('a two-step resume naming someone else gets none of their private messages; their own session gets them', { timeout: 30_000 }, async () => {
    const running = await startApp(NO_CAPS, { chatGraceMs: 300 });
    try {
      const alice = await TestClient.connect(running.wsUrl);
      await alice.signIn('alice');
      const bob = await TestClient.connect(running.wsUrl);
      await bob.signIn('bob');
      await alice.drain();
      const before = seqOf(alice.frames);
      bob.send({ type: 'message', target: 'alice', text: 'for alice only', date: 1 });
      assert.equal((await alice.next('message')).text, 'for alice only');
      const session = alice.session;
      alice.ws.terminate();
      await alice.closed;

      // Her own session, within the grace period: the private message is replayed to her.
      const back = await TestClient.connect(running.wsUrl);
      back.send({ type: 'resume', session, seq: before });
      const resumed = await back.next('resumed');
      const replayed: Frame[] = [];
      for (let i = 0; i < (resumed.missed as number); i++) replayed.push(await back.next());
      assert.ok(replayed.some((f) => f.text === 'for alice only'), 'her own session gets it');
      back.ws.terminate();
      await back.closed;

      // Someone else, in two steps, after her name's reservation lapsed: nothing of hers.
      const mallory = await TestClient.connect(running.wsUrl);
      mallory.send({ type: 'resume', session: 's', seq: 9_007_199_254_740_991, name: 'alice' });
      assert.equal((await mallory.next('error')).code, 'RESUME_FAILED');
      await new Promise((r) => setTimeout(r, 500));
      mallory.send({ type: 'resume', session: 's', seq: 0 });
      mallory.send({ type: 'resume', session: 's', seq: 0, name: 'alice' });
      const frames = await mallory.drain(500);
      assert.ok(frames.some((f) => f.type === 'resumed' || f.type === 'error'), `answered: ${JSON.stringify(frames).slice(0, 300)}`);
      assert.ok(!frames.some((f) => JSON.stringify(f).includes('for alice only')), `no private message of alice's: ${JSON.stringify(frames).slice(0, 500)}`);
      assert.ok(!frames.some((f) => 'target' in f), 'no targeted frame at all');
      mallory.close();
      bob.close();
    } finally {
      await running.close();
    }
  });
});

describe('a snapshot and a stream after its position', () => {
  it('GET then subscribe (WebSocket and SSE) after Boutique-Log-Position, with writers busy throughout: the snapshot plus the events equals the final list, nothing twice', { timeout: 60_000 }, async () => {
    const running = await startApp(NO_CAPS);
    try {
      const ids: number[] = [];
      for (let i = 0; i < 10; i++) ids.push((await post(running, '/customers', customer())).body.id);
      let writing = true;
      const writer = (async () => {
        for (let i = 0; writing; i++) {
          const pick = ids[i % ids.length]!;
          if (i % 3 === 0) ids.push((await post(running, '/customers', customer())).body.id);
          else if (i % 3 === 1) await running.app.inject({ method: 'PATCH', url: `/customers/${pick}`, payload: { name: `Renamed ${i}` } });
          else if (ids.length > 5) {
            const gone = ids.splice(i % ids.length, 1)[0]!;
            await running.app.inject({ method: 'DELETE', url: `/customers/${gone}` });
          }
        }
      })();
      await new Promise((r) => setTimeout(r, 100));
      const snapshot = await fetch(`${running.httpUrl}/customers?per_page=100`);
      const position = Number(snapshot.headers.get('boutique-log-position'));
      assert.ok(position > 0);
      const copy = new Map<number, unknown>();
      for (const c of (await snapshot.json()) as { id: number }[]) copy.set(c.id, c);
      const sseCopy = new Map(copy);

      const ws = await TestClient.connect(running.wsUrl);
      ws.send({ type: 'subscribe', topic: 'customers', after: position });
      await ws.next('subscribed');
      const stream = openStream(`${running.httpUrl}/events?topic=customers&after=${position}`);
      await new Promise((r) => setTimeout(r, 300));
      writing = false;
      await writer;
      const final = await fetch(`${running.httpUrl}/customers?per_page=100`);
      const head = Number(final.headers.get('boutique-log-position'));
      const expected = new Map(((await final.json()) as { id: number }[]).map((c) => [c.id, c] as const));

      const wsEvents = (): Frame[] => ws.frames.filter((f) => f.type === 'event');
      const deadline = Date.now() + 5000;
      while ((wsEvents().at(-1)?.seq as number | undefined ?? 0) < head) {
        assert.ok(Date.now() < deadline, 'the WebSocket subscriber reaches the final position');
        await new Promise((r) => setTimeout(r, 25));
      }
      await stream.waitUntil((e) => Number(e.id) >= head, `the event at ${head}`);
      for (const [events, target] of [[wsEvents(), copy], [stream.events.filter((e) => e.data !== undefined).map((e) => e.data), sseCopy]] as const) {
        const seqs = events.map((e) => e.seq as number);
        assert.ok(seqs.every((s) => s > position), 'only changes after the snapshot');
        assert.deepEqual(seqs, [...new Set(seqs)].sort((a, b) => a - b), 'in order, nothing twice');
        for (const e of events) {
          const data = e.data as { id: number };
          if (e.action === 'deleted') target.delete(data.id);
          else target.set(data.id, data);
        }
        assert.deepEqual(new Map([...target].sort((a, b) => a[0] - b[0])), new Map([...expected].sort((a, b) => a[0] - b[0])));
      }
      ws.close();
      stream.close();
    } finally {
      await running.close();
    }
  });
});
