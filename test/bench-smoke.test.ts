import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

// Issue 6 item 3: `npm run bench -- --quick` runs every scenario for about a second, so CI proves
// the harness still works. This asserts that it ran and measured — every server answered, nothing
// was lost — never how fast anything was: performance is judged by `npm run bench`, not by tests.

const ROOT = join(import.meta.dirname, '..');
const installed = existsSync(join(ROOT, 'bench', 'node_modules'));
const required = process.env.BOUTIQUE_BENCH_SMOKE === '1';
const skip =
  installed || required
    ? false
    : 'bench/ has no node_modules: `npm run bench -- --quick` installs them (a few minutes: it builds better-sqlite3), or set BOUTIQUE_BENCH_SMOKE=1 to have npm test do it';

interface Row {
  rps: number;
  non2xx: number;
  errors: number;
}

test('npm run bench -- --quick › every scenario runs against every server and the results are written', { skip, timeout: 15 * 60_000 }, () => {
  const out = mkdtempSync(join(tmpdir(), 'boutique-bench-smoke-'));
  try {
    const run = spawnSync('npm', ['run', '--silent', 'bench', '--', '--quick', '--out', out], { cwd: ROOT, encoding: 'utf8', timeout: 14 * 60_000, env: { ...process.env, NODE_ENV: 'production' } });
    assert.equal(run.status, 0, `npm run bench -- --quick exited ${run.status}\n${run.stdout.slice(-3000)}\n${run.stderr.slice(-3000)}`);
    assert.match(run.stdout, /### Targets/, 'the report table is printed');

    const results = JSON.parse(readFileSync(join(out, 'quick.json'), 'utf8'));
    assert.equal(results.mode, 'quick');
    assert.match(readFileSync(join(out, 'quick.svg'), 'utf8'), /^<svg[\s\S]*<\/svg>\s*$/);
    for (const scenario of ['read', 'list', 'create']) {
      for (const server of ['boutique', 'bare', 'json-server']) {
        const row = results.rest[scenario][server] as Row;
        assert.ok(row.rps > 0, `${scenario} ${server} answered`);
        assert.equal(row.non2xx, 0, `${scenario} ${server}: only 2xx answers`);
        assert.equal(row.errors, 0, `${scenario} ${server}: no connection errors`);
      }
    }
    assert.equal(results.durability.boutique.survived, true, 'every 201 survives kill -9');
    for (const server of ['boutique', 'ws', 'socketio']) {
      const fanout = results.fanout[server];
      assert.equal(fanout.failed, 0, `${server}: every fan-out client connected`);
      assert.ok(fanout.paced.delivered > 0 && fanout.full.delivered > 0, `${server}: messages were delivered`);
      assert.equal(fanout.paced.lost + fanout.full.lost, 0, `${server}: no message lost`);
      const memory = results.memory[server];
      assert.equal(memory.failed, 0, `${server}: every idle connection opened`);
      assert.equal(memory.opened, results.plan.idle);
    }
    assert.equal(results.targets.length, 7, 'every target of the issue is evaluated');
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
});
