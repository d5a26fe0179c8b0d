import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { once } from 'node:events';
import pg from 'pg';
import { OPTIONS, flagName } from '../src/config.js';
import { buildApp } from '../src/app.js';
import { testConfig } from '../src/config.js';

const CLI = ['--import', 'tsx', 'src/cli.ts'];
const PG_ADMIN_URL = process.env.BOUTIQUE_TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs the CLI as a process, the way `npx boutique …` does, with a clean environment for config. */
function boutique(args: string[], env: Record<string, string> = {}): Promise<Run> {
  const clean = Object.fromEntries(Object.entries(process.env).filter(([k]) => !Object.values(OPTIONS).some((o) => o.env === k)));
  return new Promise((resolve) => {
    execFile(process.execPath, [...CLI, ...args], { env: { ...clean, LOG_LEVEL: 'warn', ...env }, maxBuffer: 64 * 1024 * 1024 }, (err, stdout, stderr) => {
      const code = err === null ? 0 : typeof err.code === 'number' ? err.code : 1;
      resolve({ code, stdout, stderr });
    });
  });
}

let dir: string;
const sqlite = (name: string): string => `sqlite:${join(dir, name)}`;
before(() => {
  dir = mkdtempSync(join(tmpdir(), 'boutique-cli-'));
});
after(() => rmSync(dir, { recursive: true, force: true }));

test('boutique --help › lists the commands', async () => {
  const run = await boutique(['--help']);
  assert.equal(run.code, 0);
  for (const command of ['serve', 'migrate', 'seed', 'export', 'import']) assert.match(run.stdout, new RegExp(`^  ${command} `, 'm'));
});

test('boutique serve --help › lists every configuration variable with its flag and default', async () => {
  const run = await boutique(['serve', '--help']);
  assert.equal(run.code, 0);
  for (const option of Object.values(OPTIONS)) {
    assert.ok(run.stdout.includes(flagName(option.env)), `flag of ${option.env}`);
    assert.ok(run.stdout.includes(`env ${option.env}${option.fallback !== undefined ? `, default ${option.fallback}` : ''}`), `env and default of ${option.env}`);
  }
});

test('boutique › an unknown flag, command or bad value exits 2 with one line', async () => {
  const runs: Promise<{ run: Run; args: readonly string[]; pattern: RegExp }>[] = [];
  for (const [args, pattern] of [
    [['serve', '--no-such-flag', '1'], /--no-such-flag/],
    [['frobnicate'], /unknown command "frobnicate"/],
    [['serve', '--port', 'eighty'], /PORT must be an integer/],
    [['seed', '--customers', '-3'], /--customers must be an integer/],
    [['seed'], /--customers is required/],
  ] as const) {
    runs.push(boutique([...args]).then((run) => ({ run, args, pattern })));
  }
  // Independent processes: run them side by side.
  for (const { run, args, pattern } of await Promise.all(runs)) {
    assert.equal(run.code, 2, args.join(' '));
    assert.equal(run.stderr.trim().split('\n').length, 1, run.stderr);
    assert.match(run.stderr, pattern);
  }
});

test('boutique migrate › prints the migrations applied, then that the database is up to date', async () => {
  const url = sqlite('migrate.db');
  const first = await boutique(['migrate', '--database-url', url]);
  assert.equal(first.code, 0, first.stderr);
  assert.match(first.stdout, /^applied 0001_customers_and_orders$/m);
  assert.match(first.stdout, /^applied 0002_chat_messages$/m);
  const second = await boutique(['migrate'], { DATABASE_URL: url });
  assert.equal(second.code, 0, second.stderr);
  assert.match(second.stdout, /up to date/);
});

test('boutique seed --customers 200 › a served instance lists 200 customers', async () => {
  const url = sqlite('seed.db');
  const seeded = await boutique(['seed', '--customers', '200', '--seed', '1', '--database-url', url]);
  assert.equal(seeded.code, 0, seeded.stderr);
  assert.match(seeded.stdout, /^200\/200 customers \(100%\)$/m, 'plain progress lines when not a terminal');
  assert.match(seeded.stdout, /seeded 200 customers and \d+ orders/);

  const clean = Object.fromEntries(Object.entries(process.env).filter(([k]) => !Object.values(OPTIONS).some((o) => o.env === k)));
  const server = spawn(process.execPath, [...CLI, 'serve', '--port', '0', '--database-url', url], { env: { ...clean, LOG_LEVEL: 'info' }, stdio: ['ignore', 'pipe', 'inherit'] });
  try {
    let output = '';
    const base = await new Promise<string>((resolve, reject) => {
      server.stdout.on('data', (chunk: Buffer) => {
        output += chunk.toString();
        const m = /Server listening at (http:\/\/127\.0\.0\.1:\d+)/.exec(output);
        if (m) resolve(m[1]!);
      });
      server.once('exit', (code) => reject(new Error(`serve exited ${code}: ${output}`)));
    });
    const res = await fetch(`${base}/customers`);
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('x-total-count'), '200');
    const page = (await res.json()) as { name: string; email: string }[];
    assert.equal(new Set(page.map((c) => c.email)).size, page.length);
    assert.ok(new Set(page.map((c) => c.name)).size > 10, 'varied names');
    const orders = await fetch(`${base}/orders?per_page=100`);
    const statuses = new Set(((await orders.json()) as { status: string }[]).map((o) => o.status));
    assert.ok(statuses.size >= 3, `varied statuses: ${[...statuses].join(', ')}`);
  } finally {
    server.kill('SIGTERM');
    const [code] = (await once(server, 'exit')) as [number | null];
    assert.equal(code, 0);
  }
});

test('boutique export › import into a fresh SQLite file round-trips byte for byte', async () => {
  const source = sqlite('source.db');
  const target = sqlite('target.db');
  assert.equal((await boutique(['seed', '--customers', '150', '--seed', '9', '--database-url', source])).code, 0);
  const first = join(dir, 'first.jsonl');
  const exported = await boutique(['export', '--output', first, '--database-url', source]);
  assert.equal(exported.code, 0, exported.stderr);
  assert.match(exported.stderr, /exported 150 customers and \d+ orders/);
  const imported = await boutique(['import', '--input', first, '--database-url', target]);
  assert.equal(imported.code, 0, imported.stderr);
  assert.match(imported.stdout, /imported 150 customers and \d+ orders/);
  // Export to standard output this time: the same bytes.
  const again = await boutique(['export', '--database-url', target]);
  assert.equal(again.code, 0, again.stderr);
  const text = readFileSync(first, 'utf8');
  assert.equal(again.stdout, text);
  const lines = text.trim().split('\n').map((l) => JSON.parse(l) as { type: string });
  assert.equal(lines.filter((l) => l.type === 'customer').length, 150);
  // Importing the same file again changes nothing.
  assert.equal((await boutique(['import', '--input', first, '--database-url', target])).code, 0);
  assert.equal((await boutique(['export', '--database-url', target])).stdout, text);
});

test('boutique import › a malformed line fails with its line number, exit 1', async () => {
  const bad = join(dir, 'bad.jsonl');
  const { writeFileSync } = await import('node:fs');
  writeFileSync(bad, '{"type":"customer","id":1,"name":"A","email":"a@example.org","version":1,"createdAt":"2024-01-01T00:00:00.000Z","updatedAt":"2024-01-01T00:00:00.000Z"}\n{"type":"order","id":"x"}\n');
  const run = await boutique(['import', '--input', bad, '--database-url', sqlite('bad.db')]);
  assert.equal(run.code, 1);
  assert.match(run.stderr, /^boutique: line 2: id is missing or invalid$/m);
});

async function postgresReachable(): Promise<boolean> {
  const client = new pg.Client({ connectionString: PG_ADMIN_URL, connectionTimeoutMillis: 2000 });
  try {
    await client.connect();
    await client.end();
    return true;
  } catch {
    return false;
  }
}

test('boutique export from SQLite › import into PostgreSQL keeps everything and new rows get fresh ids', async (t) => {
  if (!(await postgresReachable())) {
    const message = `PostgreSQL unreachable at ${PG_ADMIN_URL}; start one (or set BOUTIQUE_TEST_POSTGRES_URL) to run this test`;
    if (process.env.BOUTIQUE_REQUIRE_SERVICES === '1') assert.fail(message);
    t.skip(message);
    return;
  }
  const name = `boutique_cli_${process.pid}_${Date.now()}`;
  const admin = new pg.Client({ connectionString: PG_ADMIN_URL });
  await admin.connect();
  await admin.query(`create database ${name}`);
  const pgUrl = new URL(PG_ADMIN_URL);
  pgUrl.pathname = `/${name}`;
  try {
    const source = sqlite('to-pg.db');
    assert.equal((await boutique(['seed', '--customers', '120', '--orders-per-customer', '2', '--seed', '3', '--database-url', source])).code, 0);
    const file = join(dir, 'to-pg.jsonl');
    assert.equal((await boutique(['export', '--output', file, '--database-url', source])).code, 0);
    const imported = await boutique(['import', '--input', file, '--database-url', pgUrl.href]);
    assert.equal(imported.code, 0, imported.stderr);
    assert.match(imported.stdout, /imported 120 customers and 240 orders/);
    const back = await boutique(['export', '--database-url', pgUrl.href]);
    assert.equal(back.code, 0, back.stderr);
    assert.equal(back.stdout, readFileSync(file, 'utf8'));

    const app = await buildApp(testConfig({ databaseUrl: pgUrl.href }));
    try {
      const customer = await app.inject({ method: 'POST', url: '/customers', payload: { name: 'After Import', email: 'after.import@example.org' } });
      assert.equal(customer.json().id, 121);
      const order = await app.inject({ method: 'POST', url: '/customers/121/orders', payload: { items: [{ sku: 'MUG', quantity: 1, unitPrice: 1250 }] } });
      assert.equal(order.json().id, 241);
    } finally {
      await app.close();
    }
  } finally {
    await admin.query(`drop database if exists ${name} with (force)`);
    await admin.end();
  }
});
