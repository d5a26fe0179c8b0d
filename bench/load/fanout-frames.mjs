/**
 * The fan-out scenario's frames and latency bookkeeping, shared by bench/load/fanout.mjs (one
 * server at a time) and bench/load/fanout-paired.mjs (two in the same seconds), so both measure
 * the same traffic the same way.
 */
import { performance } from 'node:perf_hooks';
import { percentile } from './clients.mjs';

/** Where a frame's send time starts: `"text":"t<µs since the load process began>-…"`. */
export const MARK = '"text":"t';
const PAD = 'x'.repeat(40);

/**
 * The sender's next frame for a server of `kind`, `seq` counting from 1. Boutique's chat takes
 * `{type, text, id, date}` and adds name, room and seq itself; the peers broadcast the frame as
 * sent, so theirs carries the same fields (and size) as Boutique's delivered one.
 */
export function chatFrame(kind, seq) {
  const text = `t${Math.round(performance.now() * 1000)}-${PAD}`;
  if (kind === 'boutique') return JSON.stringify({ type: 'message', text, id: 0, date: 1700000000000 });
  return JSON.stringify({ type: 'message', name: 'guest-1', text, id: 1, date: 1700000000000, room: 'lobby', seq });
}

/** Which received frames count: Boutique sends others too (id, userlist, username), only "message" frames do. */
export function chatFilter(kind) {
  return kind === 'boutique' ? (t) => t.charCodeAt(9) === 109 /* m */ && t.startsWith('{"type":"message"') : () => true;
}

/** When the frame `text` was sent, in ms on the load process's clock (undefined when it carries no mark). */
export function sentAt(text) {
  const at = text.indexOf(MARK);
  if (at === -1) return undefined;
  return Number(text.slice(at + MARK.length, text.indexOf('-', at))) / 1000;
}

/**
 * Records a received chat frame's latency while a window is measured: into `latencies`, and into
 * `receipts` (per message, by its send time) as its first and its last receiver's.
 */
export function recordReceipt(text, latencies, receipts) {
  const at = sentAt(text);
  if (at === undefined) return;
  const latency = performance.now() - at;
  latencies.push(latency);
  const m = receipts.get(at);
  if (m === undefined) receipts.set(at, { first: latency, last: latency });
  else m.last = latency;
}

/**
 * A paced window's latency figures (ms): p50 and p99 over every receipt (`latencies`, sorted here
 * in place), and per message the median time until its first and until its last receiver read it
 * — the server's path from arrival to its first write, and that plus the whole fan-out.
 */
export function pacedLatencies(latencies, receipts) {
  latencies.sort((a, b) => a - b);
  const perMessage = (key) => percentile([...receipts.values()].map((m) => m[key]).sort((a, b) => a - b), 50);
  return { p50: percentile(latencies, 50), p99: percentile(latencies, 99), firstP50: perMessage('first'), lastP50: perMessage('last') };
}

/** Polls `predicate` every 5 ms until it holds or `timeoutMs` passed; its last answer. */
export async function waitFor(predicate, timeoutMs) {
  const deadline = performance.now() + timeoutMs;
  while (!predicate() && performance.now() < deadline) await new Promise((r) => setTimeout(r, 5));
  return predicate();
}
