/**
 * GC pauses of a server over a measured window, by kind (minor = scavenge, major = mark-compact,
 * incremental marking, weak callbacks). Boutique: its own /metrics, prom-client's default
 * `nodejs_gc_duration_seconds` sum and count per kind. Peers: bench/peers/gc-stats.mjs preloaded,
 * which writes the same totals to a file on SIGUSR2. Both come from V8's `gc` performance entries.
 */
import { readFileSync } from 'node:fs';

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function fromMetrics(url) {
  const text = await (await fetch(url)).text();
  const totals = {};
  for (const m of text.matchAll(/^nodejs_gc_duration_seconds_(sum|count)\{kind="(\w+)"\} ([\d.eE+-]+)$/gm)) {
    const t = (totals[m[2]] ??= { count: 0, seconds: 0 });
    if (m[1] === 'sum') t.seconds = Number(m[3]);
    else t.count = Number(m[3]);
  }
  return totals;
}

function readStats(file) {
  try {
    return JSON.parse(readFileSync(file, 'utf8'));
  } catch {
    return { written: 0, totals: {} };
  }
}

async function fromFile(file, pid) {
  const before = readStats(file).written;
  process.kill(pid, 'SIGUSR2');
  for (let i = 0; i < 200; i++) {
    await sleep(10);
    const s = readStats(file);
    if (s.written > before) return s.totals;
  }
  throw new Error(`no GC totals from pid ${pid} in ${file}`);
}

/** `spec`: `{ metricsUrl }` or `{ file, pid }`. Returns a function that takes a snapshot. */
export function gcProbe(spec) {
  return spec.metricsUrl ? () => fromMetrics(spec.metricsUrl) : () => fromFile(spec.file, spec.pid);
}

/** after − before per kind, in pauses and milliseconds, with the total. */
export function gcDiff(before, after) {
  const out = {};
  let count = 0;
  let ms = 0;
  for (const kind of Object.keys(after)) {
    const c = after[kind].count - (before[kind]?.count ?? 0);
    const t = (after[kind].seconds - (before[kind]?.seconds ?? 0)) * 1000;
    if (c === 0) continue;
    out[kind] = { count: c, ms: t };
    count += c;
    ms += t;
  }
  return { ...out, total: { count, ms } };
}
