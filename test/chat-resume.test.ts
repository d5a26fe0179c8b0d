import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { startApp, TestClient, type Frame, type Running } from './chat-helpers.js';
import { buildOrder } from './helpers.js';

const seqOf = (frames: Frame[]): number => Math.max(0, ...frames.map((f) => (typeof f.seq === 'number' ? f.seq : 0)));

describe('chat resume', () => {
  let running: Running;
  before(async () => {
    running = await startApp({ wsRateLimit: 10_000 });
  });
  after(async () => {
    await running.close();
  });

  it('gives a client that comes back with its last seq exactly what it missed, and its name', async () => {
    const alice = await TestClient.connect(running.wsUrl);
    const bob = await TestClient.connect(running.wsUrl);
    const session = alice.session;
    await alice.signIn('alice');
    await bob.signIn('bob');
    bob.send({ type: 'message', text: 'seen', date: 1 });
    await alice.next('message');
    await alice.drain();
    const last = seqOf(alice.frames);

    alice.ws.terminate();
    await alice.closed;
    for (const text of ['missed 1', 'missed 2', 'missed 3']) {
      bob.send({ type: 'message', text, date: 1 });
      await bob.next('message');
    }
    const thief = await TestClient.connect(running.wsUrl);
    thief.send({ type: 'username', name: 'alice', date: 1 });
    assert.equal((await thief.next('rejectusername')).name, 'alice1', 'the name stays reserved for its session');

    const back = await TestClient.connect(running.wsUrl);
    back.send({ type: 'resume', session, seq: last });
    const resumed = await back.next('resumed');
    assert.equal(resumed.name, 'alice');
    assert.equal(resumed.session, session);
    bob.send({ type: 'message', text: 'live', date: 1 });
    const texts: string[] = [];
    const seqs: number[] = [];
    while (texts.length < 4) {
      const f = await back.next();
      if (typeof f.seq === 'number') seqs.push(f.seq);
      if (f.type === 'message') texts.push(f.text as string);
    }
    assert.deepEqual(texts, ['missed 1', 'missed 2', 'missed 3', 'live']);
    assert.deepEqual(seqs, [...seqs].sort((a, b) => a - b));
    assert.equal(new Set(seqs).size, seqs.length, 'nothing twice');
    assert.ok((await back.drain()).every((f) => f.type !== 'message'));
    for (const c of [bob, thief, back]) c.close();
  });

  it('loses nothing and repeats nothing across repeated drops while messages keep coming', async () => {
    const sender = await TestClient.connect(running.wsUrl);
    let reader = await TestClient.connect(running.wsUrl);
    const session = reader.session;
    await reader.signIn('reader');
    // Everything a user would have seen on screen, over all the connections it had.
    const received: string[] = [];
    let last = seqOf(reader.frames);
    const keep = (frames: Frame[]) => {
      for (const f of frames) if (f.type === 'message') received.push(f.text as string);
      last = Math.max(last, seqOf(frames));
    };
    const total = 60;
    const sending = (async () => {
      for (let i = 0; i < total; i++) {
        sender.send({ type: 'message', text: `m${i}`, date: 1 });
        await sender.next('message');
      }
    })();
    for (let drop = 0; drop < 4; drop++) {
      await new Promise((r) => setTimeout(r, 15));
      reader.ws.terminate();
      await reader.closed;
      keep(reader.frames);
      // Resuming at the handshake: no live frame can come before the missed ones.
      reader = await TestClient.open(`${running.wsUrl}?session=${session}&seq=${last}`);
      assert.equal((await reader.next()).type, 'id');
      await reader.next('resumed');
    }
    await sending;
    const countNow = () => received.length + reader.frames.filter((f) => f.type === 'message').length;
    while (countNow() < total) await reader.next('message');
    await reader.drain();
    keep(reader.frames);
    assert.deepEqual(received, Array.from({ length: total }, (_, i) => `m${i}`));
    sender.close();
    reader.close();
  });

  it('refuses an unknown session with an error frame and keeps the connection usable', async () => {
    const c = await TestClient.connect(running.wsUrl);
    c.send({ type: 'resume', session: 'no-such-session', seq: 1 });
    assert.equal((await c.next('error')).code, 'RESUME_FAILED');
    c.send({ type: 'message', text: 'fresh start', date: 1 });
    assert.equal((await c.next('message')).text, 'fresh start');
    c.close();
  });

  it('resumes room membership and topic subscriptions too', async () => {
    const c = await TestClient.connect(running.wsUrl);
    const session = c.session;
    c.send({ type: 'join', room: 'ops' });
    await c.next('joined');
    c.send({ type: 'subscribe', topic: 'customers' });
    const subscribed = await c.next('subscribed');
    c.ws.terminate();
    await c.closed;
    const other = await TestClient.connect(running.wsUrl);
    other.send({ type: 'join', room: 'ops' });
    await other.next('joined');
    other.send({ type: 'message', room: 'ops', text: 'while away', date: 1 });
    await other.next('message');
    const away = await running.app.inject({ method: 'POST', url: '/customers', payload: { name: 'Away', email: 'away@example.org' } });
    assert.equal(away.statusCode, 201);

    const back = await TestClient.connect(running.wsUrl);
    back.send({ type: 'resume', session, seq: subscribed.seq as number });
    const resumed = await back.next('resumed');
    assert.deepEqual([...(resumed.rooms as string[])].sort(), ['lobby', 'ops']);
    assert.deepEqual(resumed.topics, ['customers']);
    assert.equal((await back.next('message')).text, 'while away');
    const event = await back.next('event');
    assert.deepEqual(event.data, away.json());
    other.close();
    back.close();
  });
  it('gives back the rooms, topics and name a client sent in its hints, even those its lost connection never read', async () => {
    // The connection drops with its `username`, `join` and `subscribe` unread (or, as here, never
    // sent): the session this instance holds lacks them, the client rightly believes it asked.
    const c = await TestClient.connect(running.wsUrl);
    const session = c.session;
    const joined = c.frames.find((f) => f.type === 'joined');
    const last = typeof joined?.seq === 'number' ? joined.seq : 0;
    c.ws.terminate();
    await c.closed;
    const back = await TestClient.connect(running.wsUrl);
    back.send({ type: 'resume', session, seq: last, name: 'hinted', rooms: ['lobby', 'hinted-room'], topics: ['orders'] });
    const resumed = await back.next('resumed');
    assert.equal(resumed.session, session);
    assert.equal(resumed.name, 'hinted');
    assert.deepEqual([...(resumed.rooms as string[])].sort(), ['hinted-room', 'lobby']);
    assert.deepEqual(resumed.topics, ['orders']);

    const other = await TestClient.connect(running.wsUrl);
    other.send({ type: 'join', room: 'hinted-room' });
    await other.next('joined');
    other.send({ type: 'message', room: 'hinted-room', text: 'in the hinted room', date: 1 });
    // The lobby's messages after `last` come first (replayed); then the hinted room's, live.
    const texts: unknown[] = [];
    while (texts.at(-1) !== 'in the hinted room') texts.push((await back.next('message')).text);
    const customer = await running.app.inject({ method: 'POST', url: '/customers', payload: { name: 'Hint', email: 'hint@example.org' } });
    const order = await running.app.inject({ method: 'POST', url: `/customers/${customer.json().id}/orders`, payload: buildOrder() });
    assert.equal(order.statusCode, 201);
    const event = await back.next('event');
    assert.equal(event.topic, 'orders');
    assert.deepEqual(event.data, order.json());
    other.send({ type: 'username', name: 'hinted', date: 1 });
    assert.equal((await other.next('rejectusername')).name, 'hinted1', 'the hinted name is the session\'s now');
    other.close();
    back.close();
  });

  it('leaves out of a resume the rooms the client no longer names, and keeps what it does not mention', async () => {
    const c = await TestClient.connect(running.wsUrl);
    const session = c.session;
    await c.signIn('keeper');
    c.send({ type: 'join', room: 'kept' });
    await c.next('joined');
    c.send({ type: 'subscribe', topic: 'customers' });
    await c.next('subscribed');
    c.ws.terminate();
    await c.closed;
    const back = await TestClient.connect(running.wsUrl);
    back.send({ type: 'resume', session, seq: 0, rooms: ['lobby'] });
    const resumed = await back.next('resumed');
    assert.equal(resumed.name, 'keeper');
    assert.deepEqual(resumed.rooms, ['lobby']);
    assert.deepEqual(resumed.topics, ['customers']);
    back.close();
  });
});
