import type { ChangeSource } from './change-source.js';
import { eventFrame, type LiveChange } from './change.js';
import type { Missed, Receiver } from './gate.js';
import type { Topic, TopicGrammar } from './topics.js';

/** The gate channel of a topic's frames (a held frame of a replayed topic is dropped up to the cut). */
export const topicChannel = (key: string): string => `topic:${key}`;

interface Subscribed {
  topic: Topic;
  channel: string;
  receivers: Set<Receiver>;
}

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
    private readonly source: ChangeSource,
    readonly grammar: TopicGrammar,
    private readonly onFanOut: (frame: string, receivers: number) => void = () => {},
  ) {
    this.#stop = source.subscribe((change) => this.#onChange(change));
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

  /** The position every change delivered so far reaches: a replay's cut. */
  head(): Promise<number> {
    return this.source.head();
  }

  /** The event frames `topics` would have received for changes with after < seq ≤ cut, in seq order. */
  async missed(topics: readonly Topic[], after: number, cut: number): Promise<Missed[]> {
    if (topics.length === 0 || after >= cut) return [];
    const out: Missed[] = [];
    for (const change of await this.source.since(after, cut)) {
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

  #onChange(change: LiveChange): void {
    const topics = this.#byResource.get(change.resource);
    if (!topics) return;
    for (const subscribed of topics.values()) {
      if (!subscribed.topic.matches(change.data)) continue;
      const frame = eventFrame(subscribed.topic.key, change);
      for (const receiver of subscribed.receivers) receiver.deliver(subscribed.channel, change.seq, frame);
      this.onFanOut(frame, subscribed.receivers.size);
    }
  }
}
