/**
 * What the live fault tests share: a crowd of subscribers (WebSocket subscribe, WebSocket resume
 * with chat, SSE), waiting for all of them to be live again after a fault, and the final check of
 * everything they received — and every write acknowledged — against the change log.
 */
import { CHANGE_CHANNELS, LOBBY, SIGN_INS, difference, expectedOf, seenOfRow, type LogRow, type Seen } from './live-log.js';
import { ResumingSubscriber, StreamSubscriber, TopicSubscriber, type ConnectOptions, type Targets } from './live-subscribers.js';
import type { RestWriters } from './live-writers.js';

export const TOPICS = [...CHANGE_CHANNELS];

/**
 * What a fault test started (servers, Redis, clients, writers, files), undone in reverse order by
 * its `finally` — or by its `after` hook when it timed out, while its body may still be running:
 * whatever that body starts afterwards is undone at once.
 */
export class Teardown {
  #steps: (() => unknown)[] = [];
  #ran = false;

  add(step: () => unknown): void {
    if (this.#ran) void Promise.resolve(step()).catch(() => {});
    else this.#steps.push(step);
  }

  async run(): Promise<void> {
    this.#ran = true;
    for (const step of this.#steps.splice(0).reverse()) await step();
  }
}

/** Who connects where first, and where each reconnects: one Targets per subscriber. */
type Planned = { label: string; targets: Targets } & ConnectOptions;

export interface CrowdPlan {
  topics: Planned[];
  chatters: (Planned & { name: string; withTopics: boolean; chatEveryMs: number })[];
  streams: Planned[];
}

export class LiveCrowd {
  readonly topics: TopicSubscriber[];
  readonly chatters: ResumingSubscriber[];
  readonly streams: StreamSubscriber[];
  readonly #marked = new Map<object, { connections: number; drops: number }>();

  constructor(plan: CrowdPlan) {
    this.topics = plan.topics.map((p) => new TopicSubscriber(p.label, p.targets, TOPICS, p));
    this.chatters = plan.chatters.map((p) => new ResumingSubscriber(p.label, p.targets, { name: p.name, topics: p.withTopics ? TOPICS : [], chatEveryMs: p.chatEveryMs }, p));
    this.streams = plan.streams.map((p) => new StreamSubscriber(p.label, p.targets, TOPICS, p));
  }

  get all(): (TopicSubscriber | ResumingSubscriber | StreamSubscriber)[] {
    return [...this.topics, ...this.chatters, ...this.streams];
  }

  start(): void {
    for (const s of this.all) s.start();
  }

  /** Error frames received in a greeting instead of the user list (a degraded bus), by subscriber. */
  greetingErrors(): string {
    return [...this.topics, ...this.chatters].filter((s) => s.greetingErrors.length > 0).map((s) => `${s.label} ${s.greetingErrors.length}`).join(', ') || 'none';
  }

  /** Per resuming client: its resumes' `missed` counts (`?`: the connection died before all came). */
  resumeFigures(): string {
    return this.chatters
      .map((c) => {
        const missed = c.resumes.map((r) => `${r.missed}${r.complete ? '' : '?'}`);
        return `${c.label} ${missed.length > 6 ? `${missed.length} resumes, missed ${c.resumes.reduce((n, r) => n + r.missed, 0)} in all` : missed.join('/') || 'none'}`;
      })
      .join(', ');
  }

  /** How often the flaky clients dropped their own connection. */
  flakyDrops(): string {
    return this.all.filter((s) => s.dropped > 0).map((s) => `${s.label} ${s.dropped}`).join(', ') || 'none';
  }

  /** Chat senders stop sending (they keep receiving). */
  hush(): void {
    for (const c of this.chatters) c.hush();
  }

  async stop(): Promise<void> {
    await Promise.all(this.all.map((s) => s.stop()));
  }

  /** Notes where each subscriber's connections stand: a fault is coming. */
  mark(): void {
    for (const s of this.all) this.#marked.set(s, { connections: s.connections, drops: s.drops });
  }

  /**
   * Waits until every subscriber is live, and each that lost its connection since the last mark
   * is live on a new one (it reconnected, and resumed); the timeout names who is not, and why.
   */
  async waitLive(timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    const back = (s: LiveCrowd['all'][number]) => {
      const marked = this.#marked.get(s);
      return marked === undefined || s.drops === marked.drops || s.connections > marked.connections;
    };
    for (;;) {
      const late = this.all.filter((s) => !(s.ready && back(s)));
      if (late.length === 0) return;
      const hopeless = late.filter((s) => s.stopping);
      if (hopeless.length > 0 || Date.now() > deadline) {
        throw new Error(`not live again within ${timeoutMs} ms: ${late.map((s) => `${s.label} (${s.connections} connections; ${s.problems.slice(0, 3).join('; ') || 'no problem reported'})`).join(', ')}`);
      }
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }

  /** For each subscriber: what it must have received of `rows` after `baseline`, and what it did. */
  pairs(rows: readonly LogRow[], baseline: number): { label: string; expected: Seen[]; got: Seen[] }[] {
    const after = (list: readonly Seen[]) => list.filter((s) => s.seq > baseline);
    return [
      ...this.topics.flatMap((t) => t.topics.map((topic) => ({ label: `${t.label} topic ${topic}`, expected: expectedOf(rows, { channels: [topic], after: baseline }), got: after(t.events.get(topic)!) }))),
      ...this.chatters.map((c) => ({ label: c.label, expected: expectedOf(rows, { channels: [SIGN_INS, LOBBY, ...c.chat.topics], session: c.session, after: baseline }), got: after(c.seen) })),
      ...this.streams.map((s) => ({ label: s.label, expected: expectedOf(rows, { channels: TOPICS, after: baseline }), got: after(s.seen) })),
    ];
  }

  /** Resolves once every subscriber has received at least as much as the log holds for it (bounded). */
  async settle(readRows: () => Promise<LogRow[]>, baseline: number, timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      const rows = await readRows();
      if (this.pairs(rows, baseline).every((p) => p.got.length >= p.expected.length)) return;
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }
}

/**
 * Every way the run may have broken the guarantee, as readable lines (none: it held):
 * subscribers' streams against the log, writes acknowledged but not logged, chat messages
 * received but not logged, resumes whose `missed` did not match what followed, and anything a
 * client should never see (resets, refused resumes, error frames).
 */
export function violations(rows: readonly LogRow[], baseline: number, crowd: LiveCrowd, writers: RestWriters): string[] {
  const out: string[] = [];
  for (const { label, expected, got } of crowd.pairs(rows, baseline)) {
    const diff = difference(label, expected, got);
    if (diff !== undefined) out.push(diff);
  }
  const byPosition = new Map(rows.map((r) => [Number(r.position), seenOfRow(r)]));
  const unlogged = (s: Seen) => {
    const entry = byPosition.get(s.seq);
    return entry === undefined || entry.channel !== s.channel || entry.action !== s.action || entry.key !== s.key;
  };
  const lostWrites = writers.acknowledged.filter(unlogged);
  if (lostWrites.length > 0) {
    out.push(`${lostWrites.length} writes answered 2xx are not in the log as answered: ${lostWrites.slice(0, 5).map((w) => `${w.request} → ${w.seq} ${w.action} ${w.key} (log: ${JSON.stringify(byPosition.get(w.seq) ?? null)})`).join('; ')}`);
  }
  for (const c of crowd.chatters) {
    const lostChat = c.seen.filter((s) => s.action === 'message').filter(unlogged);
    if (lostChat.length > 0) out.push(`${c.label} received ${lostChat.length} chat messages the log does not hold: ${lostChat.slice(0, 5).map((s) => `${s.seq} ${s.key}`).join('; ')}`);
    for (const r of c.resumes.filter((r) => r.complete)) {
      if (r.delivered !== r.missed || r.interleaved.length > 0) out.push(`${c.label} resumed from ${r.after}: missed ${r.missed}, then received ${r.delivered} logged frames with ${r.interleaved.join(', ') || 'nothing'} in between`);
    }
  }
  for (const s of crowd.all) for (const p of s.problems) out.push(`${s.label}: ${p}`);
  for (const p of writers.problems) out.push(`writers: ${p}`);
  return out;
}

/** The warnings and errors servers logged, one line per distinct message with its count: what a failure should show. */
export function complaints(outputs: readonly string[]): string {
  const counts = new Map<string, number>();
  for (const text of outputs) {
    for (const l of text.split('\n')) {
      if (!/"level":(40|50|60)/.test(l)) continue;
      let what = l.slice(0, 300);
      try {
        const entry = JSON.parse(l) as { level: number; msg?: string; err?: { message?: string } };
        what = `[${entry.level}] ${entry.msg ?? ''}${entry.err?.message ? `: ${entry.err.message}` : ''}`;
      } catch {
        // not JSON: the line as it is
      }
      counts.set(what, (counts.get(what) ?? 0) + 1);
    }
  }
  return [...counts].map(([what, n]) => `${n}× ${what}`).join('\n') || '(none)';
}
