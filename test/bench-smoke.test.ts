import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

// `npm run bench -- --quick` runs every scenario briefly, so CI proves the harness still works. This
// asserts that it ran and measured — every server answered, nothing was lost — never how fast
// anything was: performance is judged by `npm run bench`, not by tests.

const ROOT = join(import.meta.dirname, '..');
const installed = existsSync(join(ROOT, 'bench', 'node_modules'));
const required = process.env.BOUTIQUE_BENCH_SMOKE === '1';
const servicesRequired = process.env.BOUTIQUE_REQUIRE_SERVICES === '1';
const skip =
  installed || required
    ? false
    : 'bench/ has no node_modules: `npm run bench -- --quick` installs them (a few minutes: it builds better-sqlite3), or set BOUTIQUE_BENCH_SMOKE=1 to have npm test do it';

interface HttpServer {
  median: { rps: number };
  rounds: ({ serverPid: number } | null)[];
  non2xx: number;
  errors: number;
}
interface HttpBlock {
  connections: number;
  servers: Record<string, HttpServer>;
  ratios: { a: string; b: string; rounds: (number | null)[] }[];
}
interface Round {
  outcome: string;
  done: number;
  connected: number;
}

function assertHttp(name: string, block: HttpBlock, servers: string[]): void {
  for (const server of servers) {
    const row = block.servers[server];
    assert.ok(row, `${name} c${block.connections}: ${server} was measured`);
    assert.ok(row.median.rps > 0, `${name} c${block.connections}: ${server} answered`);
    assert.equal(row.non2xx, 0, `${name} c${block.connections} ${server}: only 2xx answers`);
    assert.equal(row.errors, 0, `${name} c${block.connections} ${server}: no connection errors`);
    // Each run on a process of its own: one long-lived process would be measured round after round.
    const pids = row.rounds.map((r) => r?.serverPid);
    assert.ok(pids.length >= 2 && pids.every((pid) => typeof pid === 'number'), `${name} c${block.connections} ${server}: the process of every round is recorded (${pids.join(', ')})`);
    assert.equal(new Set(pids).size, pids.length, `${name} c${block.connections} ${server}: a fresh process each round (${pids.join(', ')})`);
  }
  assert.ok(block.ratios.every((r) => r.rounds.every((v) => v !== null && v > 0)), `${name}: a ratio for every round`);
}

test('npm run bench -- --quick › every scenario runs against every server, nothing is lost and the results are written', { skip, timeout: 15 * 60_000 }, () => {
  const out = mkdtempSync(join(tmpdir(), 'boutique-bench-smoke-'));
  try {
    const run = spawnSync('npm', ['run', '--silent', 'bench', '--', '--quick', '--out', out], { cwd: ROOT, encoding: 'utf8', timeout: 14 * 60_000, env: { ...process.env, NODE_ENV: 'production' } });
    assert.equal(run.status, 0, `npm run bench -- --quick exited ${run.status}\n${run.stdout.slice(-3000)}\n${run.stderr.slice(-3000)}`);
    assert.match(run.stdout, /### Targets/, 'the report table is printed');

    const results = JSON.parse(readFileSync(join(out, 'quick.json'), 'utf8'));
    assert.equal(results.mode, 'quick');
    assert.match(readFileSync(join(out, 'quick.svg'), 'utf8'), /^<svg[\s\S]*<\/svg>\s*$/);
    const rest = ['boutique', 'bare-layout', 'bare-minimal', 'json-server'];
    for (const scenario of ['read', 'list', 'create']) {
      const blocks = Object.values(results.rest[scenario]) as HttpBlock[];
      assert.ok(blocks.length > 0, `rest-${scenario} ran`);
      for (const block of blocks) assertHttp(`rest-${scenario}`, block, scenario === 'create' && results.synchronousNormal?.measured ? [...rest, 'boutique-normal'] : rest);
    }
    for (const [server, d] of Object.entries(results.durability as Record<string, { survived: boolean }>)) {
      assert.equal(d.survived, true, `${server}: every 201 survives kill -9`);
    }
    assert.equal(results.durability.boutique?.survived, true, 'Boutique was checked with kill -9');

    const pg = results['pg-read'];
    if (pg.skipped) assert.ok(!servicesRequired, `pg-read was skipped although services are required: ${pg.skipped}`);
    else for (const block of Object.values(pg) as HttpBlock[]) if (typeof block === 'object') assertHttp('pg-read', block, ['boutique', 'bare-pg']);

    for (const server of ['boutique', 'ws', 'socketio']) {
      const fanout = results.fanout.servers[server];
      assert.equal(fanout.failed, 0, `${server}: every fan-out client connected`);
      assert.ok(fanout.delivered.paced > 0 && fanout.delivered.full > 0, `${server}: messages were delivered`);
      assert.equal(fanout.lost, 0, `${server}: no message lost`);
      const memory = results.memory.servers[server];
      assert.equal(memory.failed, 0, `${server}: every idle connection opened`);
      assert.equal(memory.opened, results.plan.idle);
    }
    for (const server of ['boutique', 'ws']) {
      const paired = results.fanoutPaired.servers[server];
      assert.equal(paired.failed, 0, `${server}: every paired fan-out client connected`);
      assert.ok(paired.delivered > 0, `${server}: paired messages were delivered`);
      assert.equal(paired.lost, 0, `${server}: no paired message lost`);
    }
    assert.ok(results.fanoutPaired.ratios.every((r: { rounds: (number | null)[] }) => r.rounds.every((v) => v !== null && v > 0)), 'fanout-paired: a ratio for every round');
    for (const storm of Object.values(results.signin) as { clients: number; servers: Record<string, { rounds: Round[] }> }[]) {
      for (const round of storm.servers.mdn.rounds) {
        assert.equal(round.outcome, 'complete', `signin ${storm.clients}: every client got a correct user list from MDN's server`);
        assert.equal(round.done, storm.clients);
      }
      // Boutique's slow-reader limit may close storm clients on a busy machine: a measured result
      // (the report shows it), not a broken harness. Every client must have connected and been answered.
      for (const round of storm.servers.boutique.rounds) {
        assert.ok(['complete', 'clients-closed'].includes(round.outcome), `signin ${storm.clients} Boutique: ${round.outcome}`);
        assert.equal(round.connected, storm.clients, `signin ${storm.clients} Boutique: every client connected`);
      }
    }
    assert.ok(results.targets.length > 0 && results.targets.every((t: { value: unknown }) => t.value !== null), 'every target is evaluated');
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
});
