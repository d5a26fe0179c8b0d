/**
 * Preloaded into the peers (`node --import ./gc-stats.mjs peer.mjs`): counts GC pauses by kind with
 * a PerformanceObserver — what prom-client's nodejs_gc_duration_seconds does inside Boutique — and
 * on SIGUSR2 writes the totals to $BENCH_GC_FILE, so the load process can diff them around its
 * measured window as it diffs Boutique's /metrics.
 */
import { PerformanceObserver, constants } from 'node:perf_hooks';
import { writeFileSync, renameSync } from 'node:fs';

const KINDS = {
  [constants.NODE_PERFORMANCE_GC_MINOR]: 'minor',
  [constants.NODE_PERFORMANCE_GC_MAJOR]: 'major',
  [constants.NODE_PERFORMANCE_GC_INCREMENTAL]: 'incremental',
  [constants.NODE_PERFORMANCE_GC_WEAKCB]: 'weakcb',
};
const totals = {};
new PerformanceObserver((list) => {
  for (const e of list.getEntries()) {
    const kind = KINDS[e.detail?.kind ?? e.kind] ?? 'other';
    const t = (totals[kind] ??= { count: 0, seconds: 0 });
    t.count++;
    t.seconds += e.duration / 1000;
  }
}).observe({ entryTypes: ['gc'] });

let written = 0;
const file = process.env.BENCH_GC_FILE;
if (file) {
  process.on('SIGUSR2', () => {
    // Observer entries are delivered asynchronously: let the pending ones arrive first.
    setTimeout(() => {
      writeFileSync(`${file}.tmp`, JSON.stringify({ written: ++written, totals }));
      renameSync(`${file}.tmp`, file);
    }, 20);
  });
}
