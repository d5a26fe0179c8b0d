/**
 * The chat against clients that forge what the server owns: fields of relayed frames, call
 * signaling that MDN's video-call client sends without a target, and names that pass for
 * someone else's.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { startApp, TestClient, type Running } from './chat-helpers.js';

let running: Running;
before(async () => {
  running = await startApp({ wsRateLimit: 10_000 });
});
after(() => running.close());

async function signedIn(name: string): Promise<TestClient> {
  const client = await TestClient.connect(running.wsUrl);
  await client.signIn(name);
  return client;
}

const SDP = { type: 'offer', sdp: 'v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\n' };
const CANDIDATE = { candidate: 'candidate:1 1 udp 2122260223 127.0.0.1 50000 typ host', sdpMid: '0', sdpMLineIndex: 0, usernameFragment: 'abcd' };
/** What a forger adds to a relayed frame: fields the server owns, and fields no relayed type has. */
const FORGED = { id: 1, room: 'admin', text: '<script>alert(1)</script>', seq: 99, date: 1, name: 'admin', extra: { deep: true } };

describe('server-owned fields in relayed frames', () => {
  it('a video-offer sent with "id":1, "room":"admin", "text":"<script>…" › reaches its target as {type, name, target, sdp, seq} only, name and seq the server’s', async () => {
    const mallory = await signedIn('mallory');
    const victim = await signedIn('victim');
    await victim.drain();
    mallory.send({ ...FORGED, type: 'video-offer', target: 'victim', sdp: SDP });
    const got = await victim.next('video-offer');
    assert.deepEqual(Object.keys(got).sort(), ['name', 'sdp', 'seq', 'target', 'type']);
    assert.equal(got.name, 'mallory');
    assert.equal(got.target, 'victim');
    assert.deepEqual(got.sdp, SDP);
    assert.equal(typeof got.seq, 'number');
    assert.notEqual(got.seq, 99);
    mallory.close();
    victim.close();
  });

  it('every signaling type › carries only its documented fields', async () => {
    const a = await signedIn('fields-a');
    const b = await signedIn('fields-b');
    await b.drain();
    const expected: Record<string, string[]> = {
      'video-offer': ['sdp'],
      'video-answer': ['sdp'],
      'new-ice-candidate': ['candidate'],
      'hang-up': [],
    };
    for (const [type, fields] of Object.entries(expected)) {
      a.send({ ...FORGED, type, target: 'fields-b', sdp: SDP, candidate: CANDIDATE });
      const got = await b.next(type);
      assert.deepEqual(Object.keys(got).sort(), ['name', 'seq', 'target', 'type', ...fields].sort(), type);
      assert.equal(got.name, 'fields-a', type);
    }
    a.close();
    b.close();
  });

  it('a private message with a forged id, room and date › {type, name, target, text, id, date, seq}: the sender’s id, the server’s date, the text escaped', async () => {
    const sender = await signedIn('whisperer');
    const receiver = await signedIn('listener');
    await receiver.drain();
    const before = Date.now();
    sender.send({ ...FORGED, type: 'message', target: 'listener', text: 'psst <3' });
    const got = await receiver.next('message');
    assert.deepEqual(Object.keys(got).sort(), ['date', 'id', 'name', 'seq', 'target', 'text', 'type']);
    assert.equal(got.id, sender.id);
    assert.equal(got.name, 'whisperer');
    assert.equal(got.text, 'psst &lt;3');
    assert.ok(typeof got.date === 'number' && got.date >= before, `the server's clock, not the forged ${FORGED.date}`);
    sender.close();
    receiver.close();
  });
});

describe("signaling without a target (MDN's client hangs up with \"target\": null)", () => {
  it('after an offer and an answer › a hang-up with target null reaches the call partner alone', async () => {
    const caller = await signedIn('ring-caller');
    const callee = await signedIn('ring-callee');
    const bystander = await signedIn('ring-bystander');
    await Promise.all([caller.drain(), callee.drain(), bystander.drain()]);
    caller.send({ name: 'ring-caller', target: 'ring-callee', type: 'video-offer', sdp: SDP });
    await callee.next('video-offer');
    callee.send({ name: 'ring-callee', target: 'ring-caller', type: 'video-answer', sdp: { ...SDP, type: 'answer' } });
    await caller.next('video-answer');

    callee.send({ name: 'ring-callee', target: null, type: 'hang-up' });
    const hangUp = await caller.next('hang-up');
    assert.equal(hangUp.name, 'ring-callee');
    assert.equal(hangUp.target, 'ring-caller');
    assert.deepEqual((await bystander.drain()).filter((f) => f.type === 'hang-up'), []);
    assert.deepEqual((await callee.drain()).filter((f) => f.type === 'error'), []);
    for (const c of [caller, callee, bystander]) c.close();
  });

  it('the callee hangs up before answering › its target-less hang-up reaches whoever offered', async () => {
    const caller = await signedIn('decline-caller');
    const callee = await signedIn('decline-callee');
    await caller.drain();
    caller.send({ name: 'decline-caller', target: 'decline-callee', type: 'video-offer', sdp: SDP });
    await callee.next('video-offer');
    callee.send({ type: 'hang-up', name: 'decline-callee' });
    assert.equal((await caller.next('hang-up')).name, 'decline-callee');
    caller.close();
    callee.close();
  });

  it('target-less signaling with no call › UNKNOWN_TARGET; after a hang-up the call is over, so again UNKNOWN_TARGET', async () => {
    const alone = await signedIn('no-call');
    alone.send({ type: 'new-ice-candidate', target: null, candidate: CANDIDATE });
    assert.equal((await alone.next('error')).code, 'UNKNOWN_TARGET');

    const peer = await signedIn('no-call-peer');
    alone.send({ type: 'video-offer', target: 'no-call-peer', sdp: SDP });
    await peer.next('video-offer');
    alone.send({ type: 'hang-up', target: null });
    await peer.next('hang-up');
    alone.send({ type: 'hang-up', target: null });
    assert.equal((await alone.next('error')).code, 'UNKNOWN_TARGET');
    alone.close();
    peer.close();
  });

  it('a target that is not a name (a number) › MISSING_FIELD, the connection stays', async () => {
    const client = await signedIn('bad-target');
    client.sendInvalid({ type: 'video-offer', target: 42, sdp: SDP });
    assert.equal((await client.next('error')).code, 'MISSING_FIELD');
    client.close();
  });
});

describe('look-alike and invisible names', () => {
  /** Signs in as `name` and returns what the server said: the name given, or the error code. */
  async function nameFor(client: TestClient, name: string): Promise<{ given?: string; error?: string; rejected?: boolean }> {
    client.send({ type: 'username', name, id: client.id, date: Date.now() });
    for (;;) {
      const frame = await client.next();
      if (frame.type === 'error') return { error: String(frame.code) };
      if (frame.type === 'rejectusername') return { given: String(frame.name), rejected: true };
      if (frame.type === 'username' && frame.id === client.id) return { given: String(frame.name) };
    }
  }

  it('alice, аlice (Cyrillic а), alice+U+200B, U+202E+ecila, aliсe (Cyrillic с) › never online as five look-alikes: numbered or BAD_NAME', async () => {
    const clients = await Promise.all(Array.from({ length: 5 }, () => TestClient.connect(running.wsUrl)));
    const [latin, cyrillicA, zeroWidth, reversed, cyrillicS] = clients as [TestClient, TestClient, TestClient, TestClient, TestClient];
    assert.deepEqual(await nameFor(latin, 'alice'), { given: 'alice' });
    const a = await nameFor(cyrillicA, '\u0430lice');
    assert.equal(a.rejected, true, 'rejectusername with the name it was given');
    assert.match(a.given!, /^\u0430lice\d+$/);
    assert.deepEqual(await nameFor(zeroWidth, 'alice\u200b'), { error: 'BAD_NAME' });
    assert.deepEqual(await nameFor(reversed, '\u202eecila'), { error: 'BAD_NAME' });
    const s = await nameFor(cyrillicS, 'ali\u0441e');
    assert.equal(s.rejected, true);
    assert.match(s.given!, /^ali\u0441e\d+$/);
    assert.notEqual(s.given!.replace('\u0441', 'c'), a.given!.replace('\u0430', 'a'), 'the two numbered look-alikes do not look alike either');

    cyrillicA.send({ type: 'message', text: 'it is me, alice', date: 1 });
    for (;;) {
      const m = await latin.next('message');
      if (m.text !== 'it is me, alice') continue;
      assert.equal(m.name, a.given, "the message does not read as alice's");
      break;
    }
    for (const c of clients) c.close();
  });

  it('a fullwidth name (ｃａｒｏｌ) › taken as its NFKC form: carol, or numbered when carol is online', async () => {
    const first = await TestClient.connect(running.wsUrl);
    const second = await TestClient.connect(running.wsUrl);
    assert.deepEqual(await nameFor(first, 'carol'), { given: 'carol' });
    const wide = await nameFor(second, '\uff43\uff41\uff52\uff4f\uff4c');
    assert.deepEqual(wide, { given: 'carol1', rejected: true });
    first.close();
    second.close();
  });

  it('names with nothing visible, or with invisible or control characters anywhere › BAD_NAME', async () => {
    const client = await TestClient.connect(running.wsUrl);
    for (const name of ['\u3164', '\u200b\u200b', ' \u2800 ', 'bo\u00adb', 'a\u2066b', 'x\u0085y', 'ev\u200de']) {
      assert.deepEqual(await nameFor(client, name), { error: 'BAD_NAME' }, JSON.stringify(name));
    }
    assert.deepEqual(await nameFor(client, 'Zoë ❤\ufe0f'), { given: 'Zoë ❤\ufe0f' }, 'accents, emoji and their presentation selector are fine');
    client.close();
  });
});
