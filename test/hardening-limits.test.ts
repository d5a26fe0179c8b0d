/** The token: guessing it costs requests like anything else, a weak one stops start-up, and /metrics is a read. */
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import type { App } from '../src/app.js';
import { ConfigError, OPTIONS, loadConfig, type Config } from '../src/config.js';
import { buildTestApp } from './helpers.js';

const TOKEN = 'a-token-of-24-characters';
const cleanups: (() => Promise<unknown>)[] = [];
after(() => Promise.all(cleanups.map((c) => c())));

async function app(overrides: Partial<Config>): Promise<App> {
  const built = await buildTestApp(overrides);
  cleanups.push(() => built.close());
  return built;
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
