/**
 * Paced fan-out, paired: two servers measured in the same seconds rather than one after the other.
 * Each server has `clients` receivers of its own in this process and gets `rate` messages a
 * second from its first client, and the two schedules are interleaved — server A's message,
 * half a period later server B's, and so on — so each server's fan-out (~15 ms for 1,000
 * receivers) runs while the other is idle, and both see the same machine at 25 ms granularity.
 *
 * Why: on this shared machine the speed of the whole VM changes by half within a minute (the
 * last receiver of a paced message took 10 ms in one run and 15 ms in the next, same server,
 * same code). Measured one after the other, 10 s each, a round's p99 ratio mostly says which
 * server had the quieter ten seconds. Paired, the noise falls on both alike and the ratio is the
 * servers' own. Same traffic per server as bench/load/fanout.mjs: its frames
 * (bench/load/fanout-frames.mjs), its lean receivers, its warm-up. No full-speed phase here: that
 * one stays sequential (it measures CPU per message, which the pairing does not change).
 *
 * Usage: node fanout-paired.mjs '<json: {targets: [{name, kind, url, serverPid, gc}], clients, rate, warmSeconds, pacedSeconds, clkTck}>'
 * Prints one JSON line: { servers: { <name>: { clients, failed, frameBytes, paced } }, loadCpuUsPerMsg }.
 */
import { readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { connectMany } from './clients.mjs';
import { connectLean } from './lean-client.mjs';
import { gcDiff, gcProbe } from './gc-probe.mjs';
import { chatFilter, chatFrame, pacedLatencies, recordReceipt, waitFor } from './fanout-frames.mjs';

const o = JSON.parse(process.argv[2]);
const CLK_TCK = Number(o.clkTck ?? 100);
const cpuMicros = (pid) => {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return ((Number(f[11]) + Number(f[12])) * 1e6) / CLK_TCK;
};
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** One server's side of the run: its receivers, what they got, and its own paced schedule. */
function side(target) {
  const s = { ...target, sent: 0, delivered: 0, latencies: null, receipts: new Map(), clients: [], sender: null };
  const isChat = chatFilter(target.kind);
  s.onText = (_i, text) => {
    if (!isChat(text)) return;
    s.delivered++;
    if (s.latencies !== null) recordReceipt(text, s.latencies, s.receipts);
  };
  s.frame = () => chatFrame(target.kind, ++s.sent);
  s.send = () => s.sender.send(s.frame());
  s.caughtUp = () => s.delivered >= s.sent * s.clients.length;
  return s;
}

const sides = o.targets.map(side);
for (const s of sides) {
  const got = await connectMany(s.kind, s.url, o.clients, 50, s.onText, connectLean);
  if (got.clients.length === 0) throw new Error(`${s.name}: no client connected: ${got.firstError}`);
  Object.assign(s, { clients: got.clients, failed: got.failed, firstError: got.firstError, sender: got.clients[0] });
}

const allCaughtUp = () => sides.every((s) => s.caughtUp());

/** Every server at `o.rate` messages a second for `seconds`, their schedules offset by period / servers. */
async function sendPaced(seconds) {
  const step = 1000 / o.rate / sides.length;
  const start = performance.now();
  const end = start + seconds * 1000;
  let k = 0;
  for (let next = start; next < end; next += step, k++) {
    const wait = next - performance.now();
    if (wait > 0) await sleep(wait);
    sides[k % sides.length].send();
  }
}

// Warm-up, as in fanout.mjs: a few messages everyone receives (Boutique signs the sender in as a
// guest here), then the paced traffic itself until every server is in its steady state.
for (const s of sides) {
  for (let i = 0; i < 5; i++) {
    s.send();
    await sleep(20);
  }
}
await waitFor(allCaughtUp, 10_000);
await sendPaced(o.warmSeconds ?? 0);
await waitFor(allCaughtUp, 10_000);
await sleep(200);

// Paced, measured.
for (const s of sides) {
  s.frameBytes = s.frame().length;
  s.delivered = 0;
  s.sent = 0;
  s.gcSnapshot = s.gc ? gcProbe(s.gc) : null;
  s.gc0 = s.gcSnapshot ? await s.gcSnapshot() : null;
  s.latencies = [];
}
for (const s of sides) s.cpu0 = cpuMicros(s.serverPid);
const own0 = process.cpuUsage();
const t0 = performance.now();
await sendPaced(o.pacedSeconds);
await waitFor(allCaughtUp, 5000);
const elapsed = (performance.now() - t0) / 1000;
for (const s of sides) s.cpu1 = cpuMicros(s.serverPid);
const own = process.cpuUsage(own0);
const servers = {};
let deliveredAll = 0;
for (const s of sides) {
  const gc = s.gcSnapshot ? gcDiff(s.gc0, await s.gcSnapshot()) : null;
  const latencies = s.latencies;
  s.latencies = null;
  deliveredAll += s.delivered;
  servers[s.name] = {
    clients: s.clients.length,
    failed: s.failed,
    firstError: s.firstError,
    frameBytes: s.frameBytes,
    paced: {
      gc,
      sent: s.sent,
      delivered: s.delivered,
      lost: s.sent * s.clients.length - s.delivered,
      msgPerSec: s.delivered / elapsed,
      ...pacedLatencies(latencies, s.receipts),
      cpuUsPerMsg: s.delivered > 0 ? (s.cpu1 - s.cpu0) / s.delivered : null,
    },
  };
}
for (const s of sides) for (const c of s.clients) c.close();
console.log(JSON.stringify({ servers, loadCpuUsPerMsg: deliveredAll > 0 ? (own.user + own.system) / deliveredAll : null }));
process.exit(0);
