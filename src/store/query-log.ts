import type { LogEvent, Logger } from 'kysely';

/** Told about every query: how long it took and whether it failed. Metrics listen here. */
export type QueryObserver = (durationMs: number, ok: boolean) => void;

export interface ConnectionOptions {
  onQuery?: QueryObserver | undefined;
  /**
   * SQLITE_SYNCHRONOUS: `full` makes `durable()` fsync the write-ahead log (off the event loop),
   * and the write path answers after it, so an acknowledged write survives a power cut or an OS
   * crash; `normal` answers at the commit, which survives a crash of the process only. Ignored by PostgreSQL, whose commit is durable by its own settings.
   */
  synchronous?: 'full' | 'normal' | undefined;
  /** Hears what fails off the request path (SQLite's checkpoints, src/store/checkpointer.ts). */
  onBackgroundError?: ((err: Error) => void) | undefined;
}

/** Kysely's `log` option for an observer, or nothing (Kysely then skips timing entirely). */
export function queryLog(onQuery: QueryObserver | undefined): { log?: Logger } {
  if (onQuery === undefined) return {};
  return { log: (event: LogEvent) => onQuery(event.queryDurationMillis, event.level === 'query') };
}
