import type { LogEntry } from '../store/change-log.js';
import { eventFrame, isChatChannel, liveChangeOf, resetFrame } from './change.js';
import type { Missed, Receiver } from './gate.js';
import type { LogTail } from './log-tail.js';
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

/** What a replay of topics found: the frames missed, or that the log no longer holds them all. */
export type TopicReplay = { kind: 'missed'; frames: Missed[] } | { kind: 'reset'; frames: Missed[] };

/**
 * This instance's topic subscriptions, for every live transport (WebSocket `subscribe` and SSE
 * alike). Distinct topics are kept once, with their receivers: each committed change is matched
 * once per distinct topic of its resource, its frame built once per matching topic, and that very
 * string written to every receiver of the topic.
 */
export class Subscriptions {
  /** resource → topic key → subscription */
  readonly #byResource = new Map<string, Map<string, Subscribed>>();
  readonly #stop: () => void;

  constructor(
    private readonly tail: LogTail,
    private readonly replayer: Replayer,
    readonly grammar: TopicGrammar,
    private readonly onFanOut: (frame: string, receivers: number) => void = () => {},
  ) {
    this.#stop = tail.subscribe((entry) => this.#onEntry(entry));
  }

  subscribe(topic: Topic, receiver: Receiver): void {
    let topics = this.#byResource.get(topic.resource);
    if (!topics) this.#byResource.set(topic.resource, (topics = new Map()));
    let subscribed = topics.get(topic.key);
    if (!subscribed) topics.set(topic.key, (subscribed = { topic, channel: topicChannel(topic.key), receivers: new Set() }));
    subscribed.receivers.add(receiver);
  }

  unsubscribe(topic: Topic, receiver: Receiver): void {
    const topics = this.#byResource.get(topic.resource);
    const subscribed = topics?.get(topic.key);
    if (!topics || !subscribed) return;
    subscribed.receivers.delete(receiver);
    if (subscribed.receivers.size === 0) topics.delete(topic.key);
    if (topics.size === 0) this.#byResource.delete(topic.resource);
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
    if (entries === undefined) return { kind: 'reset', frames: topics.map((t) => ({ seq: cut, frame: resetFrame(t.key, t.href, cut) })) };
    return { kind: 'missed', frames: this.framesOf(topics, entries) };
  }

  /** The event frames `topics` get for these log entries (change entries of their resources), in order. */
  framesOf(topics: readonly Topic[], entries: readonly LogEntry[]): Missed[] {
    const out: Missed[] = [];
    for (const entry of entries) {
      if (isChatChannel(entry.channel) || !topics.some((t) => t.resource === entry.channel)) continue;
      const change = liveChangeOf(entry);
      for (const topic of topics) {
        if (topic.resource === change.resource && topic.matches(change.data)) out.push({ seq: change.seq, frame: eventFrame(topic.key, change) });
      }
    }
    return out;
  }

  close(): void {
    this.#stop();
    this.#byResource.clear();
  }

  #onEntry(entry: LogEntry): void {
    const topics = this.#byResource.get(entry.channel);
    if (!topics) return;
    const change = liveChangeOf(entry);
    for (const subscribed of topics.values()) {
      if (!subscribed.topic.matches(change.data)) continue;
      const frame = eventFrame(subscribed.topic.key, change);
      for (const receiver of subscribed.receivers) receiver.deliver(subscribed.channel, change.seq, frame);
      this.onFanOut(frame, subscribed.receivers.size);
    }
  }
}
