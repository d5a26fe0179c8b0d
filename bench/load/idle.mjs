/**
 * Idle connections: measures the server's RSS, opens `count` connections, waits for the
 * server to settle, measures again. Prints one JSON line; the connections close when it exits.
 * Usage: node idle.mjs '<json: {kind, url, count, serverPid, settleMs}>'
 */
import { readFileSync } from 'node:fs';
import { connectMany } from './clients.mjs';

const o = JSON.parse(process.argv[2]);
const rss = () => Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${o.serverPid}/status`, 'utf8'))[1]) * 1024;
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

const before = rss();
const t0 = Date.now();
const { clients, failed, firstError } = await connectMany(o.kind, o.url, o.count, 100);
const connectSeconds = (Date.now() - t0) / 1000;
await sleep(o.settleMs);
const after = rss();
console.log(JSON.stringify({ opened: clients.length, failed, firstError, connectSeconds, rssBefore: before, rssAfter: after, bytesPerConnection: clients.length ? (after - before) / clients.length : null }));
process.exit(0);
