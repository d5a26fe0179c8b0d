/**
 * When the representation caches (src/http/item-cache.ts, src/http/page-cache.ts) may answer.
 *
 * A cache keeps what it read at generation g and serves it while the generation is still g. The
 * generation counts every change this process knows of: its own writes (bumped as each batch
 * begins and ends, src/store/write-path.ts), every data entry the live tail delivers (its own
 * commits, and other instances' heard over the bus or read from the log), and on SQLite the
 * commits of other processes (data_version, src/store/sqlite.ts).
 *
 * On SQLite that is the whole truth at once. On PostgreSQL other instances commit too, and the
 * tail hears of their entries a little later. So a read there first takes a fence: the log's
 * head as of a query that started after the read arrived. If the tail has delivered everything
 * up to that head, every change committed before the read is counted and the cache may answer —
 * a read sees every write acknowledged before it, on any instance. (`boutique import` and `seed`
 * write without log entries; they count themselves in a row the fence reads too.) If not, the read goes to the
 * database (and the tail is told to catch up). Reads that arrive together share one fence query,
 * so the cost of freshness is one small statement per batch of reads, not one per read.
 */
export interface DataClock {
  /** The generation as this process knows it now; undefined: nothing may be cached. */
  known(): number | undefined;
  /** The generation a read arriving now may be served from a cache at; undefined: read the database. */
  fresh(): number | undefined | Promise<number | undefined>;
}

/** A clock that never lets a cache answer (tests that mount resources without a live tail). */
export const NO_CACHE: DataClock = { known: () => undefined, fresh: () => undefined };

export interface DataClockSources {
  /** This process's own writes (WritePath.generation). */
  writes: () => number;
  /** Other processes' commits, where the connection can tell (SQLite); undefined where it cannot. */
  external: () => number | undefined;
  /** Data entries delivered by the live tail so far. */
  delivered: () => number;
  /**
   * PostgreSQL only: the head of the change log with the count of imports that wrote past it
   * (ChangeLog.marks), and the position up to which the tail has delivered; `catchUp` asks the
   * tail to read the log up to a head it has not reached.
   */
  shared?: { marks: () => Promise<{ head: number; unlogged: number }>; tailPosition: () => number; catchUp: (head: number) => void };
}

export function dataClock(sources: DataClockSources): DataClock {
  // Imports seen to have written since the last fence (each one forgets every cached representation).
  let imports = 0;
  const known = (): number => sources.writes() + sources.delivered() + (sources.external() ?? 0) + imports;
  const shared = sources.shared;
  if (shared === undefined) return { known, fresh: known };
  const fence = coalesced(shared.marks);
  let unlogged: number | undefined;
  // The highest head the tail was asked to reach: asked once, not by every read behind it.
  let asked = 0;
  return {
    known,
    fresh: () =>
      fence().then(
        (marks) => {
          if (marks.unlogged !== unlogged) {
            unlogged = marks.unlogged;
            imports++;
          }
          if (shared.tailPosition() >= marks.head) return known();
          if (marks.head > asked) {
            asked = marks.head;
            shared.catchUp(marks.head);
          }
          return undefined;
        },
        // The database is away: the read itself will say so (503).
        () => undefined,
      ),
  };
}

/**
 * `query`, shared by the callers that arrive together: a call gets the result of a query that
 * started after the call (never of one already in flight, which might predate a commit the
 * caller saw), and every call made while a query runs shares the one that runs next.
 */
export function coalesced<T>(query: () => Promise<T>): () => Promise<T> {
  let running: Promise<T> | undefined;
  let next: Promise<T> | undefined;
  const start = (): Promise<T> => {
    const started = query().finally(() => {
      if (running === started) running = undefined;
    });
    running = started;
    return started;
  };
  return () => {
    if (running === undefined) return start();
    next ??= running.then(
      () => undefined,
      () => undefined,
    ).then(() => {
      next = undefined;
      return start();
    });
    return next;
  };
}
