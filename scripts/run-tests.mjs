#!/usr/bin/env node
// Runs every test/**/*.test.ts with node's test runner (through tsx), prints the spec report,
// and ends with one plain "N passed, N failed, N skipped" line.
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync, mkdtempSync, statSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { tmpdir } from 'node:os';

function find(dir) {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return find(path);
    return name.endsWith('.test.ts') ? [path] : [];
  });
}

// A test file that hangs fails after 5 minutes with its name instead of holding the run until CI
// gives up. The benchmark's smoke run is the one file that is long by design: on a fresh machine it
// first installs bench/ (building better-sqlite3 from source, minutes on 2 cores), then runs every
// scenario against every server. Its own test bounds it at 15 minutes, so its file gets 16.
const FILE_TIMEOUT_MS = 5 * 60_000;
const LONG_FILES = new Map([[join('test', 'bench-smoke.test.ts'), 16 * 60_000]]);

const only = process.argv.slice(2);
const files = only.length ? only : find('test').sort();
const dir = mkdtempSync(join(tmpdir(), 'boutique-tests-'));
const batches = new Map();
for (const file of files) {
  const timeout = LONG_FILES.get(relative(process.cwd(), resolve(file))) ?? FILE_TIMEOUT_MS;
  batches.set(timeout, [...(batches.get(timeout) ?? []), file]);
}

let status = 0;
let passed = 0;
let failed = 0;
let skipped = 0;
for (const [timeout, batch] of [...batches].sort(([a], [b]) => a - b)) {
  const tap = join(dir, `report-${timeout}.tap`);
  const result = spawnSync(
    process.execPath,
    ['--import', 'tsx', '--test', '--test-concurrency=1', `--test-timeout=${timeout}`, '--test-reporter=spec', '--test-reporter-destination=stdout', '--test-reporter=tap', `--test-reporter-destination=${tap}`, ...batch],
    { stdio: 'inherit', env: { ...process.env, NODE_ENV: 'test' } },
  );
  const report = readFileSync(tap, 'utf8');
  const count = (name) => Number((report.match(new RegExp(`^# ${name} (\\d+)$`, 'm')) ?? [])[1] ?? 0);
  passed += count('pass');
  failed += count('fail') + count('cancelled');
  skipped += count('skipped') + count('todo');
  if (result.status !== 0) status = result.status ?? 1;
}
console.log(`\n${passed} passed, ${failed} failed, ${skipped} skipped`);
process.exit(status);
