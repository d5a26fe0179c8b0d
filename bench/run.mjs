#!/usr/bin/env node
/**
 * npm run bench: Boutique against its peers and two bare ceilings, side by side in one run.
 *
 *   node bench/run.mjs                 full run (about 15 minutes, see docs/benchmarks.md)
 *   node bench/run.mjs --quick         every scenario briefly, one round (REST and pg-read two), REST at 50 connections (proves the harness works)
 *   node bench/run.mjs --only rest-read,signin   some scenarios: rest-read, rest-list, rest-create,
 *                                      pg-read, fanout (one after the other, then paired), memory,
 *                                      signin, queries
 *   node bench/run.mjs --rounds 5      rounds per scenario (full: 5 for REST and pg-read, 6 for the
 *                                      paced fan-out, 3 for the rest; quick: 1)
 *   node bench/run.mjs --connections 32,50   REST connection counts (full: both; quick: 50)
 *   node bench/run.mjs --signin 1000,10000   sign-in storm sizes (full: 1000 and 10000; quick: 500)
 *   node bench/run.mjs --signin-timeout 60   seconds a storm may take before it is given up (full: 60; quick: 30)
 *   node bench/run.mjs --profile       Boutique runs under --cpu-prof; profiles land in bench/results/profiles/
 *   node bench/run.mjs --idle 5000     idle connections of the memory scenario (default 10000)
 *   node bench/run.mjs --out DIR       write DIR/<name>.json and .svg instead of bench/results/ (the smoke test)
 *
 * Every scenario runs its servers in interleaved rounds, the order turned each round, each server a
 * fresh process in every round; Boutique is compared with each peer within a round and the median
 * of those per-round ratios is reported with every round's value (bench/lib/rounds.mjs). Scenarios run one after another, never in parallel;
 * servers are pinned to core 0 and load generators (separate processes) to core 1 with taskset.
 * Every child is killed at the end, also on failure. Results: a table on stdout,
 * bench/results/latest.json and latest.svg (quick or partial runs: quick.json / quick.svg, not committed).
 */
import { mkdtempSync, rmSync, writeFileSync, mkdirSync, existsSync } from 'node:fs';
import { tmpdir, loadavg } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { PINNING, killAll } from './lib/proc.mjs';
import { CUSTOMERS } from './lib/seed.mjs';
import { BOUTIQUE_CLI, PROFILE_DIR } from './lib/servers.mjs';
import { machine, evaluate, printReport, renderSvg } from './lib/report.mjs';
import { restScenarios } from './scenarios/rest.mjs';
import { pgReadScenario } from './scenarios/pg-read.mjs';
import { fanoutPairedScenario, fanoutScenario, memoryScenario, signinScenario } from './scenarios/websocket.mjs';
import { queriesScenario } from './scenarios/queries.mjs';

const HERE = dirname(fileURLToPath(import.meta.url));
const SCENARIOS = ['rest-read', 'rest-list', 'rest-create', 'pg-read', 'fanout', 'memory', 'signin', 'queries'];
const list = (v) => v.split(',').map((x) => x.trim()).filter(Boolean);

function parseArgs(argv) {
  const opts = { quick: false, only: SCENARIOS, profile: false, idle: undefined, out: join(HERE, 'results'), rounds: undefined, connections: undefined, signin: undefined, signinTimeout: undefined };
  for (let i = 0; i < argv.length; i++) {
    let a = argv[i];
    let value;
    const eq = a.indexOf('=');
    if (a.startsWith('--') && eq !== -1) [a, value] = [a.slice(0, eq), a.slice(eq + 1)];
    const next = () => value ?? argv[++i];
    if (a === '--quick') opts.quick = true;
    else if (a === '--profile') opts.profile = true;
    else if (a === '--only') opts.only = list(next());
    else if (a === '--idle') opts.idle = Number(next());
    else if (a === '--out') opts.out = next();
    else if (a === '--rounds') opts.rounds = Number(next());
    else if (a === '--connections') opts.connections = list(next()).map(Number);
    else if (a === '--signin') opts.signin = list(next()).map(Number);
    else if (a === '--signin-timeout') opts.signinTimeout = Number(next());
    else throw new Error(`unknown argument ${a}`);
  }
  for (const s of opts.only) if (!SCENARIOS.includes(s)) throw new Error(`unknown scenario ${s}; one of ${SCENARIOS.join(', ')}`);
  return opts;
}

const opts = parseArgs(process.argv.slice(2));
const plan = {
  ...(opts.quick
    ? { rounds: 1, seconds: 0.5, createSeconds: 2, warmup: 0.25, warmPacedSeconds: 0.5, pacedSeconds: 1, fullSeconds: 1, fanoutClients: 200, idle: 1000, settleMs: 500, signinClients: [500], signinTimeoutSeconds: 30 }
    : { rounds: 3, seconds: 3, createSeconds: 3, warmup: 2, warmPacedSeconds: 3, pacedSeconds: 10, fullSeconds: 3, fanoutClients: 1000, idle: 10_000, settleMs: 10_000, signinClients: [1000, 10_000], signinTimeoutSeconds: 60 }),
  // Creates get a longer quick window: json-server rewrites its whole db.json per create (~20 ms
  // each), so the 50 creates left in flight by the warm-up alone can outlast half a second, and a
  // window with no answer in it says nothing.
  // A quick run proves the harness works: one connection count is enough for that.
  connections: opts.quick ? [50] : [32, 50],
  signinRssLimitBytes: 3 * 2 ** 30,
  customers: CUSTOMERS,
  orders: CUSTOMERS * 5,
};
if (opts.rounds) plan.rounds = opts.rounds;
// The paced fan-out's p99 swings most from round to round (a 10 s window on a shared machine): it
// runs twice as many rounds as it has servers, in carry-over balanced order (bench/lib/rounds.mjs).
plan.fanoutRounds = opts.rounds ?? (opts.quick ? 1 : 6);
// Each REST and pg-read run starts its server afresh (one process's luck of the draw swung reads by
// up to a third between two copies of the same server): five rounds draw five processes apiece. A
// quick run takes two, so the smoke test sees each server answer from a new process in the second.
plan.restRounds = opts.rounds ?? (opts.quick ? 2 : 5);
if (opts.connections) plan.connections = opts.connections;
if (opts.signin) plan.signinClients = opts.signin;
if (opts.signinTimeout) plan.signinTimeoutSeconds = opts.signinTimeout;
if (opts.idle) plan.idle = opts.quick ? Math.min(opts.idle, 1000) : opts.idle;
const STARTED = Date.now();

if (!existsSync(BOUTIQUE_CLI)) throw new Error('dist/cli.js is missing: run `npm run build` first (npm run bench does).');

const log = (msg) => console.error(`[bench ${((Date.now() - STARTED) / 1000).toFixed(0).padStart(3)}s] ${msg}`);

const results = {
  date: new Date().toISOString(),
  machine: machine(),
  mode: opts.quick ? 'quick' : 'full',
  scenarios: opts.only,
  pinning: PINNING ? 'servers on core 0, load generators on core 1 (taskset)' : 'none (taskset or a second core missing)',
  loadAverage: { start: loadavg().map((x) => Math.round(x * 100) / 100) },
  plan,
  rest: {},
  durability: {},
  synchronousNormal: null,
  'pg-read': null,
  fanout: null,
  fanoutPaired: null,
  memory: null,
  signin: null,
  queries: null,
};
const tmp = mkdtempSync(join(tmpdir(), 'boutique-bench-'));
if (opts.profile) mkdirSync(PROFILE_DIR, { recursive: true });
const ctx = { opts, plan, tmp, log, results };
let failed = false;
try {
  log(`${results.mode} run of ${opts.only.join(', ')}: ${plan.rounds} round(s) (REST and pg-read ${plan.restRounds}, a fresh server each run; paced fan-out ${plan.fanoutRounds}), REST at ${plan.connections.join(' and ')} connections; ${results.pinning}; load average ${results.loadAverage.start.join(' ')}`);
  if (opts.only.some((s) => s.startsWith('rest-'))) await restScenarios(ctx);
  if (opts.only.includes('pg-read')) await pgReadScenario(ctx);
  if (opts.only.includes('fanout')) {
    await fanoutScenario(ctx);
    await fanoutPairedScenario(ctx);
  }
  if (opts.only.includes('memory')) await memoryScenario(ctx);
  if (opts.only.includes('signin')) await signinScenario(ctx);
  if (opts.only.includes('queries')) await queriesScenario(ctx);
} catch (err) {
  failed = true;
  console.error(err);
} finally {
  killAll();
  rmSync(tmp, { recursive: true, force: true });
}
results.loadAverage.end = loadavg().map((x) => Math.round(x * 100) / 100);
results.seconds = Math.round((Date.now() - STARTED) / 1000);
results.targets = evaluate(results);
printReport(results);
if (!failed) {
  const base = join(opts.out, opts.quick || opts.only.length < SCENARIOS.length ? 'quick' : 'latest');
  mkdirSync(dirname(base), { recursive: true });
  writeFileSync(`${base}.json`, JSON.stringify(results, null, 2) + '\n');
  writeFileSync(`${base}.svg`, renderSvg(results));
  console.log(`\nwrote ${base}.json and ${base}.svg`);
}
process.exit(failed ? 1 : 0);
