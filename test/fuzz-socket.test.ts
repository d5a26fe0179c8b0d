/**
 * Property-based fuzzing of the WebSocket protocol (issue 7 item 1) on a real port: random text
 * frames (any string, any JSON, frames shaped like every message type with wrong fields, prototype
 * keys, deep nesting), binary frames, oversized frames and raw garbage bytes. The property: the
 * server never crashes and never fails internally (no INTERNAL error), a bad frame gets the right
 * `{"type":"error","code","message"}` and the connection stays, an oversized frame closes with
 * 1009, garbage bytes end the connection, and the server answers afterwards. Bounded: RUNS frames.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import fc from 'fast-check';
import { startApp, TestClient, type Frame, type Running } from './chat-helpers.js';
import { SOCKET_ERRORS } from '../src/chat/errors.js';

const RUNS = Number(process.env.FUZZ_RUNS ?? 600);
const SEED = process.env.FUZZ_SEED === undefined ? undefined : Number(process.env.FUZZ_SEED);
const MAX_FRAME = 4096;

const TYPES = ['username', 'message', 'join', 'leave', 'subscribe', 'unsubscribe', 'resume', 'video-offer', 'video-answer', 'new-ice-candidate', 'hang-up', 'id', 'userlist', 'error', '__proto__', 'constructor', 'toString', ''];
const PROTO_KEYS = ['__proto__', 'constructor', 'prototype', 'toString', 'hasOwnProperty'];
const anyValue = fc.oneof(fc.jsonValue({ maxDepth: 3 }), fc.constantFrom(null, -1, 0, 1.5, 2 ** 53 + 1, '', ' ', '<script>alert(1)</script>', '\u0000', 'a'.repeat(40), 'lobby', 'customers', 'customers/1/orders', 'alice'));
const fieldName = fc.oneof(fc.constantFrom('type', 'name', 'text', 'id', 'date', 'room', 'topic', 'token', 'target', 'session', 'seq', 'rooms', 'topics', ...PROTO_KEYS), fc.string({ maxLength: 8 }));
const shaped = fc.tuple(fc.constantFrom(...TYPES), fc.dictionary(fieldName, anyValue, { maxKeys: 5 })).map(([type, rest]) => JSON.stringify({ ...rest, type }));
const deep = fc.integer({ min: 10, max: 1500 }).map((n) => '{"type":"message","text":'.repeat(1) + '['.repeat(n) + ']'.repeat(n) + '}');
const frame = fc.oneof(
  { weight: 4, arbitrary: shaped },
  { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 4 }).map((v) => JSON.stringify(v)) },
  { weight: 1, arbitrary: fc.string({ maxLength: 200 }) },
  { weight: 1, arbitrary: fc.oneof(deep, fc.constantFrom('', '{', 'null', '[]', '"type"', '{"type":1}', '{"type":null}', '{"__proto__":{"type":"message"}}', '{"type":"message","text":"x","__proto__":{"polluted":1}}', '{"type":"constructor"}', '{"type":"username","name":"\\ud800"}', '{"type":"message","text":"x","target":"nobody"}', '{"type":"join","target":"x"}')) },
);

/** What the server answers a frame the AsyncAPI document does not describe with (the "you are in several rooms" MISSING_FIELD aside). */
const SHAPE_ERRORS: ReadonlySet<string> = new Set(['BAD_JSON', 'BAD_FRAME', 'UNKNOWN_TYPE', 'MISSING_FIELD', 'BAD_ROOM']);

/** The marker frame: an unknown type the server answers with an error naming it, in order. */
const marker = (n: number) => JSON.stringify({ type: `marker-${n}` });

let running: Running;
let frames = 0;
const codes = new Map<string, number>();

before(async () => {
  // Every fuzzing client comes from 127.0.0.1, and the oversized and garbage rounds open dozens of
  // sockets a second: the per-client handshake limit is not what is fuzzed here.
  running = await startApp({ wsRateLimit: 100_000, wsMaxFrame: MAX_FRAME, wsHandshakeRate: 0 });
});
after(async () => {
  await running.close();
  console.log(`# fuzz-socket: ${frames} random frames (RUNS=${RUNS}); error codes ${[...codes].map(([c, n]) => `${c}×${n}`).join(' ')}`);
});

function expectedCode(text: string): string | undefined {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return 'BAD_JSON';
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value) || typeof (value as { type?: unknown }).type !== 'string') return 'BAD_FRAME';
  return undefined;
}

test('the socket › random text frames get the right error frame or a normal answer, never an internal failure, and the connection stays', { timeout: 120_000 }, async () => {
  const observer = await TestClient.connect(running.wsUrl);
  let client = await TestClient.connect(running.wsUrl);
  let n = 0;
  await fc.assert(
    fc.asyncProperty(frame, async (text) => {
      frames++;
      n++;
      // Whether the AsyncAPI document describes it decides how it is sent, and what the server must answer (below).
      const documented = client.describes(text);
      if (documented) client.send(text);
      else client.sendInvalid(text);
      client.sendInvalid(marker(n));
      const answers: Frame[] = [];
      for (;;) {
        const f = await client.next(undefined, 5000);
        if (f.type === 'error' && typeof f.message === 'string' && f.message.includes(`marker-${n}`)) break;
        answers.push(f);
      }
      for (const f of answers) {
        assert.equal(typeof f.type, 'string');
        if (f.type !== 'error') continue;
        assert.ok(typeof f.code === 'string' && f.code in SOCKET_ERRORS, `unknown code ${JSON.stringify(f)}`);
        assert.equal(typeof f.message, 'string');
        assert.notEqual(f.code, 'INTERNAL', `the server failed on ${JSON.stringify(text.slice(0, 300))}`);
        codes.set(f.code, (codes.get(f.code) ?? 0) + 1);
      }
      const expected = expectedCode(text);
      if (expected !== undefined) {
        const errors = answers.filter((f) => f.type === 'error');
        assert.equal(errors.length, 1, `one error for ${JSON.stringify(text.slice(0, 200))}: ${JSON.stringify(answers)}`);
        assert.equal(errors[0]!.code, expected);
      }
      // The document and the server agree: a frame it does not describe is refused for its shape, once; one it describes never is.
      const shapeErrors = answers.filter((f) => f.type === 'error' && SHAPE_ERRORS.has(f.code as string) && !(f.code === 'MISSING_FIELD' && /several rooms/.test(String(f.message))));
      if (documented) assert.deepEqual(shapeErrors, [], `the document describes ${JSON.stringify(text.slice(0, 200))}`);
      else assert.equal(answers.filter((f) => f.type === 'error').length, 1, `one error for the undocumented ${JSON.stringify(text.slice(0, 200))}: ${JSON.stringify(answers)}`);
      if (!documented) assert.ok(SHAPE_ERRORS.has(answers.find((f) => f.type === 'error')!.code as string));
      // A frame may legitimately change the session (resume): start over with a fresh client then.
      if (answers.some((f) => f.type === 'resumed')) {
        client.close();
        client = await TestClient.connect(running.wsUrl);
      }
    }),
    { numRuns: RUNS, ...(SEED === undefined ? {} : { seed: SEED }) },
  );
  assert.equal(({} as Record<string, unknown>).polluted, undefined);
  // The fuzzed connection still answers; a fresh one (the fuzzed one may have left the lobby) still chats.
  client.sendInvalid(marker(0));
  assert.equal((await client.next('error')).code, 'UNKNOWN_TYPE');
  client.close();
  const sender = await TestClient.connect(running.wsUrl);
  await sender.signIn('after-fuzz');
  sender.send({ type: 'message', text: 'still here', date: 1 });
  for (;;) if ((await observer.next('message')).text === 'still here') break;
  sender.close();
  observer.close();
});

test('the socket › a binary frame is an error frame, the connection stays', async () => {
  const client = await TestClient.connect(running.wsUrl);
  client.ws.send(Buffer.from([0, 1, 2, 255]));
  assert.equal((await client.next('error')).code, 'BINARY_UNSUPPORTED');
  client.sendInvalid(marker(-1));
  assert.equal((await client.next('error')).code, 'UNKNOWN_TYPE');
  client.close();
});

test('the socket › random oversized frames close with 1009, and the server answers afterwards', async () => {
  await fc.assert(
    fc.asyncProperty(fc.integer({ min: MAX_FRAME + 1, max: MAX_FRAME * 8 }), fc.boolean(), async (size, binary) => {
      frames++;
      const client = await TestClient.connect(running.wsUrl);
      client.ws.send(binary ? Buffer.alloc(size, 1) : JSON.stringify({ type: 'message', text: 'x'.repeat(size) }));
      assert.equal((await client.closed).code, 1009);
    }),
    { numRuns: 10, ...(SEED === undefined ? {} : { seed: SEED }) },
  );
  const probe = await TestClient.connect(running.wsUrl);
  probe.close();
});

test('the socket › random bytes after the handshake (not WebSocket frames) close the connection, and the server answers afterwards', async () => {
  const { port } = new URL(running.httpUrl);
  await fc.assert(
    fc.asyncProperty(fc.uint8Array({ minLength: 1, maxLength: 512 }), async (bytes) => {
      frames++;
      await new Promise<void>((resolve, reject) => {
        const socket = connect(Number(port), '127.0.0.1', () => {
          socket.write('GET /socketserver HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n');
        });
        let upgraded = false;
        socket.on('data', (chunk) => {
          if (!upgraded && chunk.toString('latin1').startsWith('HTTP/1.1 101')) {
            upgraded = true;
            socket.write(bytes);
            // An incomplete frame makes the server wait for more: the client gives up, as a real one would.
            setTimeout(() => socket.destroy(), 100);
          }
        });
        socket.on('error', () => {});
        socket.on('close', () => (upgraded ? resolve() : reject(new Error('no upgrade'))));
      });
    }),
    { numRuns: 40, ...(SEED === undefined ? {} : { seed: SEED }) },
  );
  const res = await fetch(`${running.httpUrl}/healthz`);
  assert.equal(res.status, 200);
  const probe = await TestClient.connect(running.wsUrl);
  await probe.signIn('probe');
  probe.close();
});

test('the socket › a name with a lone surrogate (shown as U+FFFD, so two such names would look alike) is BAD_NAME', async () => {
  const client = await TestClient.connect(running.wsUrl);
  client.send('{"type":"username","name":"\\ud800"}');
  assert.equal((await client.next('error')).code, 'BAD_NAME');
  client.close();
});
