#!/usr/bin/env node
/** Prints the Markdown tables of a results file (default bench/results/latest.json), as pasted into docs/benchmarks.md. */
import { readFileSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { markdown } from './lib/report.mjs';

const file = process.argv[2] ?? join(dirname(fileURLToPath(import.meta.url)), 'results', 'latest.json');
const r = JSON.parse(readFileSync(file, 'utf8'));
const m = r.machine;
const load = r.loadAverage ? `; load average ${r.loadAverage.start.join(' ')} at the start, ${r.loadAverage.end?.join(' ')} at the end` : '';
console.log(`Run of ${r.date} (${r.mode}, ${r.seconds} s): ${m.cpu}, ${m.cores} cores, ${m.memoryGiB} GiB, Node ${m.node}, Linux ${m.kernel}; ${r.pinning}${load}; ${r.plan.rounds} round(s)${r.plan.restRounds ? ` (REST and pg-read ${r.plan.restRounds}, a fresh server each run; paced fan-out ${r.plan.fanoutRounds})` : ''}.\n`);
console.log(markdown(r));
