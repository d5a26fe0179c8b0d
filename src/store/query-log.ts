import type { LogEvent, Logger } from 'kysely';

/** Told about every query: how long it took and whether it failed. Metrics listen here. */
export type QueryObserver = (durationMs: number, ok: boolean) => void;

export interface ConnectionOptions {
  onQuery?: QueryObserver | undefined;
}

/** Kysely's `log` option for an observer, or nothing (Kysely then skips timing entirely). */
export function queryLog(onQuery: QueryObserver | undefined): { log?: Logger } {
  if (onQuery === undefined) return {};
  return { log: (event: LogEvent) => onQuery(event.queryDurationMillis, event.level === 'query') };
}
