import type { Bus } from '../bus/bus.js';
import type { ChangeLog, LogEntry } from '../store/change-log.js';

/** The bus channel that carries log entries between instances. */
export const LOG_CHANNEL = 'log';
/** How often how far publishing got is written to the database (it is only where recovery starts). */
const RECORD_EVERY_MS = 250;
const RECOVER_PAGE = 500;

export const encodeEntries = (entries: readonly LogEntry[]): string => JSON.stringify(entries);
export const decodeEntries = (text: string): LogEntry[] => JSON.parse(text) as LogEntry[];

/**
 * Hands what this instance committed to the other instances, over the bus, right after the
 * commit; records how far that got; and on start publishes again whatever a crash left
 * unpublished. The bus is only the fast way: an instance that misses a message reads the entry
 * from the log (src/live/log-tail.ts), so a crash or a Redis outage delays an event and never
 * loses it. With the in-process bus there is no other instance, and nothing to do.
 */
export class Relay {
  #published = 0;
  #recorded = 0;
  #timer: NodeJS.Timeout | undefined;
  #tail: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly bus: Bus,
    private readonly log: ChangeLog,
    private readonly onError: (err: unknown) => void = () => {},
  ) {}

  /** Publishes entries this instance committed; in order, without holding up the commit. */
  publish(entries: readonly LogEntry[]): void {
    if (!this.bus.shared || entries.length === 0) return;
    const text = encodeEntries(entries);
    const last = entries.at(-1)!.position;
    const run = async () => {
      await this.bus.signal(LOG_CHANNEL, text);
      this.#published = Math.max(this.#published, last);
      this.#scheduleRecord();
    };
    this.#tail = this.#tail.then(run, run).catch((err: unknown) => this.onError(err));
  }

  /** After a restart: what was committed but maybe never published goes out now. */
  async recover(head: number): Promise<void> {
    if (!this.bus.shared) return;
    for (let after = await this.log.publishedThrough(); after < head; ) {
      const entries = await this.log.readAll(after, RECOVER_PAGE);
      if (entries.length === 0) break;
      await this.bus.signal(LOG_CHANNEL, encodeEntries(entries));
      after = entries.at(-1)!.position;
      this.#published = Math.max(this.#published, after);
    }
    await this.#record();
  }

  async flush(): Promise<void> {
    await this.#tail;
    clearTimeout(this.#timer);
    this.#timer = undefined;
    await this.#record().catch((err: unknown) => this.onError(err));
  }

  #scheduleRecord(): void {
    if (this.#timer !== undefined) return;
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      this.#record().catch((err: unknown) => this.onError(err));
    }, RECORD_EVERY_MS);
    this.#timer.unref();
  }

  async #record(): Promise<void> {
    if (this.#published <= this.#recorded) return;
    const position = this.#published;
    await this.log.recordPublished(position);
    this.#recorded = position;
  }
}
