import type { ChangeLog, LogEntry } from '../store/change-log.js';

/** How long an out-of-order entry waits for the ones before it to arrive before they are read from the log. */
const GAP_WAIT_MS = 20;
/** Entries read from the log at once when catching up. */
const PAGE = 500;

export type EntryListener = (entry: LogEntry) => void;

/**
 * This instance's view of the change log, delivered in position order with no gap and nothing
 * twice: the one source every live delivery (chat rooms, topics, SSE) reads.
 *
 * Entries arrive from this instance's own commits at once, from other instances over the bus,
 * and — for whatever neither brought (a publish lost in a crash, Redis restarting empty) — from
 * the log itself. Positions are dense and commit in order (src/store/change-log.ts), so when an
 * entry arrives whose predecessor has not, the predecessor is committed (or about to be handed
 * over by its own commit): after a short wait the tail reads it from the log.
 */
export class LogTail {
  #position: number;
  readonly #pending = new Map<number, LogEntry>();
  readonly #listeners = new Set<EntryListener>();
  readonly #waiters = new Set<{ position: number; resolve: (reached: boolean) => void }>();
  #fill: NodeJS.Timeout | undefined;
  #filling: Promise<void> | undefined;
  #poller: NodeJS.Timeout | undefined;
  #closed = false;

  constructor(
    private readonly log: Pick<ChangeLog, 'readAll' | 'head'>,
    private readonly headOf: () => Promise<number>,
    start: number,
    private readonly onError: (err: unknown) => void = () => {},
  ) {
    this.#position = start;
  }

  /** Every position up to this one has been delivered. */
  get position(): number {
    return this.#position;
  }

  subscribe(listener: EntryListener): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** Entries committed (by this instance, or heard from another); any order, repeats ignored. */
  offer(entries: readonly LogEntry[]): void {
    if (this.#closed) return;
    for (const entry of entries) {
      if (entry.position > this.#position) this.#pending.set(entry.position, entry);
    }
    this.#advance();
    if (this.#pending.size > 0) this.#scheduleFill(GAP_WAIT_MS);
  }

  /**
   * Resolves once everything up to `position` is delivered, reading the log if needed (a client
   * that saw a position on another instance, or in a REST response, resumes from it here).
   * False when `position` is not reached within `timeoutMs` (it is beyond the log's head).
   */
  reach(position: number, timeoutMs: number): Promise<boolean> {
    if (position <= this.#position) return Promise.resolve(true);
    return new Promise((resolve) => {
      const waiter = {
        position,
        resolve: (reached: boolean) => {
          clearTimeout(timer);
          this.#waiters.delete(waiter);
          resolve(reached);
        },
      };
      const timer = setTimeout(() => {
        this.#waiters.delete(waiter);
        resolve(false);
      }, timeoutMs);
      this.#waiters.add(waiter);
      this.#scheduleFill(0);
    });
  }

  /** Reads the log's head every `ms` and catches up: on an instance that shares the database with others. */
  poll(ms: number): void {
    this.#poller = setInterval(() => this.#scheduleFill(0), ms);
    this.#poller.unref();
  }

  close(): void {
    this.#closed = true;
    clearInterval(this.#poller);
    clearTimeout(this.#fill);
    for (const waiter of [...this.#waiters]) waiter.resolve(false);
  }

  #advance(): void {
    for (let next = this.#pending.get(this.#position + 1); next !== undefined; next = this.#pending.get(this.#position + 1)) {
      this.#pending.delete(next.position);
      this.#position = next.position;
      for (const listener of this.#listeners) {
        try {
          listener(next);
        } catch (err) {
          this.onError(err);
        }
      }
    }
    for (const waiter of [...this.#waiters]) if (waiter.position <= this.#position) waiter.resolve(true);
  }

  #scheduleFill(ms: number): void {
    if (this.#closed || this.#fill !== undefined) return;
    this.#fill = setTimeout(() => {
      this.#fill = undefined;
      this.#filling ??= this.#catchUp()
        .catch((err: unknown) => this.onError(err))
        .finally(() => {
          this.#filling = undefined;
          if (this.#pending.size > 0 || [...this.#waiters].some((w) => w.position > this.#position)) this.#scheduleFill(GAP_WAIT_MS * 5);
        });
    }, ms);
    this.#fill.unref();
  }

  /** Reads from the log everything after the delivered position, up to its head. */
  async #catchUp(): Promise<void> {
    const head = await this.headOf();
    // Nothing beyond the committed head can arrive: a position past it was never in this log.
    for (const waiter of [...this.#waiters]) if (waiter.position > head) waiter.resolve(false);
    while (!this.#closed && this.#position < head) {
      const entries = await this.log.readAll(this.#position, PAGE);
      if (entries.length === 0) break;
      if (entries[0]!.position > this.#position + 1) {
        // Retention deleted entries this tail never delivered: it lagged for longer than the log
        // keeps anything. Say so, and go on from what is there (clients resuming from before
        // the gap are answered with a reset by the replay, which checks the same bound).
        this.onError(new Error(`live tail skipped positions ${this.#position + 1}–${entries[0]!.position - 1}, deleted by retention before delivery`));
        this.#position = entries[0]!.position - 1;
      }
      this.offer(entries);
    }
  }
}
