#!/usr/bin/env node
/**
 * npm run bench: Boutique against its peers, side by side in one run (issue 6).
 *
 *   node bench/run.mjs                 full run (a few minutes, bounded under 10)
 *   node bench/run.mjs --quick         every scenario for about a second (proves the harness works)
 *   node bench/run.mjs --only rest-read,fanout   some scenarios: rest-read, rest-list, rest-create, fanout, memory
 *   node bench/run.mjs --profile       Boutique runs under --cpu-prof; profiles land in bench/results/profiles/
 *   node bench/run.mjs --idle 5000     idle connections of the memory scenario (default 10000)
 *   node bench/run.mjs --out DIR       write DIR/<name>.json and .svg instead of bench/results/ (the smoke test)
 *
 * Scenarios run one after another, never in parallel; servers are pinned to core 0 and load
 * generators (separate processes) to core 1 with taskset. Every child is killed at the end.
 * Results: a table on stdout, bench/results/latest.json and bench/results/latest.svg
 * (quick runs: quick.json / quick.svg, not committed).
 */
import { mkdtempSync, rmSync, writeFileSync, mkdirSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CLK_TCK, PINNING, SERVER_CORE, freePort, killAll, runLoad, sleep, start, stop, waitHttp } from './lib/proc.mjs';
import { CUSTOMERS, countRows, generate, seedBoutique, writeBareDb, writeJsonServerDb } from './lib/seed.mjs';
import { machine, evaluate, printReport, renderSvg } from './lib/report.mjs';

const HERE = dirname(fileURLToPath(import.meta.url));
const ROOT = join(HERE, '..');
const SCENARIOS = ['rest-read', 'rest-list', 'rest-create', 'fanout', 'memory'];

function parseArgs(argv) {
  const opts = { quick: false, only: SCENARIOS, profile: false, idle: 10_000, out: join(HERE, 'results') };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--quick') opts.quick = true;
    else if (a === '--profile') opts.profile = true;
    else if (a === '--only') opts.only = argv[++i].split(',');
    else if (a.startsWith('--only=')) opts.only = a.slice(7).split(',');
    else if (a === '--idle') opts.idle = Number(argv[++i]);
    else if (a.startsWith('--idle=')) opts.idle = Number(a.slice(7));
    else if (a === '--out') opts.out = argv[++i];
    else if (a.startsWith('--out=')) opts.out = a.slice(6);
    else throw new Error(`unknown argument ${a}`);
  }
  for (const s of opts.only) if (!SCENARIOS.includes(s)) throw new Error(`unknown scenario ${s}; one of ${SCENARIOS.join(', ')}`);
  return opts;
}

const opts = parseArgs(process.argv.slice(2));
const plan = opts.quick
  ? { rounds: 1, seconds: 1, warmup: 0.5, warmPacedSeconds: 0.5, pacedSeconds: 1, fanoutRounds: 1, fullSeconds: 1, fanoutClients: 200, idle: Math.min(opts.idle, 1000) }
  : { rounds: 5, seconds: 5, warmup: 1, warmPacedSeconds: 3, pacedSeconds: 10, fanoutRounds: 3, fullSeconds: 5, fanoutClients: 1000, idle: opts.idle };
const CONNECTIONS = 32;
const BOUTIQUE_CLI = join(ROOT, 'dist', 'cli.js');
const PROFILE_DIR = join(HERE, 'results', 'profiles');
const STARTED = Date.now();

if (!existsSync(BOUTIQUE_CLI)) throw new Error('dist/cli.js is missing: run `npm run build` first (npm run bench does).');

const log = (msg) => console.error(`[bench ${((Date.now() - STARTED) / 1000).toFixed(0).padStart(3)}s] ${msg}`);

function boutiqueArgs(profile) {
  return profile ? ['--cpu-prof', `--cpu-prof-dir=${PROFILE_DIR}`, BOUTIQUE_CLI, 'serve'] : [BOUTIQUE_CLI, 'serve'];
}

function startBoutique(port, dbFile, extra = {}) {
  return start('boutique', {
    core: SERVER_CORE,
    args: boutiqueArgs(extra.profile ?? opts.profile),
    cwd: ROOT,
    nofile: extra.nofile,
    env: {
      PORT: String(port),
      HOST: '127.0.0.1',
      DATABASE_URL: `sqlite:${dbFile}`,
      LOG_LEVEL: 'warn',
      // The chat's per-socket flood limit (20 msg/s by default) would close the full-speed sender.
      WS_RATE_LIMIT: '100000',
      RATE_LIMIT_MAX: '0',
      // Every load client comes from 127.0.0.1: the per-client socket cap and handshake rate would refuse most.
      WS_MAX_PER_CLIENT: '0',
      WS_HANDSHAKE_RATE: '0',
      NODE_ENV: 'production',
    },
  });
}

/** Graceful stop for Boutique under --profile (the profile is written on exit), SIGKILL otherwise. */
const stopServer = (child) => (child.benchName === 'boutique' && opts.profile ? stop(child, 'SIGTERM', 15_000) : stop(child, 'SIGKILL'));

/** The servers' order in round `round` (from 1): turned by one each round. */
const turned = (order, round) => [...order.slice((round - 1) % order.length), ...order.slice(0, (round - 1) % order.length)];

const median = (xs) => {
  const v = xs.filter((x) => x !== null && Number.isFinite(x)).sort((a, b) => a - b);
  if (v.length === 0) return null;
  const m = Math.floor(v.length / 2);
  return v.length % 2 ? v[m] : (v[m - 1] + v[m]) / 2;
};

async function restScenarios(tmp, results) {
  const wanted = ['read', 'list', 'create'].filter((s) => opts.only.includes(`rest-${s}`));
  if (wanted.length === 0) return;
  const data = generate();
  const files = { boutique: join(tmp, 'boutique.db'), bare: join(tmp, 'bare.db'), json: join(tmp, 'db.json') };
  writeJsonServerDb(files.json, data);
  writeBareDb(files.bare, data);
  const ports = { boutique: await freePort(), 'json-server': await freePort(), bare: await freePort() };
  const servers = {
    boutique: startBoutique(ports.boutique, files.boutique, { profile: false }),
    'json-server': start('json-server', {
      core: SERVER_CORE,
      args: [join(HERE, 'node_modules', 'json-server', 'lib', 'cli', 'bin.js'), '--port', String(ports['json-server']), '--host', '127.0.0.1', '--quiet', files.json],
      cwd: tmp,
    }),
    bare: start('bare', { core: SERVER_CORE, args: [join(HERE, 'peers', 'fastify-sqlite.mjs'), files.bare, String(ports.bare)] }),
  };
  try {
    await waitHttp(`http://127.0.0.1:${ports.boutique}/healthz`, servers.boutique);
    await waitHttp(`http://127.0.0.1:${ports['json-server']}/customers/1`, servers['json-server']);
    await waitHttp(`http://127.0.0.1:${ports.bare}/customers/1`, servers.bare);
    log(`seeding Boutique with ${data.customers.length} customers and ${data.orders.length} orders through its API`);
    await seedBoutique(`http://127.0.0.1:${ports.boutique}`, data);
    if (opts.profile) {
      // The profile should show the scenarios, not the seeding: restart Boutique on the seeded file, profiled.
      await stop(servers.boutique, 'SIGTERM', 15_000);
      servers.boutique = startBoutique(ports.boutique, files.boutique, { profile: true });
      await waitHttp(`http://127.0.0.1:${ports.boutique}/healthz`, servers.boutique);
    }
    const listPath = { boutique: '/customers?page=3&per_page=20', bare: '/customers?page=3&per_page=20', 'json-server': '/customers?_page=3&_limit=20' };
    const createdOk = { boutique: 0, bare: 0, 'json-server': 0 };
    for (const scenario of wanted) {
      const runs = { boutique: [], bare: [], 'json-server': [] };
      for (let round = 1; round <= plan.rounds; round++) {
        // Interleaved so that noise from other work on the machine hits every server alike, and in
        // an order that turns each round: a server measured right after another inherits its
        // aftermath (the kernel writing back the dirty pages of its creates, json-server's
        // db.json rewritten on every create), and a fixed order would always give it to the same one.
        const order = ['boutique', 'bare', 'json-server'];
        for (const name of turned(order, round)) {
          const r = await runLoad(`load-${scenario}-${name}`, [join(HERE, 'load', 'http.mjs'), JSON.stringify({
            origin: `http://127.0.0.1:${ports[name]}`,
            scenario,
            listPath: listPath[name],
            ids: CUSTOMERS,
            seconds: plan.seconds,
            warmupSeconds: plan.warmup,
            connections: CONNECTIONS,
            serverPid: servers[name].pid,
            clkTck: CLK_TCK,
            emailPrefix: `r${round}`,
          })], { timeoutMs: (plan.seconds + plan.warmup) * 1000 + 60_000 });
          if (scenario === 'create') createdOk[name] += r.okIncludingWarmup;
          runs[name].push(r);
          log(`rest-${scenario} round ${round} ${name}: ${Math.round(r.rps)} req/s, p99 ${r.p99} ms, ${r.cpuUsPerReq?.toFixed(1)} µs CPU/req, non-2xx ${r.non2xx}, errors ${r.errors}`);
        }
      }
      results.rest[scenario] = Object.fromEntries(Object.entries(runs).map(([name, rs]) => [name, {
        rps: median(rs.map((r) => r.rps)),
        p50: median(rs.map((r) => r.p50)),
        p99: median(rs.map((r) => r.p99)),
        cpuUsPerReq: median(rs.map((r) => r.cpuUsPerReq)),
        non2xx: rs.reduce((s, r) => s + r.non2xx, 0),
        errors: rs.reduce((s, r) => s + r.errors, 0),
        rounds: rs.map((r) => Math.round(r.rps)),
      }]));
    }
    if (wanted.includes('create')) {
      // Every 201 must survive a crash: kill -9 right after the load, then count the rows on disk.
      for (const name of ['boutique', 'bare']) {
        if (name === 'boutique' && opts.profile) continue;
        await stop(servers[name], 'SIGKILL');
        const rows = countRows(files[name === 'boutique' ? 'boutique' : 'bare'], 'customers');
        const expected = CUSTOMERS + createdOk[name];
        results.durability[name] = { created201: createdOk[name], rowsAfterKill9: rows - CUSTOMERS, survived: rows >= expected };
        log(`durability ${name}: ${createdOk[name]} × 201, ${rows - CUSTOMERS} rows after kill -9 → ${rows >= expected ? 'all survived' : 'LOST WRITES'}`);
      }
    }
  } finally {
    for (const child of Object.values(servers)) await stopServer(child);
  }
}

async function startWsServer(name, port, tmp, nofile) {
  let child;
  if (name === 'boutique') {
    child = startBoutique(port, join(tmp, `chat-${Date.now()}.db`), { nofile });
    await waitHttp(`http://127.0.0.1:${port}/healthz`, child);
    return { child, url: `ws://127.0.0.1:${port}/socketserver` };
  }
  const file = name === 'ws' ? 'ws-broadcast.mjs' : 'socketio.mjs';
  child = start(name, { core: SERVER_CORE, args: [join(HERE, 'peers', file), String(port)], nofile });
  await waitHttp(`http://127.0.0.1:${port}/`, child);
  return { child, url: name === 'ws' ? `ws://127.0.0.1:${port}/` : `http://127.0.0.1:${port}` };
}

/** A percentile of pooled [bucket, count] histograms (bucket = ms × 100). */
function pooledPercentile(histograms, p) {
  const counts = new Map();
  for (const h of histograms) for (const [b, c] of h) counts.set(b, (counts.get(b) ?? 0) + c);
  const buckets = [...counts.keys()].sort((a, b) => a - b);
  const total = [...counts.values()].reduce((a, b) => a + b, 0);
  if (total === 0) return null;
  const rank = Math.min(total - 1, Math.floor((p / 100) * total));
  let seen = 0;
  for (const b of buckets) {
    seen += counts.get(b);
    if (seen > rank) return b / 100;
  }
  return null;
}

async function fanoutScenario(tmp, results) {
  const names = ['boutique', 'ws', 'socketio'];
  const runs = { boutique: [], ws: [], socketio: [] };
  for (let round = 1; round <= plan.fanoutRounds; round++) {
    // Rounds interleaved and the order turning, as in the REST scenarios: a quiet or busy minute
    // of the machine falls on every server alike. A fresh server and fresh clients each round.
    for (const name of turned(names, round)) {
      const { child, url } = await startWsServer(name, await freePort(), tmp);
      try {
        await sleep(300);
        const fullSeconds = round === 1 ? plan.fullSeconds : 0;
        const r = await runLoad(`load-fanout-${name}`, [join(HERE, 'load', 'fanout.mjs'), JSON.stringify({
          kind: name, url, clients: plan.fanoutClients, rate: 20, warmSeconds: plan.warmPacedSeconds, pacedSeconds: plan.pacedSeconds, fullSeconds, window: 64, serverPid: child.pid, clkTck: CLK_TCK,
        })], { timeoutMs: 120_000, nofile: 65536 });
        runs[name].push(r);
        log(`fanout round ${round} ${name}: ${r.clients} clients (${r.failed} failed), paced p50 ${r.paced.p50?.toFixed(2)} / p99 ${r.paced.p99?.toFixed(2)} ms, ${r.paced.cpuUsPerMsg?.toFixed(2)} µs server CPU/msg (load process ${r.paced.loadCpuUsPerMsg?.toFixed(2)})` +
          (r.full ? `; full ${Math.round(r.full.msgPerSec)} msg/s, ${r.full.cpuUsPerMsg?.toFixed(2)} µs CPU/msg` : '') + `, lost ${r.paced.lost}${r.full ? `+${r.full.lost}` : ''}`);
      } finally {
        await stopServer(child);
      }
    }
  }
  for (const name of names) {
    const rs = runs[name];
    const histograms = rs.map((r) => r.paced.histogram);
    const full = rs.find((r) => r.full)?.full ?? null;
    results.fanout[name] = {
      clients: Math.min(...rs.map((r) => r.clients)),
      failed: rs.reduce((s, r) => s + r.failed, 0),
      frameBytes: rs[0].frameBytes,
      rounds: rs.length,
      paced: {
        sent: rs.reduce((s, r) => s + r.paced.sent, 0),
        delivered: rs.reduce((s, r) => s + r.paced.delivered, 0),
        lost: rs.reduce((s, r) => s + r.paced.lost, 0),
        // Every round's latencies pooled: the p99 of all broadcasts, not a median of small p99s.
        p50: pooledPercentile(histograms, 50),
        p99: pooledPercentile(histograms, 99),
        roundP99: rs.map((r) => r.paced.p99),
        cpuUsPerMsg: median(rs.map((r) => r.paced.cpuUsPerMsg)),
        loadCpuUsPerMsg: median(rs.map((r) => r.paced.loadCpuUsPerMsg)),
      },
      full,
    };
  }
}

async function memoryScenario(tmp, results) {
  for (const name of ['boutique', 'ws', 'socketio']) {
    const { child, url } = await startWsServer(name, await freePort(), tmp, 65536);
    try {
      await sleep(1000);
      const r = await runLoad(`load-idle-${name}`, [join(HERE, 'load', 'idle.mjs'), JSON.stringify({ kind: name, url, count: plan.idle, serverPid: child.pid, settleMs: opts.quick ? 500 : 10_000 })], {
        timeoutMs: 180_000,
        nofile: 65536,
      });
      results.memory[name] = r;
      log(`memory ${name}: ${r.opened} open (${r.failed} failed${r.firstError ? `: ${r.firstError}` : ''}) in ${r.connectSeconds}s, ${(r.bytesPerConnection / 1024).toFixed(1)} KB RSS per connection`);
    } finally {
      await stopServer(child);
    }
  }
}

const results = {
  date: new Date().toISOString(),
  machine: machine(),
  mode: opts.quick ? 'quick' : 'full',
  pinning: PINNING ? 'servers on core 0, load generators on core 1 (taskset)' : 'none (taskset or a second core missing)',
  plan: { ...plan, restConnections: CONNECTIONS, customers: CUSTOMERS, orders: CUSTOMERS * 5 },
  rest: {},
  durability: {},
  fanout: {},
  memory: {},
};
const tmp = mkdtempSync(join(tmpdir(), 'boutique-bench-'));
if (opts.profile) mkdirSync(PROFILE_DIR, { recursive: true });
let failed = false;
try {
  log(`${results.mode} run of ${opts.only.join(', ')}; ${results.pinning}`);
  if (opts.only.some((s) => s.startsWith('rest-'))) await restScenarios(tmp, results);
  if (opts.only.includes('fanout')) await fanoutScenario(tmp, results);
  if (opts.only.includes('memory')) await memoryScenario(tmp, results);
} catch (err) {
  failed = true;
  console.error(err);
} finally {
  killAll();
  rmSync(tmp, { recursive: true, force: true });
}
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
