/** The table, the targets of issue 6 item 2, and the chart (a hand-written SVG: no chart dependency). */
import { cpus, totalmem, release } from 'node:os';

export function machine() {
  const list = cpus();
  return {
    cpu: list[0]?.model ?? 'unknown',
    cores: list.length,
    memoryGiB: Math.round(totalmem() / 2 ** 30),
    node: process.version,
    kernel: release(),
  };
}

const ratio = (a, b) => (a == null || b == null || b === 0 ? null : a / b);

/** Each target of issue 6 item 2: the measured ratio and whether it holds. */
export function evaluate(r) {
  const t = [];
  const add = (name, value, op, goal, detail) => t.push({ name, value, goal: `${op} ${goal}`, met: value == null ? null : op === '≥' ? value >= goal : value <= goal, detail });
  const rest = r.rest;
  if (rest.read) add('reads vs bare Fastify+SQLite (req/s)', ratio(rest.read.boutique.rps, rest.read.bare.rps), '≥', 0.8);
  if (rest.list) add('lists vs json-server (req/s)', ratio(rest.list.boutique.rps, rest.list['json-server'].rps), '≥', 10);
  if (rest.create) add('creates vs bare Fastify+SQLite (req/s)', ratio(rest.create.boutique.rps, rest.create.bare.rps), '≥', 0.7);
  if (r.durability.boutique) t.push({ name: 'every 201 survives kill -9', value: r.durability.boutique.rowsAfterKill9, goal: `≥ ${r.durability.boutique.created201} rows`, met: r.durability.boutique.survived });
  const f = r.fanout;
  if (f.boutique && f.socketio) add('fan-out CPU/delivered msg vs Socket.IO', ratio(f.boutique.full.cpuUsPerMsg, f.socketio.full.cpuUsPerMsg), '≤', 0.5);
  if (f.boutique && f.ws) add('paced p99 latency vs bare ws', ratio(f.boutique.paced.p99, f.ws.paced.p99), '≤', 1);
  const m = r.memory;
  if (m.boutique && m.ws) add('RSS per idle connection vs bare ws', ratio(m.boutique.bytesPerConnection, m.ws.bytesPerConnection), '≤', 1.1);
  return t;
}

const fmt = (v, digits = 0) => (v == null || !Number.isFinite(v) ? '—' : v.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits }));
const x = (v) => (v == null ? '—' : `${v.toFixed(2)}×`);

function table(header, rows) {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => String(r[i]).length)));
  const line = (cells) => '| ' + cells.map((c, i) => String(c).padEnd(widths[i])).join(' | ') + ' |';
  return [line(header), '| ' + widths.map((w) => '-'.repeat(w)).join(' | ') + ' |', ...rows.map(line)].join('\n');
}

/** Markdown tables (also what docs/benchmarks.md shows). */
export function markdown(r) {
  const out = [];
  const restRows = [];
  for (const [scenario, label] of [['read', 'GET /customers/{id}'], ['list', 'GET /customers?page=3&per_page=20'], ['create', 'POST /customers']]) {
    const s = r.rest[scenario];
    if (!s) continue;
    for (const name of ['boutique', 'bare', 'json-server']) {
      const v = s[name];
      const vs = name === 'boutique' ? `${x(ratio(v.rps, s.bare.rps))} bare, ${x(ratio(v.rps, s['json-server'].rps))} json-server` : '';
      restRows.push([label, name === 'bare' ? 'bare Fastify + better-sqlite3' : name === 'json-server' ? 'json-server 0.17.4' : 'Boutique (SQLite)', fmt(v.rps), fmt(v.p50, 1), fmt(v.p99, 1), fmt(v.cpuUsPerReq, 1), v.non2xx + v.errors, vs]);
    }
  }
  if (restRows.length) out.push('### REST (autocannon, 32 connections, median of rounds)\n\n' + table(['scenario', 'server', 'req/s', 'p50 ms', 'p99 ms', 'CPU µs/req', 'non-2xx+err', 'Boutique req/s ÷ peer'], restRows));
  if (r.durability.boutique || r.durability.bare) {
    out.push('Durability (kill -9 right after the create load, rows counted on disk): ' + Object.entries(r.durability).map(([n, d]) => `${n} ${d.rowsAfterKill9}/${d.created201} created rows present (${d.survived ? 'all survived' : 'LOST'})`).join('; ') + '.');
  }
  const f = r.fanout;
  if (Object.keys(f).length) {
    const rows = ['boutique', 'ws', 'socketio'].filter((n) => f[n]).map((n) => {
      const v = f[n];
      const vs = n === 'boutique' ? `CPU ${x(ratio(v.full.cpuUsPerMsg, f.socketio?.full.cpuUsPerMsg))} Socket.IO, ${x(ratio(v.full.cpuUsPerMsg, f.ws?.full.cpuUsPerMsg))} ws; p99 ${x(ratio(v.paced.p99, f.ws?.paced.p99))} ws` : '';
      return [label(n), v.clients, fmt(v.paced.p50, 2), fmt(v.paced.p99, 2), (v.paced.roundP99 ?? []).map((p) => fmt(p, 1)).join(' / '), fmt(v.paced.cpuUsPerMsg, 2), fmt(v.paced.loadCpuUsPerMsg, 2), fmt(v.full.msgPerSec), fmt(v.full.cpuUsPerMsg, 2), v.paced.lost + v.full.lost, vs];
    });
    const rounds = f.boutique?.rounds ?? 1;
    out.push(`### WebSocket fan-out (one sender, ~${f.boutique?.frameBytes ?? 100}-byte JSON, every client receives every message; paced: 20 msg/s, ${rounds} round${rounds === 1 ? '' : 's'} of ${r.plan.pacedSeconds} s pooled, after ${r.plan.warmPacedSeconds} s of the same traffic)\n\n` +
      table(['server', 'clients', 'paced p50 ms', 'paced p99 ms', 'p99 of each round', 'paced server CPU µs/msg', 'load process CPU µs/msg', 'full-speed msg/s', 'full CPU µs/msg', 'lost', 'Boutique ÷ peer'], rows));
  }
  const m = r.memory;
  if (Object.keys(m).length) {
    const rows = ['boutique', 'ws', 'socketio'].filter((n) => m[n]).map((n) => [label(n), m[n].opened, m[n].failed, fmt(m[n].rssBefore / 2 ** 20, 1), fmt(m[n].rssAfter / 2 ** 20, 1), fmt(m[n].bytesPerConnection / 1024, 2), n === 'boutique' ? `${x(ratio(m[n].bytesPerConnection, m.ws?.bytesPerConnection))} ws, ${x(ratio(m[n].bytesPerConnection, m.socketio?.bytesPerConnection))} Socket.IO` : '']);
    out.push('### Memory: idle connections\n\n' + table(['server', 'open', 'failed', 'RSS before MiB', 'RSS after MiB', 'KB per connection', 'Boutique ÷ peer'], rows));
  }
  if (r.targets.length) {
    out.push('### Targets (issue 6 item 2)\n\n' + table(['target', 'measured', 'goal', 'met'], r.targets.map((t) => [t.name, typeof t.value === 'number' && !Number.isInteger(t.value) ? x(t.value) : t.value ?? '—', t.goal, t.met == null ? '—' : t.met ? 'yes' : '**no**'])));
  }
  return out.join('\n\n');
}

function label(n) {
  return { boutique: 'Boutique', ws: 'bare ws loop', socketio: 'Socket.IO 4 io.emit', bare: 'bare Fastify', 'json-server': 'json-server' }[n] ?? n;
}

export function printReport(r) {
  const m = r.machine;
  console.log(`\nBoutique benchmarks — ${r.date} — ${m.cpu}, ${m.cores} cores, Node ${m.node} — ${r.mode} run, ${r.seconds}s\n`);
  console.log(markdown(r));
}

// --- chart ---------------------------------------------------------------------------------

const COLORS = { boutique: '#d9480f', bare: '#495057', 'json-server': '#adb5bd', ws: '#495057', socketio: '#adb5bd' };
const esc = (s) => String(s).replace(/&/g, '&amp;').replace(/</g, '&lt;');

/** One panel per metric, a bar per server, the value on each bar. */
export function renderSvg(r) {
  const panels = [];
  const rest = r.rest;
  if (rest.read) panels.push({ title: 'GET /customers/{id} — req/s', better: 'higher', bars: ['boutique', 'bare', 'json-server'].map((n) => [n, rest.read[n].rps]) });
  if (rest.list) panels.push({ title: 'GET /customers?page=3 — req/s', better: 'higher', bars: ['boutique', 'bare', 'json-server'].map((n) => [n, rest.list[n].rps]) });
  if (rest.create) panels.push({ title: 'POST /customers — req/s', better: 'higher', bars: ['boutique', 'bare', 'json-server'].map((n) => [n, rest.create[n].rps]) });
  const f = r.fanout;
  if (Object.keys(f).length) {
    panels.push({ title: 'Fan-out — server CPU µs per delivered msg', better: 'lower', digits: 2, bars: ['boutique', 'ws', 'socketio'].filter((n) => f[n]).map((n) => [n, f[n].full.cpuUsPerMsg]) });
    panels.push({ title: 'Fan-out at 20 msg/s — p99 latency ms', better: 'lower', digits: 2, bars: ['boutique', 'ws', 'socketio'].filter((n) => f[n]).map((n) => [n, f[n].paced.p99]) });
  }
  const m = r.memory;
  if (Object.keys(m).length) panels.push({ title: 'Idle connection — KB RSS each', better: 'lower', digits: 1, bars: ['boutique', 'ws', 'socketio'].filter((n) => m[n]).map((n) => [n, m[n].bytesPerConnection / 1024]) });

  const W = 330, H = 190, cols = 3, pad = 10;
  const rows = Math.ceil(panels.length / cols);
  const width = cols * W + pad * 2, height = rows * H + 60;
  const parts = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="system-ui, sans-serif" font-size="12">`,
    `<rect width="100%" height="100%" fill="#fff"/>`,
    `<text x="${pad}" y="22" font-size="15" font-weight="600">Boutique vs peers — ${esc(r.date.slice(0, 10))}, ${esc(r.machine.cpu)} × ${r.machine.cores}, Node ${esc(r.machine.node)}${r.mode === 'quick' ? ' (quick run)' : ''}</text>`,
    `<text x="${pad}" y="40" fill="#555">Boutique in orange; same run, same machine; servers on one core, load on the other.</text>`,
  ];
  panels.forEach((p, i) => {
    const ox = pad + (i % cols) * W, oy = 55 + Math.floor(i / cols) * H;
    const max = Math.max(...p.bars.map(([, v]) => v ?? 0), 1e-9);
    parts.push(`<text x="${ox + 4}" y="${oy + 14}" font-weight="600">${esc(p.title)}</text>`);
    parts.push(`<text x="${ox + 4}" y="${oy + 28}" fill="#777" font-size="11">${p.better} is better</text>`);
    const barH = 30, left = 92, span = W - left - 70;
    p.bars.forEach(([name, v], j) => {
      const y = oy + 40 + j * (barH + 12);
      const w = v == null ? 0 : Math.max(1, (v / max) * span);
      parts.push(`<text x="${ox + left - 6}" y="${y + barH / 2 + 4}" text-anchor="end">${esc(name === 'socketio' ? 'Socket.IO 4' : name === 'ws' ? 'bare ws' : label(name))}</text>`);
      parts.push(`<rect x="${ox + left}" y="${y}" width="${w.toFixed(1)}" height="${barH}" fill="${COLORS[name]}"/>`);
      parts.push(`<text x="${(ox + left + w + 4).toFixed(1)}" y="${y + barH / 2 + 4}">${esc(fmt(v, p.digits ?? 0))}</text>`);
    });
  });
  parts.push('</svg>');
  return parts.join('\n') + '\n';
}
