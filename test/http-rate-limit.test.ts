import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import type { App } from '../src/app.js';
import { buildTestApp } from './helpers.js';

const apps: App[] = [];
after(() => Promise.all(apps.map((a) => a.close())));

test('RATE_LIMIT_MAX › the request over the limit gets 429 problem+json with Retry-After; health checks stay exempt', async () => {
  const app = await buildTestApp({ rateLimitMax: 3, rateLimitWindowMs: 60_000 });
  apps.push(app);
  for (let i = 0; i < 3; i++) assert.equal((await app.inject({ url: '/customers' })).statusCode, 200);
  const limited = await app.inject({ url: '/customers' });
  assert.equal(limited.statusCode, 429);
  assert.match(limited.headers['content-type'] as string, /^application\/problem\+json/);
  assert.ok(Number(limited.headers['retry-after']) >= 1);
  assert.equal(limited.json().status, 429);
  assert.equal((await app.inject({ url: '/healthz' })).statusCode, 200);
});

test('RATE_LIMIT_MAX › clients are limited separately', async () => {
  const app = await buildTestApp({ rateLimitMax: 1, rateLimitWindowMs: 60_000 });
  apps.push(app);
  assert.equal((await app.inject({ url: '/customers', remoteAddress: '10.0.0.1' })).statusCode, 200);
  assert.equal((await app.inject({ url: '/customers', remoteAddress: '10.0.0.1' })).statusCode, 429);
  assert.equal((await app.inject({ url: '/customers', remoteAddress: '10.0.0.2' })).statusCode, 200);
});

test('RATE_LIMIT_MAX › 0 (the default) means no limit', async () => {
  const app = await buildTestApp();
  apps.push(app);
  for (let i = 0; i < 50; i++) assert.equal((await app.inject({ url: '/healthz' })).statusCode, 200);
  for (let i = 0; i < 50; i++) assert.equal((await app.inject({ url: '/customers' })).statusCode, 200);
});
