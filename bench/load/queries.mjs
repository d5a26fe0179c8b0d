/**
 * Load for the live-query scenario: `queries` distinct live queries (`/customers?q=t<k>x`, a
 * search every change is matched against; or, with kind "exact", `/customers?name=Bench t<k>x`,
 * found through the index of exact values), one subscriber each, spread over up to 20 WebSockets, then `connections` loops renaming customers
 * to `Bench t<r>x` with r at random below `queries` for `seconds` — each rename makes a customer
 * leave one query and enter another. Server CPU time is read from /proc around the measured
 * window. Prints one JSON line: changes/s, events delivered/s, server CPU per change.
 */
import { readFileSync } from 'node:fs';
import WebSocket from 'ws';

const o = JSON.parse(process.argv[2]);
const base = `http://127.0.0.1:${o.port}`;

const cpu = () => {
  const stat = readFileSync(`/proc/${o.serverPid}/stat`, 'utf8');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return ((Number(f[11]) + Number(f[12])) * 1e6) / o.clkTck;
};

async function json(method, path, body) {
  const res = await fetch(base + path, { method, headers: { 'content-type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body) });
  const text = await res.text();
  if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${text}`);
  return text ? JSON.parse(text) : undefined;
}

// The customers the writes rename.
const ids = [];
for (let i = 0; i < o.customers; i++) ids.push((await json('POST', '/customers', { name: `Bench t${i % o.queries}x`, email: `bench.${i}@example.org` })).id);

// The live queries, one subscriber each.
let events = 0;
const sockets = [];
const perSocket = Math.ceil(o.queries / Math.min(20, o.queries));
for (let k = 0; k < o.queries; k += perSocket) {
  const ws = new WebSocket(`ws://127.0.0.1:${o.port}/socketserver`);
  await new Promise((resolve, reject) => { ws.once('open', resolve); ws.once('error', reject); });
  let acknowledged = 0;
  const want = Math.min(perSocket, o.queries - k);
  const ready = new Promise((resolve) => {
    ws.on('message', (data) => {
      const text = data.toString();
      if (text.startsWith('{"type":"event"')) events++;
      else if (text.startsWith('{"type":"subscribed"') && ++acknowledged === want) resolve();
      else if (text.startsWith('{"type":"error"')) throw new Error(text);
    });
  });
  for (let j = k; j < k + want; j++) {
    const query = o.kind === 'exact' ? `/customers?${new URLSearchParams({ name: `Bench t${j}x` })}` : `/customers?q=t${j}x`;
    ws.send(JSON.stringify({ type: 'subscribe', query }));
  }
  await ready;
  sockets.push(ws);
}

let changes = 0;
async function writeFor(ms) {
  const end = Date.now() + ms;
  await Promise.all(Array.from({ length: o.connections }, async () => {
    while (Date.now() < end) {
      const id = ids[Math.floor(Math.random() * ids.length)];
      await json('PATCH', `/customers/${id}`, { name: `Bench t${Math.floor(Math.random() * o.queries)}x` });
      changes++;
    }
  }));
}

await writeFor(o.warmSeconds * 1000);
await new Promise((r) => setTimeout(r, 200));
const c0 = changes;
const e0 = events;
const cpu0 = cpu();
const t0 = performance.now();
await writeFor(o.seconds * 1000);
const elapsed = (performance.now() - t0) / 1000;
const cpu1 = cpu();
await new Promise((r) => setTimeout(r, 300));
const measured = changes - c0;
for (const ws of sockets) ws.terminate();
console.log(JSON.stringify({
  queries: o.queries,
  kind: o.kind,
  changes: measured,
  changesPerSec: measured / elapsed,
  eventsPerSec: (events - e0) / elapsed,
  eventsPerChange: (events - e0) / measured,
  cpuUsPerChange: (cpu1 - cpu0) / measured,
}));
process.exit(0);
