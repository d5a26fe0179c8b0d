/**
 * The token and the limits: guessing the token costs requests like anything else, a weak token
 * stops start-up, /metrics is a read, and one client address can neither open sockets and event
 * streams without bound nor handshake as fast as it likes, behind a trusted proxy or not.
 */
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { request, type IncomingMessage } from 'node:http';
import WebSocket from 'ws';
import type { App } from '../src/app.js';
import { ConfigError, OPTIONS, loadConfig, type Config } from '../src/config.js';
import { buildTestApp } from './helpers.js';
import { startApp, type Running } from './chat-helpers.js';

const TOKEN = 'a-token-of-24-characters';
const cleanups: (() => Promise<unknown>)[] = [];
after(() => Promise.all(cleanups.map((c) => c())));

async function app(overrides: Partial<Config>): Promise<App> {
  const built = await buildTestApp(overrides);
  cleanups.push(() => built.close());
  return built;
}

async function running(overrides: Partial<Config>): Promise<Running> {
  const started = await startApp(overrides);
  cleanups.push(() => started.close());
  return started;
}

describe('the API token and the rate limit', () => {
  it('wrong-token writes count against RATE_LIMIT_MAX › 401 until the limit, then 429, even with the right token', async () => {
    const limited = await app({ apiToken: TOKEN, rateLimitMax: 3 });
    const post = (token: string) => limited.inject({ method: 'POST', url: '/customers', headers: { authorization: `Bearer ${token}` }, payload: { name: 'A', email: 'a@example.org' } });
    for (let i = 0; i < 3; i++) assert.equal((await post(`guess-${i}`)).statusCode, 401);
    const over = await post('guess-3');
    assert.equal(over.statusCode, 429);
    assert.ok(Number(over.headers['retry-after']) >= 1);
    assert.equal((await post(TOKEN)).statusCode, 429);
  });

  it('reads and failed writes share one budget › two reads and a wrong-token write, then the next read is 429', async () => {
    const limited = await app({ apiToken: TOKEN, rateLimitMax: 3 });
    for (let i = 0; i < 2; i++) assert.equal((await limited.inject({ url: '/customers' })).statusCode, 200);
    assert.equal((await limited.inject({ method: 'DELETE', url: '/customers/1', headers: { authorization: 'Bearer nope' } })).statusCode, 401);
    assert.equal((await limited.inject({ url: '/customers' })).statusCode, 429);
  });

  it('/metrics with BOUTIQUE_READ_TOKEN_REQUIRED=true › 401 without or with a wrong token, Prometheus text with the right one', async () => {
    const guarded = await app({ apiToken: TOKEN, readTokenRequired: true });
    assert.equal((await guarded.inject({ url: '/metrics' })).statusCode, 401);
    assert.equal((await guarded.inject({ url: '/metrics', headers: { authorization: 'Bearer wrong' } })).statusCode, 401);
    const ok = await guarded.inject({ url: '/metrics', headers: { authorization: `Bearer ${TOKEN}` } });
    assert.equal(ok.statusCode, 200);
    assert.match(ok.body, /^# HELP /m);
  });

  it('/metrics when only writes need the token › open, as the API reads are', async () => {
    assert.equal((await (await app({ apiToken: TOKEN })).inject({ url: '/metrics' })).statusCode, 200);
  });
});

describe('BOUTIQUE_API_TOKEN shorter than 16 characters', () => {
  it('loadConfig › one line naming the variable and the length, never the token', () => {
    assert.throws(
      () => loadConfig({ BOUTIQUE_API_TOKEN: 'hunter2-secret' }),
      (err: unknown) => err instanceof ConfigError && err.message === 'BOUTIQUE_API_TOKEN must be at least 16 characters, got 14',
    );
    assert.equal(loadConfig({ BOUTIQUE_API_TOKEN: TOKEN }).apiToken, TOKEN);
  });

  it('boutique serve › exits 2 with that one line', async () => {
    const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !Object.values(OPTIONS).some((o) => o.env === k)));
    const run = await new Promise<{ code: number; stderr: string }>((resolve) => {
      execFile(process.execPath, ['--import', 'tsx', 'src/cli.ts', 'serve', '--port', '0'], { env: { ...env, BOUTIQUE_API_TOKEN: 'hunter2-secret', DATABASE_URL: 'sqlite::memory:' }, timeout: 30_000 }, (err, _stdout, stderr) => {
        resolve({ code: err === null ? 0 : typeof err.code === 'number' ? err.code : 1, stderr });
      });
    });
    assert.equal(run.code, 2);
    assert.deepEqual(run.stderr.trim().split('\n'), ['boutique: BOUTIQUE_API_TOKEN must be at least 16 characters, got 14']);
  });
});

/** A handshake's outcome: `open` (the socket is returned, to be closed by the caller) or the refusal's status and Retry-After. */
type Handshake = { open: WebSocket } | { status: number; retryAfter: string | undefined };

function handshake(url: string, headers: Record<string, string> = {}): Promise<Handshake> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, 'json', { headers });
    ws.once('open', () => resolve({ open: ws }));
    ws.once('unexpected-response', (_req, res: IncomingMessage) => {
      resolve({ status: res.statusCode!, retryAfter: res.headers['retry-after'] });
      res.resume();
    });
    ws.once('error', reject);
  });
}

const opened = (h: Handshake): WebSocket => {
  assert.ok('open' in h, `refused: ${JSON.stringify(h)}`);
  return h.open;
};

async function closeAll(sockets: WebSocket[]): Promise<void> {
  await Promise.all(sockets.map((ws) => new Promise((resolve) => (ws.readyState === WebSocket.CLOSED ? resolve(undefined) : (ws.once('close', resolve), ws.close())))));
}

/** Tries `attempt` until it gives something other than undefined; for a close the server learns of a moment later. */
async function eventually<T>(attempt: () => Promise<T | undefined>, what: string): Promise<T> {
  const deadline = Date.now() + 5000;
  for (;;) {
    const result = await attempt();
    if (result !== undefined) return result;
    if (Date.now() > deadline) throw new Error(`never: ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('WebSocket handshakes per client', () => {
  it('over WS_HANDSHAKE_RATE › 429 with Retry-After, while another client (behind a trusted proxy) still connects', async () => {
    const server = await running({ wsHandshakeRate: 2, trustProxy: ['127.0.0.1'] });
    const sockets: WebSocket[] = [];
    let refused: Handshake | undefined;
    // Bursts of twice the rate: the 5th handshake in quick succession is over it, give or take a refill on a slow machine.
    for (let i = 0; i < 20 && refused === undefined; i++) {
      const h = await handshake(server.wsUrl, { 'x-forwarded-for': '203.0.113.5' });
      if ('open' in h) sockets.push(h.open);
      else refused = h;
    }
    assert.ok(refused !== undefined && 'status' in refused, 'a handshake was refused');
    assert.equal(refused.status, 429);
    assert.ok(Number(refused.retryAfter) >= 1);
    assert.ok(sockets.length >= 4, `the burst of 4 was allowed (got ${sockets.length})`);
    sockets.push(opened(await handshake(server.wsUrl, { 'x-forwarded-for': '203.0.113.6' })));
    await closeAll(sockets);
  });
});

describe('concurrent connections per client address', () => {
  it('the defaults › the 257th WebSocket and the 65th event stream from one address are refused with 429', { timeout: 60_000 }, async () => {
    const defaults = loadConfig({});
    assert.equal(defaults.wsMaxPerClient, 256);
    assert.equal(defaults.sseMaxPerClient, 64);
    assert.equal(defaults.trustProxy, false);
    const server = await running({ wsHandshakeRate: 0 });
    const sockets: WebSocket[] = [];
    for (let i = 0; i < 256; i++) sockets.push(opened(await handshake(server.wsUrl)));
    const over = await handshake(server.wsUrl);
    assert.ok('status' in over && over.status === 429, JSON.stringify(over));
    await closeAll(sockets);

    const streams: IncomingMessage[] = [];
    for (let i = 0; i < 64; i++) {
      const s = await stream(server.httpUrl);
      assert.equal(s.statusCode, 200);
      streams.push(s);
    }
    const refused = await stream(server.httpUrl);
    assert.equal(refused.statusCode, 429);
    assert.equal(JSON.parse(await text(refused)).status, 429);
    for (const s of streams) s.destroy();
  });

  it('WS_MAX_PER_CLIENT=3 › the 4th socket is refused with 429 until one of the 3 closes', async () => {
    const server = await running({ wsMaxPerClient: 3, wsHandshakeRate: 0 });
    const sockets = [];
    for (let i = 0; i < 3; i++) sockets.push(opened(await handshake(server.wsUrl)));
    const over = await handshake(server.wsUrl);
    assert.ok('status' in over && over.status === 429 && over.retryAfter !== undefined, JSON.stringify(over));
    await closeAll([sockets.pop()!]);
    const again = await eventually(async () => {
      const h = await handshake(server.wsUrl);
      return 'open' in h ? h.open : undefined;
    }, 'a socket accepted after one closed');
    await closeAll([...sockets, again]);
  });

  it('SSE_MAX_PER_CLIENT=2 › the 3rd /events stream is 429 problem+json with Retry-After until one ends', async () => {
    const server = await running({ sseMaxPerClient: 2 });
    const first = await stream(server.httpUrl);
    const second = await stream(server.httpUrl);
    assert.deepEqual([first.statusCode, second.statusCode], [200, 200]);
    const third = await stream(server.httpUrl);
    assert.equal(third.statusCode, 429);
    assert.match(String(third.headers['content-type']), /^application\/problem\+json/);
    assert.ok(Number(third.headers['retry-after']) >= 1);
    await text(third);
    first.destroy();
    const fourth = await eventually(async () => {
      const s = await stream(server.httpUrl);
      if (s.statusCode === 200) return s;
      await text(s);
      return undefined;
    }, 'a stream accepted after one ended');
    second.destroy();
    fourth.destroy();
  });
});

/** Opens GET /events on its own connection and resolves with the response (headers read, body streaming). */
function stream(base: string, headers: Record<string, string> = {}): Promise<IncomingMessage> {
  return new Promise((resolve, reject) => {
    const req = request(`${base}/events`, { agent: false, headers }, resolve);
    req.on('error', reject);
    req.end();
  });
}

function text(res: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    let body = '';
    res.setEncoding('utf8');
    res.on('data', (chunk: string) => (body += chunk));
    res.on('end', () => resolve(body));
    res.on('error', reject);
  });
}

describe('TRUST_PROXY', () => {
  it('off (the default) › X-Forwarded-For is ignored: one address, one budget, however the header varies', async () => {
    const server = await running({ wsMaxPerClient: 1, sseMaxPerClient: 1, wsHandshakeRate: 0 });
    const socket = opened(await handshake(server.wsUrl, { 'x-forwarded-for': '203.0.113.5' }));
    const other = await handshake(server.wsUrl, { 'x-forwarded-for': '203.0.113.6' });
    assert.ok('status' in other && other.status === 429, JSON.stringify(other));
    await closeAll([socket]);
    const streamA = await stream(server.httpUrl, { 'x-forwarded-for': '203.0.113.5' });
    const streamB = await stream(server.httpUrl, { 'x-forwarded-for': '203.0.113.6' });
    assert.deepEqual([streamA.statusCode, streamB.statusCode], [200, 429]);
    for (const s of [streamA, streamB]) s.destroy();
    const limited = await app({ rateLimitMax: 1 });
    assert.equal((await limited.inject({ url: '/customers', headers: { 'x-forwarded-for': '203.0.113.5' } })).statusCode, 200);
    assert.equal((await limited.inject({ url: '/customers', headers: { 'x-forwarded-for': '203.0.113.6' } })).statusCode, 429);
  });

  it('the proxy 127.0.0.1 trusted › each forwarded client has its own sockets, streams and HTTP budget', async () => {
    const server = await running({ trustProxy: ['127.0.0.1'], wsMaxPerClient: 1, sseMaxPerClient: 1, wsHandshakeRate: 0 });
    const a = opened(await handshake(server.wsUrl, { 'x-forwarded-for': '203.0.113.5' }));
    const refused = await handshake(server.wsUrl, { 'x-forwarded-for': '203.0.113.5' });
    assert.ok('status' in refused && refused.status === 429);
    const b = opened(await handshake(server.wsUrl, { 'x-forwarded-for': '203.0.113.6' }));
    await closeAll([a, b]);

    const streamA = await stream(server.httpUrl, { 'x-forwarded-for': '203.0.113.5' });
    const streamA2 = await stream(server.httpUrl, { 'x-forwarded-for': '203.0.113.5' });
    const streamB = await stream(server.httpUrl, { 'x-forwarded-for': '203.0.113.6' });
    assert.deepEqual([streamA.statusCode, streamA2.statusCode, streamB.statusCode], [200, 429, 200]);
    for (const s of [streamA, streamA2, streamB]) s.destroy();

    const limited = await app({ trustProxy: ['127.0.0.1'], rateLimitMax: 1 });
    const from = (client: string) => limited.inject({ url: '/customers', remoteAddress: '127.0.0.1', headers: { 'x-forwarded-for': client } });
    assert.equal((await from('203.0.113.5')).statusCode, 200);
    assert.equal((await from('203.0.113.5')).statusCode, 429);
    assert.equal((await from('203.0.113.6')).statusCode, 200);
  });

  it('TRUST_PROXY=not-an-address › start-up stops with one line naming it', () => {
    assert.throws(() => loadConfig({ TRUST_PROXY: '10.0.0.1, not-an-address' }), (err: unknown) => err instanceof ConfigError && /^TRUST_PROXY must be true, false or a comma-separated list/.test(err.message));
    assert.deepEqual(loadConfig({ TRUST_PROXY: '10.0.0.0/8, loopback' }).trustProxy, ['10.0.0.0/8', 'loopback']);
    assert.equal(loadConfig({ TRUST_PROXY: 'true' }).trustProxy, true);
  });
});
