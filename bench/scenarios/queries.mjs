/**
 * queries: what live queries cost as their number grows. The same write load (customers renamed
 * through the REST API at full speed) against Boutique with 0, 1, 100 and 1,000 distinct live
 * queries subscribed, in interleaved rounds on fresh servers: changes/s, events delivered/s and
 * server CPU per change; the ratios are each count's CPU per change over the one without queries.
 * A change is matched against every distinct search of its resource (before and after), so that
 * cost grows with the number of distinct searches — this measures by how much; queries with an
 * exact filter (n1000: 1,000 distinct `?name=`) are found through an index and should not.
 */
import { join } from 'node:path';
import { CLK_TCK, freePort, runLoad, sleep } from '../lib/proc.mjs';
import { interleave, perRound, summarize } from '../lib/rounds.mjs';
import { startBoutique, stopServer, waitHttp } from '../lib/servers.mjs';
import { fmtRatios } from './rest.mjs';

const HERE = join(import.meta.dirname, '..');
/** q<n>: n distinct searches (`?q=`), each matched against every change; n<n>: n distinct exact names (`?name=`), found through the index. */
export const VARIANTS = ['q0', 'q1', 'q100', 'q1000', 'n1000'];

export async function queriesScenario({ plan, tmp, log, results }) {
  const names = VARIANTS;
  const { order, runs } = await interleave(names, plan.rounds, async (name, round) => {
    const queries = Number(name.slice(1));
    const kind = name.startsWith('n') ? 'exact' : 'search';
    const port = await freePort();
    const child = startBoutique(port, `sqlite:${join(tmp, `queries-${name}-${round}.db`)}`, { env: { SQLITE_SYNCHRONOUS: 'normal' } });
    try {
      await waitHttp(`http://127.0.0.1:${port}/healthz`, child);
      await sleep(200);
      const r = await runLoad(`load-queries-${name}`, [join(HERE, 'load', 'queries.mjs'), JSON.stringify({
        port, serverPid: child.pid, clkTck: CLK_TCK, queries, kind, customers: 200, connections: 16, warmSeconds: plan.warmup, seconds: plan.seconds,
      })], { timeoutMs: 120_000 });
      log(`queries round ${round} ${name}: ${Math.round(r.changesPerSec)} changes/s, ${Math.round(r.eventsPerSec)} events/s (${r.eventsPerChange.toFixed(2)} per change), ${r.cpuUsPerChange.toFixed(1)} µs server CPU per change`);
      return r;
    } finally {
      await stopServer(child);
    }
  });
  const servers = summarize(runs, {
    changesPerSec: (r) => r.changesPerSec,
    eventsPerSec: (r) => r.eventsPerSec,
    eventsPerChange: (r) => r.eventsPerChange,
    cpuUsPerChange: (r) => r.cpuUsPerChange,
  });
  const ratios = names.slice(1).map((name) => perRound(runs, name, 'q0', 'cpuUsPerChange', (r) => r.cpuUsPerChange));
  for (const r of ratios) log(`queries: ${r.a} ÷ ${r.b} cpuUsPerChange ${fmtRatios(r)}`);
  results.queries = { variants: VARIANTS, order, servers, ratios };
}
