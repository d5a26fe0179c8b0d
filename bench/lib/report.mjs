/**
 * The report of a run: the targets (issues 6 and 16), Markdown tables (stdout, and what
 * docs/benchmarks.md shows) and the chart (a hand-written SVG: no chart dependency). Every figure
 * is a median of rounds with each round's value beside it; every ratio is the median of per-round
 * ratios (bench/lib/rounds.mjs).
 */
import { cpus, totalmem, release } from 'node:os';

export function machine() {
  const list = cpus();
  return { cpu: list[0]?.model ?? 'unknown', cores: list.length, memoryGiB: Math.round(totalmem() / 2 ** 30), node: process.version, kernel: release() };
}

const LABELS = {
  boutique: 'Boutique',
  'boutique-normal': 'Boutique, SQLITE_SYNCHRONOUS=normal',
  'bare-layout': "bare Fastify + better-sqlite3, Boutique's tables",
  'bare-minimal': 'bare Fastify + better-sqlite3, minimal table',
  'json-server': 'json-server 0.17.4',
  'bare-pg': 'bare Fastify + pg, same tables',
  ws: 'bare ws loop',
  socketio: 'Socket.IO 4 io.emit',
  mdn: "MDN chat sample server (on ws)",
};
const label = (n) => LABELS[n] ?? n;
const METRICS = {
  rps: 'req/s',
  cpuUsPerReq: 'server CPU per request',
  fullCpuUsPerMsg: 'full-speed server CPU per delivered msg',
  pacedP99: 'paced p99 latency',
  pacedFirstP50: 'paced: until the first receiver has a message (median over messages)',
  pacedLastP50: 'paced: until the last receiver has a message (median over messages)',
  pacedCpuUsPerMsg: 'paced server CPU per delivered msg',
  bytesPerConnection: 'RSS per idle connection',
  seconds: 'time until every client has a correct user list',
  serverCpuSeconds: 'server CPU for the storm',
};

const ratioOf = (ratios, a, b, metric) => ratios?.find((r) => r.a === a && r.b === b && r.metric === metric) ?? null;
/** The block of the highest connection count measured (the issue's independent run used 50). */
const widest = (byConn) => (byConn ? Object.values(byConn).filter((v) => v && typeof v === 'object' && 'connections' in v).sort((x, y) => y.connections - x.connections)[0] : undefined);
const blocks = (byConn) => (byConn ? Object.values(byConn).filter((v) => v && typeof v === 'object' && 'connections' in v) : []);

/** Each target: the median of per-round ratios, every round's ratio, the goal and whether the median meets it. */
export function evaluate(r) {
  const t = [];
  const add = (name, ratio, op, goal) => {
    if (!ratio) return;
    const value = ratio.median;
    t.push({ name, value, rounds: ratio.rounds, goal: op ? `${op} ${goal}` : 'stated', met: value == null || !op ? null : op === '≥' ? value >= goal : value <= goal });
  };
  for (const b of blocks(r.rest.read)) {
    add(`reads vs bare route, Boutique's tables (req/s, ${b.connections} conn.)`, ratioOf(b.ratios, 'boutique', 'bare-layout', 'rps'), '≥', 1);
    add(`reads vs bare route, minimal table (req/s, ${b.connections} conn.)`, ratioOf(b.ratios, 'boutique', 'bare-minimal', 'rps'));
  }
  for (const b of blocks(r['pg-read'])) add(`PostgreSQL reads vs bare Fastify + pg (req/s, ${b.connections} conn.)`, ratioOf(b.ratios, 'boutique', 'bare-pg', 'rps'), '≥', 1);
  for (const b of blocks(r.rest.list)) add(`lists vs json-server (req/s, ${b.connections} conn.)`, ratioOf(b.ratios, 'boutique', 'json-server', 'rps'), '≥', 10);
  for (const b of blocks(r.rest.create)) {
    add(`creates (default) vs bare NORMAL route, Boutique's tables (req/s, ${b.connections} conn.)`, ratioOf(b.ratios, 'boutique', 'bare-layout', 'rps'), '≥', 0.8);
    add(`creates (default) vs bare NORMAL route, minimal table (req/s, ${b.connections} conn.)`, ratioOf(b.ratios, 'boutique', 'bare-minimal', 'rps'), '≥', 0.8);
  }
  for (const [name, d] of Object.entries(r.durability ?? {})) {
    t.push({ name: `every 201 survives kill -9: ${label(name)}`, value: d.rowsAfterKill9, rounds: null, goal: `≥ ${d.created201} rows`, met: d.survived });
  }
  const f = r.fanout;
  if (f) {
    add('fan-out CPU per delivered msg vs Socket.IO', ratioOf(f.ratios, 'boutique', 'socketio', 'fullCpuUsPerMsg'), '≤', 0.5);
    // Judged on the paired rounds when they ran (both servers in the same seconds); the
    // one-after-the-other rounds are then stated beside them.
    const paired = r.fanoutPaired ? ratioOf(r.fanoutPaired.ratios, 'boutique', 'ws', 'pacedP99') : null;
    if (paired) add('paced p99 latency vs bare ws, paired (same seconds)', paired, '≤', 1);
    add(paired ? 'paced p99 latency vs bare ws, one after the other' : 'paced p99 latency vs bare ws', ratioOf(f.ratios, 'boutique', 'ws', 'pacedP99'), ...(paired ? [] : ['≤', 1]));
  }
  if (r.memory) add('RSS per idle connection vs bare ws', ratioOf(r.memory.ratios, 'boutique', 'ws', 'bytesPerConnection'), '≤', 1.1);
  for (const s of Object.values(r.signin ?? {})) {
    add(`sign-in storm of ${s.clients}: time vs MDN's server`, ratioOf(s.ratios, 'boutique', 'mdn', 'seconds'));
    add(`sign-in storm of ${s.clients}: server CPU vs MDN's server`, ratioOf(s.ratios, 'boutique', 'mdn', 'serverCpuSeconds'));
  }
  return t;
}

const fmt = (v, digits = 0) => (v == null || !Number.isFinite(v) ? '—' : v.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits }));
const x = (v) => (v == null || !Number.isFinite(v) ? '—' : `${v.toFixed(2)}×`);
const each = (values, digits) => (values ?? []).map((v) => fmt(v, digits)).join(' / ');
const eachX = (values) => (values ?? []).map((v) => (v == null ? '—' : v.toFixed(2))).join(' / ');

function table(header, rows) {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => String(r[i]).length)));
  const line = (cells) => '| ' + cells.map((c, i) => String(c).padEnd(widths[i])).join(' | ') + ' |';
  return [line(header), '| ' + widths.map((w) => '-'.repeat(w)).join(' | ') + ' |', ...rows.map(line)].join('\n');
}

function ratioTable(ratios) {
  return table(['Boutique ÷ peer, per round', 'metric', 'median', 'each round'], ratios.map((q) => [`${label(q.a)} ÷ ${label(q.b)}`, METRICS[q.metric] ?? q.metric, x(q.median), eachX(q.rounds)]));
}

const orderText = (order) => (order ?? []).map((o, i) => `round ${i + 1}: ${o.join(' → ')}`).join('; ');

function httpBlock(title, b) {
  const rows = Object.entries(b.servers).map(([name, s]) => [
    label(name), fmt(s.median.rps), each(s.rounds.map((q) => q?.rps)), fmt(s.median.p50, 1), fmt(s.median.p99, 1), fmt(s.median.cpuUsPerReq, 1), each(s.rounds.map((q) => q?.cpuUsPerReq), 1), s.non2xx + s.errors,
  ]);
  const n = b.order.length;
  return `### ${title}, ${b.connections} connections (${n} round${n === 1 ? '' : 's'}${b.fresh ? ', a fresh server each run' : ''}; ${orderText(b.order)})\n\n` +
    table(['server', 'req/s median', 'req/s each round', 'p50 ms', 'p99 ms', 'CPU µs/req median', 'CPU µs/req each round', 'non-2xx+err'], rows) + '\n\n' + ratioTable(b.ratios);
}

/** Markdown tables (also what docs/benchmarks.md shows). */
export function markdown(r) {
  const out = [];
  const rounds = r.plan.rounds;
  for (const [scenario, title] of [['read', 'GET /customers/{id}'], ['list', 'GET /customers?page=3&per_page=20'], ['create', 'POST /customers']]) {
    for (const b of blocks(r.rest[scenario])) out.push(httpBlock(title, b));
  }
  if (r.synchronousNormal?.note) out.push(`Secondary create line: ${r.synchronousNormal.note}.`);
  if (Object.keys(r.durability ?? {}).length) {
    out.push('Durability (kill -9 right after the create load, rows counted on disk): ' + Object.entries(r.durability).map(([n, d]) => `${label(n)} ${d.rowsAfterKill9}/${d.created201} (${d.survived ? 'all survived' : 'LOST'})`).join('; ') + '.');
  }
  const pg = r['pg-read'];
  if (pg?.skipped) out.push(`### GET /customers/{id} on PostgreSQL\n\nSkipped: ${pg.skipped}.`);
  for (const b of blocks(pg)) out.push(httpBlock('GET /customers/{id} on PostgreSQL', b));
  const f = r.fanout;
  if (f) {
    const rows = Object.entries(f.servers).map(([n, s]) => [
      label(n), fmt(s.median.pacedP50, 2), fmt(s.median.pacedP99, 2), each(s.rounds.map((q) => q?.paced.p99), 2), fmt(s.median.pacedFirstP50, 2), fmt(s.median.pacedLastP50, 2), fmt(s.median.pacedCpuUsPerMsg, 2), fmt(s.median.loadCpuUsPerMsg, 2),
      s.rounds.map((q) => (q?.paced.gc ? `${q.paced.gc.total.count}/${fmt(q.paced.gc.total.ms, 1)}` : 'n/a')).join(' · '),
      fmt(s.median.fullMsgPerSec), fmt(s.median.fullCpuUsPerMsg, 2), each(s.rounds.map((q) => q?.full.cpuUsPerMsg), 2), s.lost, s.failed,
    ]);
    out.push(`### WebSocket fan-out, ${f.clients} clients (one sender, ~${f.frameBytes ?? 100}-byte JSON, every client receives every message; paced 20 msg/s for ${r.plan.pacedSeconds} s after ${r.plan.warmPacedSeconds} s of the same traffic, then full speed for ${r.plan.fullSeconds} s; ${f.order.length} round${f.order.length === 1 ? '' : 's'}, fresh servers; ${orderText(f.order)})\n\n` +
      table(['server', 'paced p50 ms', 'paced p99 ms median', 'paced p99 each round', 'first receiver ms, median msg', 'last receiver ms, median msg', 'paced server CPU µs/msg', 'load process CPU µs/msg', 'GC in paced window, pauses/ms each round', 'full-speed msg/s', 'full CPU µs/msg median', 'full CPU each round', 'lost', 'failed'], rows) +
      '\n\n' + ratioTable(f.ratios) +
      '\n\nGC pauses are V8 `gc` performance entries: Boutique\'s from its /metrics (prom-client `nodejs_gc_duration_seconds`), the peers\' from bench/peers/gc-stats.mjs preloaded.');
  }
  const fp = r.fanoutPaired;
  if (fp) {
    const rows = Object.entries(fp.servers).map(([n, s]) => [
      label(n), fmt(s.median.pacedP50, 2), fmt(s.median.pacedP99, 2), each(s.rounds.map((q) => q?.paced.p99), 2), fmt(s.median.pacedFirstP50, 2), fmt(s.median.pacedLastP50, 2), fmt(s.median.pacedCpuUsPerMsg, 2),
      s.rounds.map((q) => (q?.paced.gc ? `${q.paced.gc.total.count}/${fmt(q.paced.gc.total.ms, 1)}` : 'n/a')).join(' · '), s.lost, s.failed,
    ]);
    out.push(`### WebSocket fan-out, paired: ${fp.clients} clients each, both servers in the same seconds (paced 20 msg/s each for ${r.plan.pacedSeconds} s after ${r.plan.warmPacedSeconds} s of the same traffic, the two servers' messages interleaved 25 ms apart so one fans out while the other is idle; ${fp.order.length} round${fp.order.length === 1 ? '' : 's'}, fresh servers; ${fp.order.map((o, i) => `round ${i + 1}: ${o[0]} first`).join('; ')}; load process ${each(fp.loadCpuUsPerMsg, 2)} µs CPU per delivered message)\n\n` +
      table(['server', 'paced p50 ms', 'paced p99 ms median', 'paced p99 each round', 'first receiver ms, median msg', 'last receiver ms, median msg', 'paced server CPU µs/msg', 'GC in paced window, pauses/ms each round', 'lost', 'failed'], rows) +
      '\n\n' + ratioTable(fp.ratios));
  }
  const m = r.memory;
  if (m) {
    const rows = Object.entries(m.servers).map(([n, s]) => [label(n), s.opened, s.failed, fmt(s.median.rssBefore / 2 ** 20, 1), fmt(s.median.rssAfter / 2 ** 20, 1), fmt(s.median.bytesPerConnection / 1024, 2), each(s.rounds.map((q) => (q ? q.bytesPerConnection / 1024 : null)), 2)]);
    out.push(`### Memory: ${m.idle} idle connections (${rounds} round${rounds === 1 ? '' : 's'}, fresh servers; ${orderText(m.order)})\n\n` +
      table(['server', 'open', 'failed', 'RSS before MiB', 'RSS after MiB', 'KB per connection median', 'KB each round'], rows) + '\n\n' + ratioTable(m.ratios));
  }
  for (const s of Object.values(r.signin ?? {})) {
    const outcome = (q) => (q == null ? 'not retried' : q.outcome === 'complete' ? `${fmt(q.seconds, 2)} s` : `${q.outcome} at ${fmt(q.gaveUpAfterSeconds, 0)} s (${q.done}/${q.connected} done, ${q.closedByServer} closed)`);
    const rows = Object.entries(s.servers).map(([n, v]) => [
      label(n), fmt(v.median.seconds, 2), v.rounds.map(outcome).join(' · '), fmt(v.median.serverCpuSeconds, 2), each(v.rounds.map((q) => q?.serverCpuSeconds), 2), each(v.rounds.map((q) => q?.loadCpuSeconds), 2), each(v.rounds.map((q) => q?.mbIn), 0), each(v.rounds.map((q) => (q ? q.serverRssPeak / 2 ** 20 : null)), 0),
    ]);
    out.push(`### Sign-in storm, ${s.clients} clients (MDN \`username\` frames sent at once; until every client holds a user list with all ${s.clients} names; bound ${s.timeoutSeconds} s and ${fmt(r.plan.signinRssLimitBytes / 2 ** 30, 0)} GiB server RSS; ${orderText(s.order)})\n\n` +
      table(['server', 'seconds median', 'each round', 'server CPU s median', 'server CPU s each round', 'load CPU s each round', 'MB received each round', 'server RSS peak MiB'], rows) + '\n\n' + ratioTable(s.ratios));
  }
  const lq = r.queries;
  if (lq) {
    const what = (n) => (n === 'q0' ? 'no live query' : n.startsWith('n') ? `${n.slice(1)} distinct exact names (indexed)` : `${n.slice(1)} distinct searches`);
    const rows = Object.entries(lq.servers).map(([n, v]) => [
      what(n), fmt(v.median.changesPerSec), fmt(v.median.eventsPerSec), fmt(v.median.eventsPerChange, 2), fmt(v.median.cpuUsPerChange, 1), each(v.rounds.map((q) => q?.cpuUsPerChange), 1),
    ]);
    const ratios = table(['÷ no live query, per round', 'metric', 'median', 'each round'], lq.ratios.map((q) => [what(q.a), 'server CPU per change', x(q.median), eachX(q.rounds)]));
    out.push(`### Live queries: customers renamed at full speed (16 connections), with N distinct live queries subscribed (${rounds} round${rounds === 1 ? '' : 's'}, fresh servers; ${orderText(lq.order)})\n\n` +
      table(['live queries', 'changes/s median', 'events/s median', 'events per change', 'server CPU µs/change median', 'each round'], rows) + '\n\n' + ratios);
  }
  if (r.targets.length) {
    out.push('### Targets (median of per-round ratios)\n\n' + table(['target', 'median', 'each round', 'goal', 'met'], r.targets.map((t) => [
      t.name, typeof t.value === 'number' && !Number.isInteger(t.value) ? x(t.value) : t.value ?? '—', t.rounds ? eachX(t.rounds) : '', t.goal, t.met == null ? '—' : t.met ? 'yes' : '**no**',
    ])));
  }
  return out.join('\n\n');
}

export function printReport(r) {
  const m = r.machine;
  console.log(`\nBoutique benchmarks — ${r.date} — ${m.cpu}, ${m.cores} cores, Node ${m.node} — ${r.mode} run, ${r.seconds}s; load average ${r.loadAverage.start.join(' ')} at start, ${r.loadAverage.end?.join(' ')} at end\n`);
  console.log(markdown(r));
}

// --- chart ---------------------------------------------------------------------------------

const COLORS = { boutique: '#d9480f', 'boutique-normal': '#f08c00' };
const esc = (s) => String(s).replace(/&/g, '&amp;').replace(/</g, '&lt;');
const SHORT = { boutique: 'Boutique', 'boutique-normal': 'B. NORMAL', 'bare-layout': 'bare, B. tables', 'bare-minimal': 'bare, minimal', 'json-server': 'json-server', 'bare-pg': 'bare + pg', ws: 'bare ws', socketio: 'Socket.IO 4', mdn: 'MDN server' };

/** One panel per metric, a bar per server (medians of rounds), the value on each bar. */
export function renderSvg(r) {
  const panels = [];
  const medians = (servers, field, scale = 1) => Object.entries(servers).map(([n, s]) => [n, s.median[field] == null ? null : s.median[field] * scale]);
  for (const [scenario, title] of [['read', 'GET /customers/{id}'], ['list', 'GET /customers?page=3'], ['create', 'POST /customers']]) {
    const b = widest(r.rest[scenario]);
    if (b) panels.push({ title: `${title} — req/s, ${b.connections} conn.`, better: 'higher', bars: medians(b.servers, 'rps') });
  }
  const pg = widest(r['pg-read']);
  if (pg) panels.push({ title: `PostgreSQL read — req/s, ${pg.connections} conn.`, better: 'higher', bars: medians(pg.servers, 'rps') });
  if (r.fanout) {
    panels.push({ title: 'Fan-out — server CPU µs per delivered msg', better: 'lower', digits: 2, bars: medians(r.fanout.servers, 'fullCpuUsPerMsg') });
    panels.push({ title: 'Fan-out at 20 msg/s — p99 latency ms', better: 'lower', digits: 2, bars: medians(r.fanout.servers, 'pacedP99') });
  }
  if (r.fanoutPaired) panels.push({ title: 'Fan-out at 20 msg/s, paired — p99 latency ms', better: 'lower', digits: 2, bars: medians(r.fanoutPaired.servers, 'pacedP99') });
  if (r.memory) panels.push({ title: 'Idle connection — KB RSS each', better: 'lower', digits: 1, bars: medians(r.memory.servers, 'bytesPerConnection', 1 / 1024) });
  for (const s of Object.values(r.signin ?? {})) panels.push({ title: `Sign-in storm of ${s.clients} — seconds`, better: 'lower', digits: 2, bars: medians(s.servers, 'seconds') });

  const W = 330, pad = 10, barH = 24, gap = 8, cols = 3;
  const heightOf = (p) => 44 + p.bars.length * (barH + gap);
  const rowsOfPanels = [];
  for (let i = 0; i < panels.length; i += cols) rowsOfPanels.push(panels.slice(i, i + cols));
  const rowH = rowsOfPanels.map((row) => Math.max(...row.map(heightOf)) + 10);
  const width = cols * W + pad * 2, height = rowH.reduce((a, b) => a + b, 0) + 60;
  const parts = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="system-ui, sans-serif" font-size="12">`,
    `<rect width="100%" height="100%" fill="#fff"/>`,
    `<text x="${pad}" y="22" font-size="15" font-weight="600">Boutique vs peers — ${esc(r.date.slice(0, 10))}, ${esc(r.machine.cpu)} × ${r.machine.cores}, Node ${esc(r.machine.node)}${r.mode === 'quick' ? ' (quick run)' : ''}</text>`,
    `<text x="${pad}" y="40" fill="#555">Medians of ${r.plan.rounds} interleaved round(s)${r.plan.restRounds ? ` (REST ${r.plan.restRounds}, fan-out ${r.plan.fanoutRounds})` : ''}; Boutique in orange; servers on one core, load on the other. Missing bar: not measured or did not finish.</text>`,
  ];
  let oy = 55;
  rowsOfPanels.forEach((row, ri) => {
    row.forEach((p, ci) => {
      const ox = pad + ci * W;
      const max = Math.max(...p.bars.map(([, v]) => v ?? 0), 1e-9);
      parts.push(`<text x="${ox + 4}" y="${oy + 14}" font-weight="600">${esc(p.title)}</text>`);
      parts.push(`<text x="${ox + 4}" y="${oy + 28}" fill="#777" font-size="11">${p.better} is better</text>`);
      const left = 104, span = W - left - 70;
      p.bars.forEach(([name, v], j) => {
        const y = oy + 36 + j * (barH + gap);
        const w = v == null ? 0 : Math.max(1, (v / max) * span);
        parts.push(`<text x="${ox + left - 6}" y="${y + barH / 2 + 4}" text-anchor="end">${esc(SHORT[name] ?? name)}</text>`);
        parts.push(`<rect x="${ox + left}" y="${y}" width="${w.toFixed(1)}" height="${barH}" fill="${COLORS[name] ?? '#868e96'}"/>`);
        parts.push(`<text x="${(ox + left + w + 4).toFixed(1)}" y="${y + barH / 2 + 4}">${esc(fmt(v, p.digits ?? 0))}</text>`);
      });
    });
    oy += rowH[ri];
  });
  parts.push('</svg>');
  return parts.join('\n') + '\n';
}
