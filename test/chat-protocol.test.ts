import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { escapeHtml, parseClientMessage } from '../src/chat/protocol.js';
import { SocketError } from '../src/chat/errors.js';
import { parseClientMessage as parseByHand } from './fixtures/protocol-by-hand.js';
import { startApp, TestClient, type Running } from './chat-helpers.js';

describe('chat protocol › parse', () => {
  it('turns MDN frames into typed messages', () => {
    assert.deepEqual(parseClientMessage('{"type":"username","name":"bob","id":3,"date":5}'), { type: 'username', name: 'bob', date: 5 });
    assert.deepEqual(parseClientMessage('{"type":"message","text":"hi","id":3,"date":7}'), { type: 'message', text: 'hi', date: 7, room: undefined });
    const offer = parseClientMessage('{"type":"video-offer","target":"bob","sdp":"v=0"}');
    assert.equal(offer.type, 'targeted');
  });

  it('names what is wrong with a bad frame', () => {
    const code = (text: string) => {
      try {
        parseClientMessage(text);
        return 'ok';
      } catch (err) {
        assert.ok(err instanceof SocketError);
        return err.code;
      }
    };
    assert.equal(code('{nope'), 'BAD_JSON');
    assert.equal(code('[1,2]'), 'BAD_FRAME');
    assert.equal(code('{"type":"teleport"}'), 'UNKNOWN_TYPE');
    assert.equal(code('{"type":"message"}'), 'MISSING_FIELD');
    assert.equal(code('{"type":"join","room":"a b"}'), 'BAD_ROOM');
    assert.equal(code('{"type":"userlist","target":"bob","users":[]}'), 'UNKNOWN_TYPE');
  });

  it('never throws anything but a SocketError, whatever the text', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string(), fc.json()), (text) => {
        try {
          parseClientMessage(text);
        } catch (err) {
          return err instanceof SocketError;
        }
        return true;
      }),
    );
  });

  it('answers every frame as the hand-written parser the schemas replaced did: the same message, or the same code and words', () => {
    const TYPES = ['username', 'message', 'join', 'leave', 'subscribe', 'unsubscribe', 'resume', 'video-offer', 'video-answer', 'new-ice-candidate', 'hang-up', 'id', 'userlist', '__proto__', 'toString', ''];
    const FIELDS = ['type', 'name', 'text', 'id', 'date', 'room', 'topic', 'query', 'token', 'target', 'session', 'seq', 'rooms', 'topics', 'after', 'snapshot', 'sdp', 'candidate', '__proto__'];
    const value = fc.oneof(
      fc.jsonValue({ maxDepth: 2 }),
      fc.constantFrom(null, true, false, -1, -0, 0, 1.5, 1e21, 2 ** 53, 2 ** 53 - 1, '', ' ', 'lobby', 'a b', 'ünï-cödé_9', 'x'.repeat(65), 'customers', '/orders?status=paid', 'alice', ['lobby'], [1], {}),
    );
    const shaped = fc.tuple(fc.constantFrom(...TYPES), fc.dictionary(fc.constantFrom(...FIELDS), value, { maxKeys: 6 })).map(([type, rest]) => JSON.stringify({ ...rest, type }));
    const outcome = (parse: (text: string) => unknown, text: string): unknown => {
      try {
        const message = parse(text) as { date?: unknown };
        // `date` falls back to the clock: compare that it is a number, not which.
        return 'date' in message ? { ...message, date: typeof message.date } : message;
      } catch (err) {
        return { code: (err as SocketError).code, message: (err as Error).message };
      }
    };
    fc.assert(
      fc.property(fc.oneof({ weight: 5, arbitrary: shaped }, fc.string(), fc.json()), (text) => {
        assert.deepEqual(outcome(parseClientMessage, text), outcome(parseByHand, text), text);
      }),
      { numRuns: 20_000 },
    );
  });

  it('escapes text so that it is inert inside innerHTML', () => {
    assert.equal(escapeHtml(`<img src=x onerror="alert('x')">&`), '&lt;img src=x onerror=&quot;alert(&#39;x&#39;)&quot;&gt;&amp;');
    fc.assert(fc.property(fc.string(), (s) => !/[<>"']/.test(escapeHtml(s))));
  });
});

describe('chat protocol › MDN sample over a real socket', () => {
  let running: Running;
  before(async () => {
    running = await startApp();
  });
  after(async () => {
    await running.close();
  });

  it('sends the id first, then lets names be unique (bob → bob1, rejectusername to the sender alone)', async () => {
    const a = await TestClient.open(running.wsUrl, 'json');
    const id = await a.next();
    assert.equal(id.type, 'id');
    assert.equal(typeof id.id, 'number');
    await a.next('userlist');
    const b = await TestClient.connect(running.wsUrl);

    a.send({ type: 'username', name: 'bob', id: id.id, date: 1000 });
    assert.deepEqual((await a.next('userlist')).users, ['bob']);
    assert.deepEqual(await a.next('username'), { type: 'username', name: 'bob', id: id.id, date: 1000, seq: (await b.next('username')).seq });

    b.send({ type: 'username', name: 'bob', id: 0, date: 2000 });
    const rejected = await b.next();
    assert.equal(rejected.type, 'rejectusername');
    assert.equal(rejected.name, 'bob1');
    assert.deepEqual((await b.next('userlist')).users, ['bob', 'bob1']);
    assert.equal((await b.next('username')).name, 'bob1');
    assert.deepEqual((await a.next('userlist')).users, ['bob', 'bob1']);
    const signIn = await a.next('username');
    assert.equal(signIn.name, 'bob1');
    assert.ok(!(await a.drain()).some((f) => f.type === 'rejectusername'), 'only the sender is told its name changed');
    a.close();
    b.close();
    await Promise.all([a.closed, b.closed]);
  });

  it('broadcasts a message with the name of the socket, not the id it claims, and the client date', async () => {
    const alice = await TestClient.connect(running.wsUrl);
    const bob = await TestClient.connect(running.wsUrl);
    await alice.signIn('alice');
    await bob.signIn('bobby');
    await alice.drain();
    const bobId = bob.id;
    const aliceId = alice.id;

    alice.send({ type: 'message', text: 'hello', id: bobId, date: 42, name: 'bobby' });
    for (const c of [alice, bob]) {
      const m = await c.next('message');
      assert.equal(m.name, 'alice');
      assert.equal(m.id, aliceId);
      assert.equal(m.text, 'hello');
      assert.equal(m.date, 42);
      assert.equal(typeof m.seq, 'number');
    }
    alice.close();
    bob.close();
  });

  it('handles a client\'s frames in order: messages sent right behind a username go out under that name, in order', async () => {
    const carol = await TestClient.connect(running.wsUrl);
    const dave = await TestClient.connect(running.wsUrl);
    await dave.signIn('dave');
    await dave.drain();
    // No wait between them: the name is claimed through several awaits while the messages arrive.
    carol.send({ type: 'username', name: 'carol', id: carol.id, date: 1 });
    for (const text of ['one', 'two', 'three']) carol.send({ type: 'message', text, date: 1 });
    const received = [await dave.next('message'), await dave.next('message'), await dave.next('message')];
    assert.deepEqual(received.map((m) => [m.name, m.text]), [['carol', 'one'], ['carol', 'two'], ['carol', 'three']]);
    const seqs = received.map((m) => m.seq as number);
    assert.ok(seqs[0]! < seqs[1]! && seqs[1]! < seqs[2]!, `seqs increase: ${seqs.join(', ')}`);
    carol.close();
    dave.close();
  });

  it('makes names and texts safe to insert as HTML', async () => {
    const a = await TestClient.connect(running.wsUrl);
    a.send({ type: 'username', name: '<b>x</b>', date: 1 });
    assert.equal((await a.next('username')).name, '&lt;b&gt;x&lt;/b&gt;');
    a.send({ type: 'message', text: '<script>alert(1)</script>', date: 1 });
    assert.equal((await a.next('message')).text, '&lt;script&gt;alert(1)&lt;/script&gt;');
    a.close();
  });

  it('answers bad input with an error frame and keeps the connection', async () => {
    const a = await TestClient.connect(running.wsUrl);
    a.sendInvalid('this is not json');
    assert.deepEqual(await a.next('error'), { type: 'error', code: 'BAD_JSON', message: 'The frame is not valid JSON.' });
    a.sendInvalid({ type: 'message', id: 1 });
    assert.equal((await a.next('error')).code, 'MISSING_FIELD');
    a.sendInvalid({ type: 'dance' });
    assert.equal((await a.next('error')).code, 'UNKNOWN_TYPE');
    a.send({ type: 'username', name: '' });
    assert.equal((await a.next('error')).code, 'BAD_NAME');
    a.ws.send(Buffer.from([1, 2, 3]), { binary: true });
    assert.equal((await a.next('error')).code, 'BINARY_UNSUPPORTED');
    a.send({ type: 'message', text: 'still here', date: 1 });
    assert.equal((await a.next('message')).text, 'still here');
    a.close();
  });

  it('gives a client that talks before choosing a name a guest name (the seed snippet does)', async () => {
    const seed = await TestClient.open(running.wsUrl, 'protocolOne');
    assert.equal(seed.ws.protocol, 'protocolOne');
    const { id } = await seed.next('id');
    seed.send({ type: 'message', text: 'from the seed', id, date: Date.now() });
    const m = await seed.next('message');
    assert.equal(m.name, `guest-${id}`);
    assert.equal(m.text, 'from the seed');
    seed.close();
  });

  it('delivers a message with a target to that user alone, with the sender name set by the server', async () => {
    const caller = await TestClient.connect(running.wsUrl);
    const callee = await TestClient.connect(running.wsUrl);
    const bystander = await TestClient.connect(running.wsUrl);
    await caller.signIn('caller');
    await callee.signIn('callee');
    await bystander.signIn('bystander');
    await Promise.all([caller.drain(), callee.drain(), bystander.drain()]);

    const sdp = { type: 'offer', sdp: 'v=0\r\n<x>' };
    const candidate = { candidate: 'candidate:1 1 udp 1 127.0.0.1 9 typ host', sdpMid: '0', sdpMLineIndex: 0 };
    for (const type of ['video-offer', 'video-answer', 'new-ice-candidate', 'hang-up']) {
      caller.send({ type, name: 'mallory', target: 'callee', sdp, candidate });
      const got = await callee.next(type);
      assert.equal(got.name, 'caller');
      assert.equal(got.target, 'callee');
      if (type.startsWith('video-')) assert.deepEqual(got.sdp, sdp, 'the SDP forwarded as-is');
      if (type === 'new-ice-candidate') assert.deepEqual(got.candidate, candidate, 'the candidate forwarded as-is');
    }
    caller.send({ type: 'message', text: 'psst <3', target: 'callee', date: 9 });
    const whisper = await callee.next('message');
    assert.equal(whisper.text, 'psst &lt;3');
    assert.equal(whisper.name, 'caller');
    assert.deepEqual(await bystander.drain(), [], 'nobody else sees targeted messages');
    assert.ok(!(await caller.drain()).some((f) => f.type === 'video-offer'));

    caller.send({ type: 'video-offer', target: 'nobody', sdp: 'x' });
    assert.equal((await caller.next('error')).code, 'UNKNOWN_TARGET');
    for (const c of [caller, callee, bystander]) c.close();
  });

  it('sends everyone the new userlist when someone disconnects', async () => {
    const stay = await TestClient.connect(running.wsUrl);
    const leave = await TestClient.connect(running.wsUrl);
    await stay.signIn('stayer');
    await leave.signIn('leaver');
    await stay.drain();
    leave.close();
    for (;;) {
      const list = await stay.next('userlist');
      if (!(list.users as string[]).includes('leaver')) break;
    }
    stay.close();
  });
});
