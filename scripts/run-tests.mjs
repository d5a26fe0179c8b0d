#!/usr/bin/env node
// Runs every test/**/*.test.ts with node's test runner (through tsx), prints the spec report,
// and ends with one plain "N passed, N failed, N skipped" line.
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync, mkdtempSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';

function find(dir) {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return find(path);
    return name.endsWith('.test.ts') ? [path] : [];
  });
}

const only = process.argv.slice(2);
const files = only.length ? only : find('test').sort();
const tap = join(mkdtempSync(join(tmpdir(), 'boutique-tests-')), 'report.tap');
const result = spawnSync(
  process.execPath,
  // A test that hangs fails after 5 minutes with its name instead of holding the run until CI gives up.
  ['--import', 'tsx', '--test', '--test-concurrency=1', '--test-timeout=300000', '--test-reporter=spec', '--test-reporter-destination=stdout', '--test-reporter=tap', `--test-reporter-destination=${tap}`, ...files],
  { stdio: 'inherit', env: { ...process.env, NODE_ENV: 'test' } },
);
const report = readFileSync(tap, 'utf8');
const count = (name) => Number((report.match(new RegExp(`^# ${name} (\\d+)$`, 'm')) ?? [])[1] ?? 0);
const passed = count('pass');
const failed = count('fail') + count('cancelled');
const skipped = count('skipped') + count('todo');
console.log(`\n${passed} passed, ${failed} failed, ${skipped} skipped`);
process.exit(result.status ?? 1);
