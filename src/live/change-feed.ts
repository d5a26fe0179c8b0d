import type { Bus } from '../bus/bus.js';

export type ChangeAction = 'created' | 'updated' | 'deleted';

/** The bus channel that carries a topic's events, e.g. `topic:customers/7/orders`. */
export const topicChannel = (topic: string): string => `topic:${topic}`;

/** Topics a client may subscribe to (SPEC "Sockets", issue 4). */
export const TOPIC_PATTERN = /^(customers|orders|customers\/[1-9]\d{0,15}|customers\/[1-9]\d{0,15}\/orders)$/;

/**
 * Every committed REST write becomes one event per topic it concerns. Routes call `publish`
 * after the store has committed, so subscribers never see a change that could still roll back.
 * The presented resource is serialized once; each topic's frame is a concatenation around it.
 */
export class ChangeFeed {
  /** Publishes run one after another so each topic's events keep commit order on every bus. */
  #tail: Promise<unknown> = Promise.resolve();

  constructor(private readonly bus: Bus, private readonly onError: (err: unknown) => void = () => {}) {}

  publish(topics: readonly string[], action: ChangeAction, resource: unknown): Promise<void> {
    const data = JSON.stringify(resource);
    const run = async () => {
      for (const topic of topics) {
        const frame = '{"type":"event","topic":' + JSON.stringify(topic) + ',"action":"' + action + '","data":' + data + '}';
        await this.bus.publish(topicChannel(topic), frame);
      }
    };
    const next = this.#tail.then(run, run);
    this.#tail = next.catch((err: unknown) => this.onError(err));
    return this.#tail as Promise<void>;
  }

  /** Resolves when every event published so far has reached the bus. */
  async flush(): Promise<void> {
    await this.#tail;
  }
}
