/**
 * WebSocket fan-out: `clients` connections, one of them sends ~100-byte JSON messages, everyone
 * (the sender too) receives each. Two phases: paced (`rate` messages/s: latency) and full speed
 * (a window of messages in flight, counted over all receivers: throughput). The server's CPU
 * time is read from /proc around each phase. Prints one JSON line.
 *
 * The receivers are lean-client.mjs's: the load process must read faster than the server writes,
 * or the latencies measure the reader (docs/benchmarks.md). The paced phase is measured after
 * `warmSeconds` of the same traffic, so that every server is in its steady state — not still
 * collecting what 1,000 handshakes left behind — and the load process's own CPU per delivered
 * message is reported beside the server's, so a run whose reader was the bottleneck shows it.
 *
 * GC: the server's pauses by kind over the paced window (`gc`: `{ metricsUrl }` for Boutique's
 * /metrics, `{ file, pid }` for a peer with bench/peers/gc-stats.mjs preloaded), read just outside
 * the window so the probe itself is not timed.
 * Usage: node fanout.mjs '<json: {kind, url, clients, rate, warmSeconds, pacedSeconds, fullSeconds, window, serverPid, clkTck, gc}>'
 */
import { readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { connectMany } from './clients.mjs';
import { connectLean } from './lean-client.mjs';
import { gcDiff, gcProbe } from './gc-probe.mjs';
import { chatFilter, chatFrame, pacedLatencies, recordReceipt, waitFor } from './fanout-frames.mjs';

const o = JSON.parse(process.argv[2]);
const CLK_TCK = Number(o.clkTck ?? 100);
const cpuMicros = () => {
  const stat = readFileSync(`/proc/${o.serverPid}/stat`, 'utf8');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return ((Number(f[11]) + Number(f[12])) * 1e6) / CLK_TCK;
};
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

let delivered = 0;
let sent = 0;
let latencies = null;
/** Per paced message (by its send time): when its first and its last receiver read it, ms after sending. */
const receipts = new Map();
let onDelivered = null;
const isChat = chatFilter(o.kind);

function onText(_i, text) {
  if (!isChat(text)) return;
  delivered++;
  if (latencies) recordReceipt(text, latencies, receipts);
  onDelivered?.();
}

function frame() {
  sent++;
  return chatFrame(o.kind, sent);
}

/** `o.rate` messages a second from the sender for `seconds`, on a schedule that does not drift. */
async function sendPaced(seconds) {
  const start = performance.now();
  const end = start + seconds * 1000;
  for (let next = start; next < end; next += 1000 / o.rate) {
    const wait = next - performance.now();
    if (wait > 0) await sleep(wait);
    sender.send(frame());
  }
}

const { clients, failed, firstError } = await connectMany(o.kind, o.url, o.clients, 50, onText, connectLean);
if (clients.length === 0) throw new Error(`no client connected: ${firstError}`);
const n = clients.length;
const sender = clients[0];

// Warm-up: a few messages everyone receives (Boutique signs the sender in as a guest here).
for (let i = 0; i < 5; i++) {
  sender.send(frame());
  await sleep(20);
}
await waitFor(() => delivered >= sent * n, 10_000);
await sendPaced(o.warmSeconds ?? 0);
await waitFor(() => delivered >= sent * n, 10_000);
await sleep(200);

// Paced.
delivered = 0;
sent = 0;
const gcSnapshot = o.gc ? gcProbe(o.gc) : null;
const gc0 = gcSnapshot ? await gcSnapshot() : null;
latencies = [];
let cpu0 = cpuMicros();
let own0 = process.cpuUsage();
let t0 = performance.now();
await sendPaced(o.pacedSeconds);
await waitFor(() => delivered >= sent * n, 5000);
let cpu1 = cpuMicros();
const own = process.cpuUsage(own0);
const gc = gcSnapshot ? gcDiff(gc0, await gcSnapshot()) : null;
const paced = {
  gc,
  sent,
  delivered,
  lost: sent * n - delivered,
  msgPerSec: delivered / ((performance.now() - t0) / 1000),
  // p50, p99; per message until the first receiver read it and until the last did (sorts `latencies`).
  ...pacedLatencies(latencies, receipts),
  // Every latency at 10 µs resolution ([bucket, count], bucket = ms × 100): the harness pools
  // the rounds' samples into one distribution.
  histogram: histogram(latencies),
  cpuUsPerMsg: delivered > 0 ? (cpu1 - cpu0) / delivered : null,
  loadCpuUsPerMsg: delivered > 0 ? (own.user + own.system) / delivered : null,
};
latencies = null;

// Full speed: keep `window` messages in flight across all receivers (skipped with fullSeconds 0).
const full = o.fullSeconds > 0 ? await fullSpeed() : null;
for (const c of clients) c.close();
console.log(JSON.stringify({ clients: n, failed, firstError, frameBytes: frame().length, paced, full }));
process.exit(0);

function histogram(sorted) {
  const out = [];
  for (const l of sorted) {
    const b = Math.round(l * 100);
    if (out.length > 0 && out[out.length - 1][0] === b) out[out.length - 1][1]++;
    else out.push([b, 1]);
  }
  return out;
}

async function fullSpeed() {
  delivered = 0;
  sent = 0;
  const limit = o.window * n;
  let running = true;
  const pump = () => {
    while (running && sent * n - delivered < limit) sender.send(frame());
  };
  onDelivered = () => {
    if (running && sent * n - delivered < limit - n) pump();
  };
  cpu0 = cpuMicros();
  t0 = performance.now();
  pump();
  await sleep(o.fullSeconds * 1000);
  running = false;
  await waitFor(() => delivered >= sent * n, 5000);
  cpu1 = cpuMicros();
  const elapsed = (performance.now() - t0) / 1000;
  return {
    sent,
    delivered,
    lost: sent * n - delivered,
    msgPerSec: delivered / elapsed,
    cpuUsPerMsg: delivered > 0 ? (cpu1 - cpu0) / delivered : null,
    serverCpuShare: (cpu1 - cpu0) / (elapsed * 1e6),
  };
}
