#!/usr/bin/env node
/**
 * Sums self time by function (and by package) in a .cpuprofile from `node --cpu-prof`.
 * Usage: node bench/profile-summary.mjs <file.cpuprofile> [top=30]
 */
import { readFileSync } from 'node:fs';

const [file, topArg = '30'] = process.argv.slice(2);
if (!file) {
  console.error('usage: node bench/profile-summary.mjs <file.cpuprofile> [top]');
  process.exit(2);
}
const profile = JSON.parse(readFileSync(file, 'utf8'));
const nodes = new Map(profile.nodes.map((n) => [n.id, n]));
const self = new Map();
const dt = profile.timeDeltas;
for (let i = 0; i < profile.samples.length; i++) self.set(profile.samples[i], (self.get(profile.samples[i]) ?? 0) + (dt[i] ?? 0));

const where = (cf) => {
  const url = cf.url.replace(/^file:\/\//, '');
  const m = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (m) return m[1];
  if (url.includes('/dist/')) return 'boutique:' + url.slice(url.indexOf('/dist/') + 6);
  if (url.startsWith('node:')) return url;
  return url || '(native)';
};
const byFn = new Map();
const byPkg = new Map();
let total = 0;
for (const [id, us] of self) {
  const cf = nodes.get(id).callFrame;
  const key = `${cf.functionName || '(anonymous)'}  ${where(cf)}:${cf.lineNumber + 1}`;
  byFn.set(key, (byFn.get(key) ?? 0) + us);
  const pkg = cf.url ? where(cf).split(':')[0] : cf.functionName;
  byPkg.set(pkg, (byPkg.get(pkg) ?? 0) + us);
  total += us;
}
const show = (title, map, n) => {
  console.log(`\n${title} (total ${(total / 1000).toFixed(0)} ms sampled)`);
  for (const [k, us] of [...map].sort((a, b) => b[1] - a[1]).slice(0, n)) console.log(`${((us / total) * 100).toFixed(1).padStart(5)}%  ${(us / 1000).toFixed(1).padStart(8)} ms  ${k}`);
};
show('Self time by package', byPkg, 20);
show('Self time by function', byFn, Number(topArg));
