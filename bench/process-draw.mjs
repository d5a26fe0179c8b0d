#!/usr/bin/env node
/**
 * Why every REST run of `npm run bench` starts its server afresh: two copies of the same Boutique,
 * each on its own copy of one seeded file, against the bare Fastify + better-sqlite3 route on
 * Boutique's tables, GET /customers/{id} at 50 connections.
 *
 *   long-lived  the three servers are started once and measured in interleaved rounds, as the REST
 *               scenarios did before: each copy keeps the process it drew for every round.
 *   fresh       the same rounds, every server started anew before each of its runs (what the REST
 *               and pg-read scenarios do now).
 *
 * Prints, per phase and round, each copy's CPU per read against the bare route's (bare ÷ copy: above
 * 1 is cheaper than the bare route) and copy A's against copy B's, with the medians. Identical
 * code: wherever A ÷ B stays away from 1 round after round, rounds are measuring one process's
 * draw, not the code.
 *
 *   node bench/process-draw.mjs [--rounds 8] [--seconds 2] [--warmup 2] [--connections 50]
 *
 * Needs `npm run build` and bench/node_modules (`node bench/install.mjs`). About 4 minutes with the
 * defaults. Servers on core 0, load on core 1 (taskset), loopback only; every child is killed at
 * the end.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CLK_TCK, freePort, killAll, runLoad } from './lib/proc.mjs';
import { CUSTOMERS, copyDb, generate, seedBoutique, writeBareDb } from './lib/seed.mjs';
import { median, turned } from './lib/rounds.mjs';
import { startBoutique, startPeer, stopServer, waitHttp } from './lib/servers.mjs';

const HERE = import.meta.dirname;
const opts = { rounds: 8, seconds: 2, warmup: 2, connections: 50 };
for (let i = 2; i < process.argv.length; i += 2) {
  const key = process.argv[i].replace(/^--/, '');
  if (!(key in opts)) throw new Error(`unknown argument ${process.argv[i]}; one of --rounds, --seconds, --warmup, --connections`);
  opts[key] = Number(process.argv[i + 1]);
}

const tmp = mkdtempSync(join(tmpdir(), 'boutique-process-draw-'));
const servers = {};
try {
  const data = generate();
  const files = { A: join(tmp, 'a.db'), B: join(tmp, 'b.db'), bare: join(tmp, 'bare.db') };
  const ports = { A: await freePort(), B: await freePort(), bare: await freePort() };
  const launch = {
    A: () => startBoutique(ports.A, `sqlite:${files.A}`, { name: 'A' }),
    B: () => startBoutique(ports.B, `sqlite:${files.B}`, { name: 'B' }),
    bare: () => startPeer('bare', 'fastify-sqlite.mjs', [files.bare, ports.bare, 'boutique']),
  };
  const ready = (n) => `http://127.0.0.1:${ports[n]}/${n === 'bare' ? 'customers/1' : 'healthz'}`;
  const up = async (n) => {
    if (servers[n]) await stopServer(servers[n]);
    servers[n] = launch[n]();
    await waitHttp(ready(n), servers[n]);
  };

  await up('A');
  await seedBoutique(`http://127.0.0.1:${ports.A}`, data, { customersOnly: true });
  await stopServer(servers.A);
  delete servers.A;
  await copyDb(files.A, files.B);
  writeBareDb(files.bare, data, 'boutique');

  const measure = async (n) => {
    const r = await runLoad(`load-${n}`, [join(HERE, 'load', 'http.mjs'), JSON.stringify({
      origin: `http://127.0.0.1:${ports[n]}`, scenario: 'read', ids: CUSTOMERS, seconds: opts.seconds, warmupSeconds: opts.warmup, connections: opts.connections, serverPid: servers[n].pid, clkTck: CLK_TCK,
    })], { timeoutMs: (opts.seconds + opts.warmup) * 1000 + 60_000 });
    if (r.non2xx || r.errors) throw new Error(`${n}: ${r.non2xx} non-2xx answers, ${r.errors} errors`);
    return r.cpuUsPerReq;
  };
  const fmt = (xs) => xs.map((x) => x.toFixed(2)).join(' / ');
  for (const phase of ['long-lived', 'fresh']) {
    if (phase === 'long-lived') for (const n of ['A', 'B', 'bare']) await up(n);
    const rows = { A: [], B: [], AB: [] };
    for (let round = 1; round <= opts.rounds; round++) {
      const cpu = {};
      const pids = {};
      for (const n of turned(['A', 'B', 'bare'], round)) {
        if (phase === 'fresh') await up(n);
        pids[n] = servers[n].pid;
        cpu[n] = await measure(n);
      }
      rows.A.push(cpu.bare / cpu.A);
      rows.B.push(cpu.bare / cpu.B);
      rows.AB.push(cpu.B / cpu.A);
      console.log(`${phase} round ${round}: CPU µs/read A ${cpu.A.toFixed(1)} (pid ${pids.A}), B ${cpu.B.toFixed(1)} (pid ${pids.B}), bare ${cpu.bare.toFixed(1)} (pid ${pids.bare})`);
    }
    console.log(`${phase}: bare ÷ A median ${median(rows.A).toFixed(2)} (${fmt(rows.A)})`);
    console.log(`${phase}: bare ÷ B median ${median(rows.B).toFixed(2)} (${fmt(rows.B)})`);
    console.log(`${phase}: B ÷ A (same code) median ${median(rows.AB).toFixed(2)} (${fmt(rows.AB)}); A cheaper in ${rows.AB.filter((x) => x > 1).length} of ${opts.rounds} rounds`);
  }
} finally {
  for (const child of Object.values(servers)) await stopServer(child);
  killAll();
  rmSync(tmp, { recursive: true, force: true });
}
