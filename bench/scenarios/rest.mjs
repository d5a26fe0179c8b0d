/**
 * REST: GET /customers/{id}, GET /customers?page=3&per_page=20 and POST /customers, each at every
 * connection count of the plan (32 and 50), in interleaved rounds against
 *   - bare-layout:  bare Fastify + better-sqlite3 on Boutique's own table layout, Boutique's JSON shape;
 *   - bare-minimal: the same route on its own minimal table (the cheapest route anyone would write);
 *   - json-server 0.17.4;
 *   - boutique-normal (creates only): Boutique again, on a copy of its seeded file, with
 *     SQLITE_SYNCHRONOUS=normal — the setting that keeps NORMAL for those who want it.
 * Both ceilings run WAL with synchronous=NORMAL; Boutique runs its default. Every run starts its
 * server afresh on its file (`fresh` below). After the creates every SQLite server gets kill -9 and
 * its rows are counted: every 201 must be on disk.
 */
import { join } from 'node:path';
import { CLK_TCK, freePort, runLoad, start, SERVER_CORE } from '../lib/proc.mjs';
import { CUSTOMERS, copyDb, countRows, generate, seedBoutique, writeBareDb, writeJsonServerDb } from '../lib/seed.mjs';
import { interleave, perRound, summarize } from '../lib/rounds.mjs';
import { boutiqueKnows, startBoutique, startPeer, stopServer, waitHttp } from '../lib/servers.mjs';

const HERE = join(import.meta.dirname, '..');
const LIST_PATH = '/customers?page=3&per_page=20';
const PEERS = ['bare-layout', 'bare-minimal', 'json-server'];

export async function restScenarios({ opts, plan, tmp, log, results }) {
  const wanted = ['read', 'list', 'create'].filter((s) => opts.only.includes(`rest-${s}`));
  if (wanted.length === 0) return;
  const data = generate();
  const files = {
    boutique: join(tmp, 'boutique.db'),
    'boutique-normal': join(tmp, 'boutique-normal.db'),
    'bare-layout': join(tmp, 'bare-layout.db'),
    'bare-minimal': join(tmp, 'bare-minimal.db'),
    json: join(tmp, 'db.json'),
  };
  writeJsonServerDb(files.json, data);
  writeBareDb(files['bare-layout'], data, 'boutique');
  writeBareDb(files['bare-minimal'], data, 'minimal');
  const ports = {};
  for (const name of ['boutique', 'boutique-normal', ...PEERS]) ports[name] = await freePort();
  const origin = (name) => `http://127.0.0.1:${ports[name]}`;
  // How each server is started, on its file: at the start, and again fresh for each of its runs.
  const launch = {
    boutique: () => startBoutique(ports.boutique, `sqlite:${files.boutique}`, { profile: opts.profile && seeded }),
    'boutique-normal': () => startBoutique(ports['boutique-normal'], `sqlite:${files['boutique-normal']}`, { env: { SQLITE_SYNCHRONOUS: 'normal' }, name: 'boutique-normal' }),
    'bare-layout': () => startPeer('bare-layout', 'fastify-sqlite.mjs', [files['bare-layout'], ports['bare-layout'], 'boutique']),
    'bare-minimal': () => startPeer('bare-minimal', 'fastify-sqlite.mjs', [files['bare-minimal'], ports['bare-minimal'], 'minimal']),
    'json-server': () =>
      start('json-server', {
        core: SERVER_CORE,
        args: [join(HERE, 'node_modules', 'json-server', 'lib', 'cli', 'bin.js'), '--port', String(ports['json-server']), '--host', '127.0.0.1', '--quiet', files.json],
        cwd: tmp,
      }),
  };
  const ready = (name) => (name.startsWith('boutique') ? `${origin(name)}/healthz` : `${origin(name)}/customers/1`);
  let seeded = false;
  const servers = {};
  for (const name of ['boutique', ...PEERS]) servers[name] = launch[name]();
  /**
   * A fresh process for each run. The same code in two processes of one run was, on this machine,
   * up to a third faster in one than in the other, and stayed so for every round (its JIT's and
   * its memory's luck of the draw): rounds on long-lived servers measure that draw again and again.
   * Started anew before each run, a server draws again every round, as in the WebSocket scenarios.
   * The one it replaces has been idle since its last run (the other servers ran in between), so
   * stopping it (kill -9, stopServer) interrupts nothing: every 201 it sent is already on disk.
   */
  const fresh = async (name) => {
    await stopServer(servers[name]);
    servers[name] = launch[name]();
    await waitHttp(ready(name), servers[name]);
  };
  const normal = { measured: false, known: boutiqueKnows('SQLITE_SYNCHRONOUS'), note: '' };
  try {
    for (const name of ['boutique', ...PEERS]) await waitHttp(ready(name), servers[name]);
    const t = Date.now();
    await seedBoutique(origin('boutique'), data);
    log(`seeded Boutique through its API with ${data.customers.length} customers and ${data.orders.length} orders in ${((Date.now() - t) / 1000).toFixed(1)} s`);
    // From here on Boutique starts profiled under --profile: the profiles show the runs, not the seeding.
    seeded = true;
    if (wanted.includes('create')) {
      // The secondary line: the same seeded rows, SQLITE_SYNCHRONOUS=normal. A build that does not
      // know the variable ignores it (unknown variables are not an error), so the line is then the
      // default measured twice — said in the note. A build that refuses it is skipped.
      await copyDb(files.boutique, files['boutique-normal']);
      servers['boutique-normal'] = launch['boutique-normal']();
      try {
        await waitHttp(ready('boutique-normal'), servers['boutique-normal']);
        normal.measured = true;
        normal.note = normal.known
          ? 'Boutique with SQLITE_SYNCHRONOUS=normal (listed by `boutique serve --help`)'
          : 'this build does not list SQLITE_SYNCHRONOUS in `boutique serve --help`: it ignores the variable, so this line is Boutique\'s default again';
      } catch (err) {
        normal.note = `Boutique refused SQLITE_SYNCHRONOUS=normal: ${String(err.message).split('\n').slice(0, 3).join(' ')}`;
        delete servers['boutique-normal'];
      }
      log(`boutique-normal: ${normal.note}`);
    }
    results.synchronousNormal = normal;

    const createdOk = {};
    for (const scenario of wanted) {
      const names = ['boutique', ...PEERS, ...(scenario === 'create' && normal.measured ? ['boutique-normal'] : [])];
      results.rest[scenario] = {};
      for (const connections of plan.connections) {
        const { order, runs } = await interleave(names, plan.restRounds ?? plan.rounds, async (name, round) => {
          await fresh(name);
          const r = await runLoad(`load-${scenario}-${name}`, [join(HERE, 'load', 'http.mjs'), JSON.stringify({
            origin: origin(name),
            scenario,
            listPath: name === 'json-server' ? '/customers?_page=3&_limit=20' : LIST_PATH,
            ids: CUSTOMERS,
            seconds: scenario === 'create' ? plan.createSeconds : plan.seconds,
            warmupSeconds: plan.warmup,
            connections,
            serverPid: servers[name].pid,
            clkTck: CLK_TCK,
            emailPrefix: `r${round}c${connections}`,
          })], { timeoutMs: (Math.max(plan.seconds, plan.createSeconds) + plan.warmup) * 1000 + 60_000 });
          // Which process answered: a fresh one each run (the smoke test checks).
          r.serverPid = servers[name].pid;
          if (scenario === 'create') createdOk[name] = (createdOk[name] ?? 0) + r.okIncludingWarmup;
          log(`rest-${scenario} c${connections} round ${round} ${name}: ${Math.round(r.rps)} req/s, p99 ${r.p99} ms, ${r.cpuUsPerReq?.toFixed(1)} µs CPU/req, non-2xx ${r.non2xx}, errors ${r.errors}`);
          return r;
        });
        const subjects = names.filter((n) => n.startsWith('boutique'));
        const ratios = [];
        for (const a of subjects) {
          for (const b of PEERS) ratios.push(perRound(runs, a, b, 'rps', (r) => r.rps));
          for (const b of ['bare-layout', 'bare-minimal']) ratios.push(perRound(runs, a, b, 'cpuUsPerReq', (r) => r.cpuUsPerReq));
        }
        const servers_ = summarize(runs, { rps: (r) => r.rps, p50: (r) => r.p50, p99: (r) => r.p99, cpuUsPerReq: (r) => r.cpuUsPerReq });
        for (const [name, rs] of Object.entries(runs)) {
          servers_[name].non2xx = rs.reduce((s, r) => s + (r?.non2xx ?? 0), 0);
          servers_[name].errors = rs.reduce((s, r) => s + (r?.errors ?? 0), 0);
        }
        results.rest[scenario][`c${connections}`] = { connections, fresh: true, order, servers: servers_, ratios };
        for (const r of ratios.filter((x) => x.metric === 'rps' && x.a === 'boutique')) {
          log(`rest-${scenario} c${connections}: boutique ÷ ${r.b} ${fmtRatios(r)}`);
        }
      }
    }
    if (wanted.includes('create')) {
      // Every 201 must survive a crash: kill -9 right after the load, then count the rows on disk.
      for (const name of ['boutique', 'boutique-normal', 'bare-layout', 'bare-minimal']) {
        if (!servers[name] || (name === 'boutique' && opts.profile)) continue;
        await servers[name].kill('SIGKILL');
        await servers[name].exited;
        const rows = countRows(files[name], 'customers') - CUSTOMERS;
        const created = createdOk[name] ?? 0;
        results.durability[name] = { created201: created, rowsAfterKill9: rows, survived: rows >= created };
        log(`durability ${name}: ${created} × 201, ${rows} rows after kill -9 → ${rows >= created ? 'all survived' : 'LOST WRITES'}`);
      }
    }
  } finally {
    for (const child of Object.values(servers)) await stopServer(child);
  }
}

export const fmtRatios = (r) => `${r.median == null ? '—' : r.median.toFixed(2) + '×'} (${r.rounds.map((v) => (v == null ? '—' : v.toFixed(2))).join(', ')})`;
