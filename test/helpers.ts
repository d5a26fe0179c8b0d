import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildApp, type App } from '../src/app.js';
import { testConfig, type Config } from '../src/config.js';

let counter = 0;

/** An app on in-memory SQLite with silent logs; close it in `after`. */
export async function buildTestApp(overrides: Partial<Config> = {}): Promise<App> {
  return buildApp(testConfig(overrides));
}

/** The same app listening on a free loopback port; returns its base URL (http://127.0.0.1:N). */
export async function listen(app: App): Promise<string> {
  return app.listen({ port: 0, host: '127.0.0.1' });
}

export function buildCustomer(overrides: Partial<{ name: string; email: string }> = {}): { name: string; email: string } {
  counter += 1;
  return { name: `Customer ${counter}`, email: `customer${counter}.${process.pid}@example.org`, ...overrides };
}

export function buildOrder(overrides: Partial<{ items: { sku: string; quantity: number; unitPrice: number }[] }> = {}) {
  return { items: [{ sku: 'TSHIRT-M', quantity: 2, unitPrice: 1999 }, { sku: 'MUG', quantity: 1, unitPrice: 1250 }], ...overrides };
}

/** Creates a customer through the API and returns its JSON. */
export async function createCustomer(app: App, overrides: Partial<{ name: string; email: string }> = {}) {
  const res = await app.inject({ method: 'POST', url: '/customers', payload: buildCustomer(overrides) });
  if (res.statusCode !== 201) throw new Error(`create customer: ${res.statusCode} ${res.body}`);
  return res.json<{ id: number; name: string; email: string; createdAt: string; updatedAt: string }>();
}

export async function createOrder(app: App, customerId: number, overrides: Parameters<typeof buildOrder>[0] = {}) {
  const res = await app.inject({ method: 'POST', url: `/customers/${customerId}/orders`, payload: buildOrder(overrides) });
  if (res.statusCode !== 201) throw new Error(`create order: ${res.statusCode} ${res.body}`);
  return res.json<{ id: number; customerId: number; total: number; status: string; items: unknown[] }>();
}

/** A fresh SQLite file URL in its own temp dir (`sqlite:/tmp/boutique-…/x.db`), for tests that reopen the database. */
export function tempDatabaseUrl(): { url: string; path: string; dir: string } {
  const dir = mkdtempSync(join(tmpdir(), 'boutique-db-'));
  const path = join(dir, 'x.db');
  return { url: `sqlite:${path}`, path, dir };
}

type Injected = Awaited<ReturnType<App['inject']>>;

/**
 * What every error looks like on the wire (RFC 9457): the status, `application/problem+json`
 * with charset, `type`/`title`/`status`/`detail`, and never a stack trace. Returns the parsed problem.
 */
export function assertProblem(res: Injected, status: number): { type: string; title: string; status: number; detail: string; instance: string; errors?: { field: string; message: string }[] } {
  assert.equal(res.statusCode, status, `expected ${status}, got ${res.statusCode}: ${res.body}`);
  assert.equal(res.headers['content-type'], 'application/problem+json; charset=utf-8');
  const problem = res.json();
  assert.equal(problem.status, status);
  assert.equal(typeof problem.type, 'string');
  assert.equal(typeof problem.title, 'string');
  assert.equal(typeof problem.detail, 'string');
  assertNoStack(res.body);
  return problem;
}

/** A stack trace line looks like "    at fn (file.ts:1:2)". */
export function assertNoStack(body: string): void {
  assert.doesNotMatch(body, /\bat [^\s]+ \(|\.ts:\d+:\d+|\.js:\d+:\d+|node_modules/);
}
