/**
 * Sign-in storm: `clients` WebSockets connect (subprotocol `json`, as MDN's chat client), each
 * waits for its `{"type":"id"}`, then all of them send MDN's sign-in
 * `{"type":"username","name","id","date"}` at once. Measured from the first sign-in sent until
 * every client has received a `userlist` that holds all `clients` names (a correct user list),
 * with the server's CPU time (/proc/<pid>/stat) over the same span. Gives up after `timeoutMs`,
 * or when the server's RSS passes `rssLimitBytes` (the reference server queues every list for every
 * socket: at 10,000 clients that is terabytes), and says which. Prints one JSON line.
 *
 * The reader must stay cheaper than the server: frames are looked at as bytes (lean-client.mjs's
 * `onTextBytes`), a `userlist` is decoded only when it is long enough to hold every name, and a
 * list equal to one already checked is accepted by comparing bytes.
 * Usage: node signin.mjs '<json: {url, clients, timeoutMs, rssLimitBytes, serverPid, clkTck}>'
 */
import { readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { openWebSocket } from './lean-client.mjs';

const o = JSON.parse(process.argv[2]);
const N = o.clients;
const CLK_TCK = Number(o.clkTck ?? 100);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const serverCpu = () => {
  const stat = readFileSync(`/proc/${o.serverPid}/stat`, 'utf8');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return ((Number(f[11]) + Number(f[12])) * 1e6) / CLK_TCK;
};
const serverRss = () => Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${o.serverPid}/status`, 'utf8'))[1]) * 1024;

// Fixed-width names: a list holding all N of them is at least FULL bytes long, so shorter lists
// are rejected by their length alone.
const nameOf = (i) => `storm${String(i).padStart(6, '0')}`;
const EXPECTED = new Set(Array.from({ length: N }, (_, i) => nameOf(i)));
const FULL = '{"type":"userlist","users":[]}'.length + N * (nameOf(0).length + 2) + (N - 1);

const C_I = 0x69; // {"type":"i…  id
const C_U = 0x75; // {"type":"u…  userlist / username
const C_L = 0x6c; // {"type":"userl…
const C_R = 0x72; // {"type":"r…  rejectusername

const clients = [];
let ids = 0;
let done = 0;
let closed = 0;
let renamed = 0;
let listsSeen = 0;
let listsDecoded = 0;
let bytesIn = 0;
let storm = false;
let t0 = 0;
let lastDoneAt = 0;
/** The bytes of a list already found complete: the same list sent to everyone is checked once. */
let verified = null;

function complete(text) {
  const users = JSON.parse(text).users;
  if (!Array.isArray(users) || users.length < N) return false;
  let found = 0;
  const seen = new Set();
  for (const u of users) if (EXPECTED.has(u) && !seen.has(u)) (seen.add(u), found++);
  return found === N;
}

function onFrame(c, buf, start, end) {
  bytesIn += end - start;
  const t = buf[start + 9];
  if (t === C_I && c.id === null) {
    c.id = JSON.parse(buf.toString('utf8', start, end)).id;
    ids++;
    return;
  }
  if (t === C_R) renamed++;
  if (t !== C_U || buf[start + 13] !== C_L || !storm) return;
  listsSeen++;
  if (c.done || end - start < FULL) return;
  let ok = verified !== null && verified.length === end - start && verified.equals(buf.subarray(start, end));
  if (!ok) {
    listsDecoded++;
    ok = complete(buf.toString('utf8', start, end));
    if (ok) verified = Buffer.from(buf.subarray(start, end));
  }
  if (ok) {
    c.done = true;
    done++;
    lastDoneAt = performance.now();
  }
}

// Connect, 100 handshakes at a time.
const connectStart = performance.now();
let next = 0;
let failed = 0;
let firstError;
await Promise.all(Array.from({ length: 100 }, async () => {
  while (next < N) {
    const c = { i: next++, id: null, done: false, api: null };
    try {
      c.api = await openWebSocket(o.url, { protocol: 'json', onTextBytes: (buf, s, e) => onFrame(c, buf, s, e), onClose: () => closed++ });
      clients.push(c);
    } catch (err) {
      failed++;
      firstError ??= String(err?.message ?? err);
    }
  }
}));
const connectSeconds = (performance.now() - connectStart) / 1000;
if (failed > 0) {
  console.log(JSON.stringify({ clients: N, connected: clients.length, failed, firstError, connectSeconds, outcome: 'connect-failed' }));
  process.exit(0);
}
const idDeadline = performance.now() + 30_000;
while (ids < clients.length && performance.now() < idDeadline) await sleep(10);
// Let the server finish what the handshakes left (Boutique greets each client with a user list).
await sleep(1000);

const rss0 = serverRss();
let rssPeak = rss0;
const cpu0 = serverCpu();
const own0 = process.cpuUsage();
storm = true;
t0 = performance.now();
const date = Date.now();
for (const c of clients) c.api.sendText(JSON.stringify({ type: 'username', name: nameOf(c.i), id: c.id, date }));
const sentSeconds = (performance.now() - t0) / 1000;

let outcome = 'complete';
const deadline = t0 + o.timeoutMs;
let lastRssCheck = 0;
// Once the server has closed a client the storm cannot complete: wait while the others still
// make progress (to count them), not for the whole bound.
let progress = -1;
let lastProgressAt = t0;
while (done < clients.length) {
  await sleep(10);
  const now = performance.now();
  if (done >= clients.length) break;
  if (done + closed + bytesIn !== progress) {
    progress = done + closed + bytesIn;
    lastProgressAt = now;
  }
  if (closed > 0 && (done + closed >= clients.length || now - lastProgressAt > 3000)) {
    outcome = 'clients-closed';
    break;
  }
  if (now > deadline) {
    outcome = 'timeout';
    break;
  }
  if (now - lastRssCheck > 250) {
    lastRssCheck = now;
    rssPeak = Math.max(rssPeak, serverRss());
    if (rssPeak > o.rssLimitBytes) {
      outcome = 'rss-limit';
      break;
    }
  }
}
const end = performance.now();
const cpu1 = serverCpu();
const own = process.cpuUsage(own0);
rssPeak = Math.max(rssPeak, serverRss());
for (const c of clients) c.api.close();
console.log(JSON.stringify({
  clients: N,
  connected: clients.length,
  failed,
  connectSeconds,
  outcome,
  // Until every client had a correct list; when the storm did not complete, until it was given up.
  seconds: outcome === 'complete' ? (lastDoneAt - t0) / 1000 : null,
  gaveUpAfterSeconds: outcome === 'complete' ? null : (end - t0) / 1000,
  sentSeconds,
  done,
  closedByServer: closed,
  renamed,
  listsSeen,
  listsDecoded,
  mbIn: bytesIn / 1e6,
  serverCpuSeconds: (cpu1 - cpu0) / 1e6,
  loadCpuSeconds: (own.user + own.system) / 1e6,
  serverRssBefore: rss0,
  serverRssPeak: rssPeak,
}));
process.exit(0);
