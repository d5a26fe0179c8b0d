import type { ChangeLog, Retention } from '../store/change-log.js';

/** How often each instance applies retention to the change log (deleting is idempotent across instances). */
export const PRUNE_EVERY_MS = 5000;

/**
 * Keeps the change log within its retention (LOG_RETENTION_MS, LOG_RETENTION_COUNT): what it
 * may hold is bounded by the count, whatever the traffic. A client resuming from before what is
 * kept gets a reset (src/live/replay.ts), never a silent gap.
 */
export class LogRetention {
  #timer: NodeJS.Timeout | undefined;
  #running: Promise<number> | undefined;

  constructor(
    private readonly log: Pick<ChangeLog, 'prune'>,
    private readonly retention: Retention,
    private readonly onError: (err: unknown) => void = () => {},
  ) {}

  start(everyMs = PRUNE_EVERY_MS): void {
    this.#timer = setInterval(() => void this.prune().catch(this.onError), everyMs);
    this.#timer.unref();
  }

  /** Deletes what retention no longer keeps now; resolves with the highest position deleted so far. */
  prune(): Promise<number> {
    return (this.#running ??= this.log.prune(this.retention).finally(() => (this.#running = undefined)));
  }

  stop(): void {
    clearInterval(this.#timer);
  }
}
