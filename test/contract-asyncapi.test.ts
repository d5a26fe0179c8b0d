/**
 * GET /asyncapi.json, checked by the AsyncAPI project's own parser, and held to the server: the
 * client frames it describes are exactly those the server takes, and the frames it does not
 * describe fail the tests that receive them (the shared test clients check every frame against
 * it: test/frame-contract.ts).
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Parser } from '@asyncapi/parser';
import fc from 'fast-check';
import { Ajv } from 'ajv';
import addFormats from 'ajv-formats';
import { parseClientMessage } from '../src/chat/protocol.js';
import { SOCKET_ERRORS } from '../src/chat/errors.js';
import { startApp, type Running } from './chat-helpers.js';
import { frameContract, type FrameContract } from './frame-contract.js';

type Json = Record<string, unknown>;
const object = (value: unknown): Json => value as Json;

let running: Running;
let served: Json;
let contract: FrameContract;

before(async () => {
  running = await startApp({ apiToken: 's3cret', readTokenRequired: true });
  const res = await fetch(`${running.httpUrl}/asyncapi.json`);
  assert.equal(res.status, 200);
  assert.match(String(res.headers.get('content-type')), /^application\/json/);
  served = (await res.json()) as Json;
  contract = frameContract(served);
});
after(() => running.close());

const CUSTOMER = { id: 3, name: 'Scylla Buss', email: 'scylla.buss@codecademy.org', createdAt: '2026-12-01T16:32:37.420Z', updatedAt: '2026-12-01T16:32:37.420Z' };
const ORDER = { id: 9, customerId: 3, items: [{ sku: 'HAT', quantity: 1, unitPrice: 1500 }], total: 1500, status: 'paid', createdAt: CUSTOMER.createdAt, updatedAt: CUSTOMER.updatedAt };

describe('GET /asyncapi.json', () => {
  it('GET /asyncapi.json › is AsyncAPI 3.0 that the AsyncAPI parser reads without an error or a warning, and is the app’s document', async () => {
    assert.equal(served.asyncapi, '3.0.0');
    assert.deepEqual(served, JSON.parse(JSON.stringify(running.app.asyncapi())));
    const { document, diagnostics } = await new Parser().parse(JSON.stringify(served));
    // 0 error, 1 warning; 2 (information) only says a newer minor version (3.1) exists.
    const problems = diagnostics.filter((d) => d.severity < 2).map((d) => `${d.code} ${d.message} at ${d.path.join('.')}`);
    assert.deepEqual(problems, []);
    assert.ok(document, 'parsed');
    assert.equal(document.version(), '3.0.0');
    assert.deepEqual(
      document
        .channels()
        .all()
        .map((c) => c.address())
        .sort(),
      ['/events', '/events/customers', '/events/customers/{id}/orders', '/events/orders', '/socketserver'],
    );
    const socket = document.channels().get('socket')!;
    assert.ok(socket.bindings().has('ws'), 'the socket has its ws binding');
    assert.ok(document.operations().all().length > 10);
  });

  it('GET /asyncapi.json › documents the socket’s close codes as the catalogue has them, and SSE ids and Last-Event-ID', () => {
    const socket = object(object(served.channels).socket);
    const expected = Object.entries(SOCKET_ERRORS).flatMap(([name, e]) => ('closeCode' in e ? [{ code: e.closeCode, name, reason: e.message }] : []));
    assert.deepEqual(socket['x-close-codes'], expected);
    for (const code of [1001, 1006, 1008, 1009, 4000]) assert.match(String(socket.description), new RegExp(`\\| ${code} \\|`));
    const events = object(object(served.channels).events);
    assert.match(String(events.description), /Last-Event-ID/);
    assert.match(String(events.description), /`id:` is that frame's `seq`/);
  });

  it('GET /asyncapi.json › references the REST schemas (Customer, Order) in the events, and needs the token where reads do', () => {
    const schemas = object(object(served.components).schemas);
    assert.deepEqual(schemas.Customer, JSON.parse(JSON.stringify({ ...running.app.services.registry.get('customers')!.presented!, $id: undefined })));
    assert.match(JSON.stringify(schemas.LiveEvent), /"#\/components\/schemas\/Customer"/);
    assert.match(JSON.stringify(schemas.LiveEvent), /"#\/components\/schemas\/Order"/);
    const operations = object(served.operations);
    assert.ok(object(operations.subscribe).security, 'subscribe needs the token here');
    assert.ok(object(operations.streamEvents).security, 'GET /events needs the token here');
    assert.equal(object(operations.joinRoom).security, undefined);
  });

  it('GET /asyncapi.json › every message example validates against its payload (the parser does not check them)', () => {
    const ajv = new Ajv({ strict: false, allErrors: true });
    addFormats.default(ajv);
    ajv.addSchema(served, 'doc', undefined, false);
    const messages = object(object(served.components).messages);
    let checked = 0;
    for (const [key, message] of Object.entries(messages)) {
      const validate = ajv.getSchema(`doc#/components/messages/${key}/payload`)!;
      for (const example of (object(message).examples ?? []) as { payload: unknown }[]) {
        assert.ok(validate(example.payload), `${key}: ${ajv.errorsText(validate.errors)} in ${JSON.stringify(example.payload)}`);
        checked++;
      }
    }
    assert.ok(checked >= Object.keys(messages).length, `${checked} examples`);
  });

  it('GET /asyncapi.json › every message of the socket is sent or received by one of its operations', () => {
    const socket = Object.keys(object(object(object(served.channels).socket).messages));
    const used = new Set(
      Object.values(object(served.operations)).flatMap((op) => {
        const o = object(op);
        const refs = [...((o.messages ?? []) as { $ref: string }[]), ...((object(o.reply ?? {}).messages ?? []) as { $ref: string }[])];
        return refs.map((r) => r.$ref.split('/').pop()!);
      }),
    );
    assert.deepEqual(socket.filter((key) => !used.has(key)), []);
  });

  it('GET / › links /asyncapi.json beside /openapi.json', async () => {
    const home = await (await fetch(`${running.httpUrl}/`)).text();
    assert.match(home, /href="\/openapi.json"/);
    assert.match(home, /href="\/asyncapi.json"/);
    assert.ok(home.indexOf('href="/asyncapi.json"') > home.indexOf('href="/openapi.json"'));
  });
});

describe('the AsyncAPI document and the server agree', () => {
  const TYPES = ['username', 'message', 'join', 'leave', 'subscribe', 'unsubscribe', 'resume', 'video-offer', 'video-answer', 'new-ice-candidate', 'hang-up', 'id', 'userlist', 'event', '__proto__', ''];
  const FIELDS = ['type', 'name', 'text', 'id', 'date', 'room', 'topic', 'query', 'token', 'target', 'session', 'seq', 'rooms', 'topics', 'after', 'snapshot', 'sdp', 'candidate', 'users'];
  const value = fc.oneof(fc.jsonValue({ maxDepth: 2 }), fc.constantFrom(null, true, -1, 0, 1.5, 2 ** 53, '', 'lobby', 'a b', 'x'.repeat(65), 'customers', '/orders?status=paid', 'alice', ['lobby'], [1]));
  const frame = fc.tuple(fc.constantFrom(...TYPES), fc.dictionary(fc.constantFrom(...FIELDS), value, { maxKeys: 6 })).map(([type, rest]) => JSON.stringify({ ...rest, type }));

  it('a client frame is described by the document exactly when the server takes it', () => {
    fc.assert(
      fc.property(fc.oneof({ weight: 6, arbitrary: frame }, fc.json(), fc.string()), (text) => {
        let taken = true;
        try {
          parseClientMessage(text);
        } catch {
          taken = false;
        }
        let described = false;
        try {
          described = contract.received('socket', JSON.parse(text)) === undefined;
        } catch {
          // not JSON: described by nothing
        }
        assert.equal(described, taken, `${text}: the server ${taken ? 'takes' : 'refuses'} it, the document ${described ? 'describes' : 'does not describe'} it`);
      }),
      { numRuns: 20_000 },
    );
  });

  it('a made-up server frame is not described: an unknown type, a field too many, a missing field, the wrong resource, a snapshot of a topic', () => {
    const valid = [
      { type: 'id', id: 1, session: 's' },
      { type: 'event', topic: 'customers/3', action: 'updated', data: CUSTOMER, seq: 5 },
      { type: 'event', query: '/customers/3/orders?status=paid', action: 'entered', data: ORDER, seq: 6 },
      { type: 'snapshot', query: '/orders', data: [ORDER], seq: 0 },
      { type: 'error', code: 'BAD_TOPIC', message: 'no' },
    ];
    for (const f of valid) assert.equal(contract.sent('socket', f), undefined, JSON.stringify(f));
    const madeUp = [
      { type: 'surprise' },
      { type: 'id', id: 1, session: 's', admin: true },
      { type: 'message', name: 'bob', text: 'hi', id: 2, date: 1, seq: 3 },
      { type: 'event', topic: 'customers', action: 'created', data: ORDER, seq: 5 },
      { type: 'event', topic: 'orders', action: 'entered', data: ORDER, seq: 5 },
      { type: 'snapshot', topic: 'orders', data: [ORDER], seq: 0 },
      { type: 'error', code: 'FRAME_TOO_LARGE', message: 'a close code, never a frame' },
    ];
    for (const f of madeUp) assert.match(String(contract.sent('socket', f)), /does not describe/, JSON.stringify(f));
    // The streams carry the live frames only.
    assert.equal(contract.sent('events', valid[1]), undefined);
    assert.match(String(contract.sent('events', valid[0])), /does not describe/);
    assert.equal(contract.channelAt('/events/customers/7/orders'), 'events-customers-id-orders');
  });

  it('a test whose client receives a frame the document does not describe fails, on the socket and on a stream', () => {
    const helpers = (name: string) => pathToFileURL(resolve('test', name)).href;
    const dir = mkdtempSync(join(tmpdir(), 'boutique-contract-'));
    const file = join(dir, 'undocumented.test.mts');
    writeFileSync(
      file,
      `import { test } from 'node:test';
import http from 'node:http';
import { WebSocketServer } from ${JSON.stringify(import.meta.resolve('ws'))};
import { TestClient } from ${JSON.stringify(helpers('chat-helpers.ts'))};
import { openStream } from ${JSON.stringify(helpers('sse-client.ts'))};

const GREETING = ['{"type":"id","id":1,"session":"s"}', '{"type":"userlist","users":[]}'];
/** Greets each client, then sends it \`later\` once it had time to read the greeting. */
async function socketServer(later: string) {
  const wss = new WebSocketServer({ port: 0, host: '127.0.0.1' });
  await new Promise((r) => wss.once('listening', r));
  wss.on('connection', (ws) => {
    for (const f of GREETING) ws.send(f);
    setTimeout(() => ws.send(later), 50);
  });
  return { url: 'ws://127.0.0.1:' + (wss.address() as { port: number }).port + '/socketserver', close: () => {
    for (const ws of wss.clients) ws.terminate();
    wss.close();
  } };
}
async function eventServer(body: string) {
  const server = http.createServer((_req, res) => { res.writeHead(200, { 'content-type': 'text/event-stream' }); res.write(body); });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { url: 'http://127.0.0.1:' + (server.address() as { port: number }).port + '/events', close: () => {
    server.closeAllConnections();
    server.close();
  } };
}
const pause = () => new Promise((r) => setTimeout(r, 300));
/** Opens a client on the server, gives it time to read what it is sent, then closes both. */
async function watch(server: { url: string; close: () => void }, open: (url: string) => Promise<{ close(): void }> | { close(): void }) {
  try {
    const client = await open(server.url);
    await pause();
    client.close();
  } finally {
    server.close();
  }
}

test('documented socket frames', async () => {
  await watch(await socketServer('{"type":"left","room":"dev"}'), (url) => TestClient.connect(url));
});
test('an undocumented socket frame the test never looks at', async () => {
  await watch(await socketServer('{"type":"left","room":"dev","why":"unsaid"}'), (url) => TestClient.connect(url));
});
test('documented events', async () => {
  await watch(await eventServer('id: 4\\ndata: {"type":"reset","topic":"customers","href":"/customers","seq":4}\\n\\n'), (url) => openStream(url));
});
test('an event whose id is not its seq', async () => {
  await watch(await eventServer('id: 5\\ndata: {"type":"reset","topic":"customers","href":"/customers","seq":4}\\n\\n'), (url) => openStream(url));
});
`,
    );
    // A test runner of its own: without NODE_TEST_CONTEXT, which makes node:test think it is this runner's child.
    const { NODE_TEST_CONTEXT: _ours, ...env } = process.env;
    const run = spawnSync(process.execPath, ['--import', 'tsx', '--test', '--test-reporter=spec', file], { encoding: 'utf8', cwd: process.cwd(), env: { ...env, NODE_ENV: 'test' }, timeout: 60_000 });
    assert.equal(run.error, undefined, `it ended by itself: ${String(run.error)}`);
    rmSync(dir, { recursive: true, force: true });
    const out = run.stdout + run.stderr;
    assert.notEqual(run.status, 0, out);
    assert.match(out, /✔ documented socket frames/, out);
    assert.match(out, /✖ an undocumented socket frame the test never looks at/, out);
    assert.match(out, /✔ documented events/, out);
    assert.match(out, /✖ an event whose id is not its seq/, out);
    assert.match(out, /does not describe.*"why":"unsaid"/, out);
  });
});
