/**
 * pg-read: GET /customers/{id} with Boutique on PostgreSQL against a bare Fastify + pg route
 * (bench/peers/fastify-pg.mjs) reading the very same rows: one database of its own on the local
 * server, migrated and seeded by Boutique through its API, created before and dropped after.
 * Same rounds, connection counts, per-round ratios and fresh processes for each run as the REST
 * scenarios.
 */
import { join } from 'node:path';
import { CLK_TCK, freePort, runLoad } from '../lib/proc.mjs';
import { CUSTOMERS, generate, seedBoutique } from '../lib/seed.mjs';
import { createDatabase, dropDatabase, unavailable } from '../lib/postgres.mjs';
import { interleave, perRound, summarize } from '../lib/rounds.mjs';
import { startBoutique, startPeer, stopServer, waitHttp } from '../lib/servers.mjs';
import { fmtRatios } from './rest.mjs';

const HERE = join(import.meta.dirname, '..');

export async function pgReadScenario({ opts, plan, log, results }) {
  const missing = await unavailable();
  if (missing) {
    results['pg-read'] = { skipped: missing };
    log(`pg-read skipped: ${missing}`);
    return;
  }
  const name = `boutique_bench_${process.pid}_${Date.now()}`;
  const url = await createDatabase(name);
  const servers = {};
  try {
    const ports = { boutique: await freePort(), 'bare-pg': await freePort() };
    const origin = (n) => `http://127.0.0.1:${ports[n]}`;
    servers.boutique = startBoutique(ports.boutique, url);
    await waitHttp(`${origin('boutique')}/healthz`, servers.boutique);
    const data = generate();
    const t = Date.now();
    // A quick run only proves the scenario works: the customers are all its reads touch.
    await seedBoutique(origin('boutique'), data, { customersOnly: opts.quick });
    log(`pg-read: seeded Boutique on PostgreSQL (${name}${opts.quick ? ', customers only' : ''}) in ${((Date.now() - t) / 1000).toFixed(1)} s`);
    const launch = { boutique: () => startBoutique(ports.boutique, url), 'bare-pg': () => startPeer('bare-pg', 'fastify-pg.mjs', [url, ports['bare-pg']]) };
    const ready = (n) => (n === 'boutique' ? `${origin(n)}/healthz` : `${origin(n)}/customers/1`);
    // A fresh process for each run, as in the REST scenarios (bench/scenarios/rest.mjs `fresh`).
    const fresh = async (n) => {
      if (servers[n]) await stopServer(servers[n]);
      servers[n] = launch[n]();
      await waitHttp(ready(n), servers[n]);
    };
    const out = { database: 'PostgreSQL on 127.0.0.1:5432, a database of its own, dropped after the run' };
    for (const connections of plan.connections) {
      const { order, runs } = await interleave(['boutique', 'bare-pg'], plan.restRounds ?? plan.rounds, async (n, round) => {
        await fresh(n);
        const r = await runLoad(`load-pg-read-${n}`, [join(HERE, 'load', 'http.mjs'), JSON.stringify({
          origin: origin(n),
          scenario: 'read',
          ids: CUSTOMERS,
          seconds: plan.seconds,
          warmupSeconds: plan.warmup,
          connections,
          serverPid: servers[n].pid,
          clkTck: CLK_TCK,
        })], { timeoutMs: (plan.seconds + plan.warmup) * 1000 + 60_000 });
        r.serverPid = servers[n].pid;
        log(`pg-read c${connections} round ${round} ${n}: ${Math.round(r.rps)} req/s, p99 ${r.p99} ms, ${r.cpuUsPerReq?.toFixed(1)} µs CPU/req, non-2xx ${r.non2xx}, errors ${r.errors}`);
        return r;
      });
      const summary = summarize(runs, { rps: (r) => r.rps, p50: (r) => r.p50, p99: (r) => r.p99, cpuUsPerReq: (r) => r.cpuUsPerReq });
      for (const [n, rs] of Object.entries(runs)) {
        summary[n].non2xx = rs.reduce((s, r) => s + (r?.non2xx ?? 0), 0);
        summary[n].errors = rs.reduce((s, r) => s + (r?.errors ?? 0), 0);
      }
      const ratios = [perRound(runs, 'boutique', 'bare-pg', 'rps', (r) => r.rps), perRound(runs, 'boutique', 'bare-pg', 'cpuUsPerReq', (r) => r.cpuUsPerReq)];
      out[`c${connections}`] = { connections, fresh: true, order, servers: summary, ratios };
      log(`pg-read c${connections}: boutique ÷ bare-pg ${fmtRatios(ratios[0])}`);
    }
    results['pg-read'] = out;
  } finally {
    for (const child of Object.values(servers)) await stopServer(child);
    await dropDatabase(name).catch((err) => log(`pg-read: could not drop ${name}: ${err.message}`));
  }
}
