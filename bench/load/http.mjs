/**
 * One REST scenario, in its own process (pinned to the load core by run.mjs). The load comes from
 * wrk when the machine has it (Debian's package; apt-get install wrk), autocannon otherwise:
 * wrk, in C, spends a few µs per request, so the server, not the load generator, is what limits
 * the requests per second — with autocannon (JavaScript) parsing each response costs about as much
 * as serving it, and a server's longer headers show up as a slower server. Reads the server's CPU
 * time from /proc just around the measured run, so the warm-up is not counted. Prints one JSON line.
 * Usage: node http.mjs '<json: {origin, scenario, listPath, ids, seconds, warmupSeconds, connections, serverPid, emailPrefix}>'
 * BENCH_LOAD=autocannon forces autocannon.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const o = JSON.parse(process.argv[2]);
const CLK_TCK = Number(o.clkTck ?? 100);

function cpuMicros(pid) {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return ((Number(f[11]) + Number(f[12])) * 1e6) / CLK_TCK;
}

function hasWrk() {
  if (process.env.BENCH_LOAD === 'autocannon') return false;
  try {
    execFileSync('wrk', ['--version'], { stdio: 'ignore' });
    return true;
  } catch (err) {
    // wrk --version exits 1 after printing its version: present.
    return err.status === 1;
  }
}

// --- wrk ----------------------------------------------------------------------------------

/** The Lua script of a scenario: how each request is made, and one JSON line at the end. */
function wrkScript(phase) {
  const common = `
wrk.headers["accept"] = "application/json"
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format('{"requests":%d,"non2xx":%d,"errors":%d,"p50":%.3f,"p99":%.3f,"micros":%d}\\n',
    summary.requests, e.status, e.connect + e.read + e.write + e.timeout,
    latency:percentile(50) / 1000, latency:percentile(99) / 1000, summary.duration))
end
`;
  switch (o.scenario) {
    case 'read':
      return `${common}
math.randomseed(${Date.now() % 1000000})
request = function() return wrk.format("GET", "/customers/" .. math.random(1, ${o.ids})) end
`;
    case 'list':
      return `${common}
wrk.method = "GET"
wrk.path = ${JSON.stringify(o.listPath)}
`;
    case 'create':
      return `${common}
wrk.method = "POST"
wrk.headers["content-type"] = "application/json"
local n = 0
request = function()
  n = n + 1
  return wrk.format("POST", "/customers", nil, '{"name":"Bench Customer ' .. n .. '","email":"${o.emailPrefix}-${phase}-' .. n .. '@bench.example"}')
end
`;
    default:
      throw new Error(`unknown scenario ${o.scenario}`);
  }
}

function runWrk(seconds, phase) {
  const dir = mkdtempSync(join(tmpdir(), 'bench-wrk-'));
  try {
    const script = join(dir, 'load.lua');
    writeFileSync(script, wrkScript(phase));
    // wrk takes whole seconds only.
    const out = spawnSync('wrk', ['-t1', `-c${o.connections}`, `-d${Math.max(1, Math.round(seconds))}s`, '--timeout', '10s', '-s', script, o.origin], { encoding: 'utf8' });
    if (out.status !== 0) throw new Error(`wrk failed (${out.status}): ${out.stderr}${out.stdout}`);
    const line = out.stdout.trim().split('\n').find((l) => l.startsWith('{'));
    const r = JSON.parse(line);
    return { total: r.requests, ok: r.requests - r.non2xx - r.errors, non2xx: r.non2xx, errors: r.errors, p50: r.p50, p99: r.p99, elapsed: r.micros / 1e6 };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

// --- autocannon ---------------------------------------------------------------------------

let created = 0;
function autocannonRequests(phase) {
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

async function runAutocannon(seconds, phase) {
  const { default: autocannon } = await import('autocannon');
  const r = await autocannon({ url: o.origin, connections: o.connections, pipelining: 1, duration: seconds, requests: autocannonRequests(phase), headers: { accept: 'application/json' } });
  return { total: r.requests.total, ok: r['2xx'], non2xx: r.non2xx, errors: r.errors + r.timeouts, p50: r.latency.p50, p99: r.latency.p99, elapsed: seconds };
}

const useWrk = hasWrk();
const run = (seconds, phase) => (useWrk ? runWrk(seconds, phase) : runAutocannon(seconds, phase));

const warm = o.warmupSeconds > 0 ? await run(o.warmupSeconds, 'w') : { ok: 0 };
const cpu0 = cpuMicros(o.serverPid);
const result = await run(o.seconds, 'm');
const cpu1 = cpuMicros(o.serverPid);
console.log(JSON.stringify({
  load: useWrk ? 'wrk' : 'autocannon',
  requests: result.total,
  ok: result.ok,
  okIncludingWarmup: result.ok + warm.ok,
  non2xx: result.non2xx,
  errors: result.errors,
  rps: result.total / result.elapsed,
  p50: result.p50,
  p99: result.p99,
  cpuUsPerReq: result.total > 0 ? (cpu1 - cpu0) / result.total : null,
  cpuShare: (cpu1 - cpu0) / (result.elapsed * 1e6),
}));
