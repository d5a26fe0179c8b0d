import type { Bus } from '../bus/bus.js';
import type { Change } from '../store/change.js';
import { decodeChange, encodeChange, type LiveChange } from './change.js';

/** The bus channel that carries every committed change, in seq order. */
export const CHANGES_CHANNEL = 'changes';
/** How many missed changes one replay reads back at most. */
export const REPLAY_LIMIT = 1000;

/** Where the live side gets committed changes: live, and back from a position. */
export interface ChangeSource {
  /** Every change from now on, in seq order; returns the function that stops. */
  subscribe(listener: (change: LiveChange) => void): () => void;
  /** Changes with after < seq ≤ cut, in seq order. */
  since(after: number, cut: number): Promise<LiveChange[]>;
  /** The position everything delivered so far reaches: a replay's cut. */
  head(): Promise<number>;
}

/**
 * Changes through the bus (in-process or Redis): the writer's instance publishes each committed
 * change on one channel, every instance listens to it once, and resume reads the bus's log.
 */
export class BusChangeSource implements ChangeSource {
  constructor(private readonly bus: Bus) {}

  subscribe(listener: (change: LiveChange) => void): () => void {
    return this.bus.subscribe(CHANGES_CHANNEL, (m) => {
      if (m.seq > 0) listener(decodeChange(m.seq, m.data));
    });
  }

  async since(after: number, cut: number): Promise<LiveChange[]> {
    const messages = await this.bus.since(CHANGES_CHANNEL, after, REPLAY_LIMIT);
    return messages.filter((m) => m.seq <= cut).map((m) => decodeChange(m.seq, m.data));
  }

  head(): Promise<number> {
    return this.bus.lastSeq();
  }
}

/**
 * Publishes what the write path committed, one change at a time and in commit order, so each
 * subscriber sees a resource's changes in the order they were made. The REST response does not
 * wait for it; a publish that fails (Redis down) is reported to `onError` and the write stands.
 */
export class ChangeFeed {
  #tail: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly bus: Bus,
    private readonly onPublished: (change: Change) => void = () => {},
    private readonly onError: (err: unknown) => void = () => {},
  ) {}

  publish(changes: readonly Change[]): void {
    const messages = changes.map(encodeChange);
    const run = async () => {
      for (let i = 0; i < messages.length; i++) {
        await this.bus.publish(CHANGES_CHANNEL, messages[i]!);
        this.onPublished(changes[i]!);
      }
    };
    const next = this.#tail.then(run, run);
    this.#tail = next.catch((err: unknown) => this.onError(err));
  }

  /** Resolves when every change published so far has reached the bus. */
  async flush(): Promise<void> {
    await this.#tail;
  }
}
