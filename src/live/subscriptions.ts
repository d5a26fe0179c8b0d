import type { LogEntry } from '../store/change-log.js';
import { BoutiqueError } from '../errors.js';
import { actionFor, eventFrame, isChatChannel, liveChangeOf, resetFrame, snapshotFrame, type LiveChange } from './change.js';
import type { Missed, Receiver } from './gate.js';
import type { LogTail } from './log-tail.js';
import type { LiveQueries, ParsedQuery } from './queries.js';
import type { Replayer } from './replay.js';
import type { Topic, TopicGrammar } from './topics.js';

/** The gate channel of a topic's frames (a held frame of a replayed topic is dropped up to the cut). */
export const topicChannel = (key: string): string => `topic:${key}`;

/** How long a client's position, when it is ahead of this instance's tail, may take to arrive. */
const REACH_TIMEOUT_MS = 5000;

interface Subscribed {
  topic: Topic;
  channel: string;
  receivers: Set<Receiver>;
}

/**
 * One resource's subscriptions. Those that select rows by an exact field value (a customer's
 * orders, one order status, one customer) are found through that value; only the others are
 * looked at for every change.
 */
interface ResourceSubscriptions {
  byKey: Map<string, Subscribed>;
  scanned: Set<Subscribed>;
  /** field → value → the subscriptions that select rows whose `field` is `value` */
  indexed: Map<string, Map<unknown, Set<Subscribed>>>;
}

/** What a replay of topics found: the frames missed, or that the log no longer holds them all. */
export type TopicReplay = { kind: 'missed'; frames: Missed[] } | { kind: 'reset'; frames: Missed[] };

/**
 * This instance's subscriptions to topics and live queries, for every live transport (WebSocket
 * `subscribe` and SSE alike). Distinct ones are kept once, with their receivers: each committed
 * change is evaluated once per distinct topic or query of its resource (two matches: its row
 * before and after), its frame built once per subscription it concerns, and that very string
 * written to every receiver. The cost of a change grows with the number of distinct subscriptions
 * of its resource on the instance that it is matched against — not with the number of
 * subscribers, and not with subscriptions that select by an exact value (customerId=7,
 * status=paid, customers/7) other than the row's: those are found through an index.
 */
export class Subscriptions {
  readonly #byResource = new Map<string, ResourceSubscriptions>();
  readonly #stop: () => void;

  constructor(
    private readonly tail: LogTail,
    private readonly replayer: Replayer,
    readonly grammar: TopicGrammar,
    readonly queries: LiveQueries,
    /** The most rows a snapshot holds (LIVE_SNAPSHOT_MAX). */
    readonly snapshotMax: number,
    private readonly onFanOut: (frame: string, receivers: number) => void = () => {},
  ) {
    this.#stop = tail.subscribe((entry) => this.#onEntry(entry));
  }

  subscribe(topic: Topic, receiver: Receiver): void {
    let subs = this.#byResource.get(topic.resource);
    if (!subs) this.#byResource.set(topic.resource, (subs = { byKey: new Map(), scanned: new Set(), indexed: new Map() }));
    let subscribed = subs.byKey.get(topic.key);
    if (!subscribed) {
      subs.byKey.set(topic.key, (subscribed = { topic, channel: topicChannel(topic.key), receivers: new Set() }));
      const index = topic.index;
      if (index === undefined) subs.scanned.add(subscribed);
      else {
        let byValue = subs.indexed.get(index.field);
        if (!byValue) subs.indexed.set(index.field, (byValue = new Map()));
        let bucket = byValue.get(index.value);
        if (!bucket) byValue.set(index.value, (bucket = new Set()));
        bucket.add(subscribed);
      }
    }
    subscribed.receivers.add(receiver);
  }

  unsubscribe(topic: Topic, receiver: Receiver): void {
    const subs = this.#byResource.get(topic.resource);
    const subscribed = subs?.byKey.get(topic.key);
    if (!subs || !subscribed) return;
    subscribed.receivers.delete(receiver);
    if (subscribed.receivers.size > 0) return;
    subs.byKey.delete(topic.key);
    const index = subscribed.topic.index;
    if (index === undefined) subs.scanned.delete(subscribed);
    else {
      const byValue = subs.indexed.get(index.field)!;
      const bucket = byValue.get(index.value)!;
      bucket.delete(subscribed);
      if (bucket.size === 0) byValue.delete(index.value);
      if (byValue.size === 0) subs.indexed.delete(index.field);
    }
    if (subs.byKey.size === 0) this.#byResource.delete(topic.resource);
  }

  /**
   * A subscription's key as a session remembers it: a topic name, or a live query's canonical
   * form; undefined when it is neither (any more).
   */
  restore(key: string): Topic | undefined {
    if (!key.startsWith('/')) return this.grammar.parse(key);
    try {
      return this.queries.parse(key).topic;
    } catch {
      return undefined;
    }
  }

  /**
   * The rows a live query selects now, as the frame that starts its subscription, with the log
   * position they are as of (its events follow from there). Throws the GET's 404 when the list's
   * parent does not exist, and a 400 when more rows match than a snapshot holds.
   */
  async snapshot(query: ParsedQuery): Promise<Missed> {
    const { topic } = query;
    const { value, position } = await topic.read(query.sort, this.snapshotMax);
    if (value.total > this.snapshotMax) {
      throw new BoutiqueError(
        'BAD_REQUEST',
        `${topic.key} matches ${value.total} rows, more than a snapshot holds (${this.snapshotMax}, LIVE_SNAPSHOT_MAX): narrow the query, or subscribe without a snapshot and read the list's pages.`,
        { errors: [{ field: 'snapshot', message: `is limited to ${this.snapshotMax} rows` }] },
      );
    }
    return { seq: position, frame: snapshotFrame(topic, value.items, position) };
  }

  /** The position every change delivered live so far reaches: a replay's cut. */
  head(): number {
    return this.tail.position;
  }

  /**
   * Waits until this instance has delivered everything up to `position` (a client that read it
   * elsewhere, in a REST response or from another instance); false when it never comes (a
   * position the log never had).
   */
  reach(position: number): Promise<boolean> {
    return this.tail.reach(position, REACH_TIMEOUT_MS);
  }

  /**
   * What `topics` would have received for changes with after < seq ≤ cut, in seq order; or, when
   * the log no longer holds all of them, one reset frame per topic (live from `cut`).
   */
  async replay(topics: readonly Topic[], after: number, cut: number): Promise<TopicReplay> {
    if (topics.length === 0 || after >= cut) return { kind: 'missed', frames: [] };
    const entries = await this.replayer.entries(after, cut, { channels: [...new Set(topics.map((t) => t.resource))] });
    if (entries === undefined) return this.reset(topics, cut);
    return { kind: 'missed', frames: this.framesOf(topics, entries) };
  }

  /** One reset frame per topic: live from `cut`, the state to be read again. */
  reset(topics: readonly Topic[], cut: number): TopicReplay {
    return { kind: 'reset', frames: topics.map((t) => ({ seq: cut, frame: resetFrame(t, cut) })) };
  }

  /** The event frames `topics` get for these log entries (change entries of their resources), in order. */
  framesOf(topics: readonly Topic[], entries: readonly LogEntry[]): Missed[] {
    const out: Missed[] = [];
    for (const entry of entries) {
      if (isChatChannel(entry.channel) || !topics.some((t) => t.resource === entry.channel)) continue;
      const change = liveChangeOf(entry);
      for (const topic of topics) {
        if (topic.resource !== change.resource) continue;
        const action = actionFor(topic, change);
        if (action !== undefined) out.push({ seq: change.seq, frame: eventFrame(topic, action, change) });
      }
    }
    return out;
  }

  close(): void {
    this.#stop();
    this.#byResource.clear();
  }

  /**
   * A committed change, to every subscription it concerns: the scanned ones, and the indexed ones
   * whose value the row has now or had before (an order that moved from pending to paid concerns
   * `status=pending` and `status=paid`, and no other status).
   */
  #onEntry(entry: LogEntry): void {
    const subs = this.#byResource.get(entry.channel);
    if (!subs) return;
    const change = liveChangeOf(entry);
    for (const subscribed of subs.scanned) this.#deliver(subscribed, change);
    for (const [field, byValue] of subs.indexed) {
      const now = change.data[field];
      const bucket = byValue.get(now);
      if (bucket) for (const subscribed of bucket) this.#deliver(subscribed, change);
      if (change.previous === undefined || change.previous[field] === now) continue;
      const before = byValue.get(change.previous[field]);
      if (before) for (const subscribed of before) this.#deliver(subscribed, change);
    }
  }

  #deliver(subscribed: Subscribed, change: LiveChange): void {
    const action = actionFor(subscribed.topic, change);
    if (action === undefined) return;
    const frame = eventFrame(subscribed.topic, action, change);
    for (const receiver of subscribed.receivers) receiver.deliver(subscribed.channel, change.seq, frame);
    this.onFanOut(frame, subscribed.receivers.size);
  }
}
