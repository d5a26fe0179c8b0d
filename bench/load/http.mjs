/**
 * One REST scenario with autocannon, in its own process (pinned to the load core by run.mjs).
 * Reads the server's CPU time from /proc just around the measured run, so the warm-up is not
 * counted. Prints one JSON line.
 * Usage: node http.mjs '<json: {origin, scenario, listPath, ids, seconds, warmupSeconds, connections, serverPid, emailPrefix}>'
 */
import autocannon from 'autocannon';
import { readFileSync } from 'node:fs';

const o = JSON.parse(process.argv[2]);
const CLK_TCK = Number(o.clkTck ?? 100);

function cpuMicros(pid) {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return ((Number(f[11]) + Number(f[12])) * 1e6) / CLK_TCK;
}

let created = 0;
function requests(phase) {
  switch (o.scenario) {
    case 'read':
      return [{ method: 'GET', setupRequest: (req) => ({ ...req, path: `/customers/${1 + Math.floor(Math.random() * o.ids)}` }) }];
    case 'list':
      return [{ method: 'GET', path: o.listPath }];
    case 'create':
      return [{
        method: 'POST',
        path: '/customers',
        headers: { 'content-type': 'application/json' },
        setupRequest: (req) => {
          const n = created++;
          return { ...req, body: JSON.stringify({ name: `Bench Customer ${n}`, email: `${o.emailPrefix}-${phase}-${n}@bench.example` }) };
        },
      }];
    default:
      throw new Error(`unknown scenario ${o.scenario}`);
  }
}

const run = (seconds, phase) =>
  autocannon({ url: o.origin, connections: o.connections, pipelining: 1, duration: seconds, requests: requests(phase), headers: { accept: 'application/json' } });

const warm = o.warmupSeconds > 0 ? await run(o.warmupSeconds, 'w') : { '2xx': 0 };
const cpu0 = cpuMicros(o.serverPid);
const result = await run(o.seconds, 'm');
const cpu1 = cpuMicros(o.serverPid);
const total = result.requests.total;
console.log(JSON.stringify({
  requests: total,
  ok: result['2xx'],
  okIncludingWarmup: result['2xx'] + warm['2xx'],
  non2xx: result.non2xx,
  errors: result.errors + result.timeouts,
  rps: total / o.seconds,
  p50: result.latency.p50,
  p99: result.latency.p99,
  cpuUsPerReq: total > 0 ? (cpu1 - cpu0) / total : null,
  cpuShare: (cpu1 - cpu0) / (o.seconds * 1e6),
}));
