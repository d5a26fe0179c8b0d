import { singleFlight } from '../store/single-flight.js';

/**
 * When the representation caches (src/http/item-cache.ts, src/http/page-cache.ts) may answer.
 *
 * Three signals, from the change log and the database:
 * - **a row changed**: every data entry the live tail delivers (this process's commits at once,
 *   other instances' heard over the bus or read from the log) names its resource and row; an item
 *   cache forgets that row's representations, a page cache every page (a page depends on many rows,
 *   and a customer's deletion empties another resource's nested list);
 * - **the epoch**: changes no entry describes — another process's commits to the SQLite file
 *   (data_version, src/store/sqlite.ts), `boutique import` and `seed` (which write without log
 *   entries and count themselves in bus_state) — make every cache start over;
 * - **the generation** (`known`): moves with every batch of this process's writes (as it begins
 *   and as it ends, src/store/write-path.ts), every delivered entry and every epoch. A
 *   representation read between two equal values of it saw no write of this process in flight
 *   and no change delivered meanwhile, so it is kept; otherwise it is served once and not kept.
 *
 * On SQLite this is the whole truth at once. On PostgreSQL other instances commit too, and the
 * tail hears of their entries a little later. So a read there first takes a fence: the log's
 * head (and the import count) as of a query that started after the read arrived. If the tail has
 * delivered everything up to that head, every change committed before the read has reached the
 * caches and they may answer — a read sees every write acknowledged before it, on any instance.
 * If not, the read goes to the database (and the tail is told to catch up). Reads that arrive
 * together share one fence query, so freshness costs one small statement per batch of reads.
 */
export interface DataClock {
  /** The generation now (see above); undefined: nothing may be kept. */
  known(): number | undefined;
  /** The epoch a read arriving now may be answered from a cache at; undefined: read the database. */
  fresh(): number | undefined | Promise<number | undefined>;
  /** Calls `listener` with the resource and row id of every change delivered, for as long as the app runs. */
  onChange(listener: ChangeListener): void;
}

export type ChangeListener = (resource: string, id: number | undefined) => void;

/** A clock that never lets a cache answer (tests that mount resources without a live tail). */
export const NO_CACHE: DataClock = { known: () => undefined, fresh: () => undefined, onChange: () => {} };

export interface DataClockSources {
  /** This process's own writes (WritePath.generation). */
  writes: () => number;
  /** Other processes' commits, where the connection can tell (SQLite); undefined where it cannot. */
  external: () => number | undefined;
  /** Hears every data entry the live tail delivers: its resource (the channel) and its row, as logged. */
  delivered: (listener: (resource: string, data: string) => void) => void;
  /**
   * PostgreSQL only: the head of the change log with the count of imports that wrote past it
   * (ChangeLog.marks), and the position up to which the tail has delivered; `catchUp` asks the
   * tail to read the log up to a head it has not reached.
   */
  shared?: { marks: () => Promise<{ head: number; unlogged: number }>; tailPosition: () => number; catchUp: (head: number) => void };
}

export function dataClock(sources: DataClockSources): DataClock {
  const listeners: ChangeListener[] = [];
  let changes = 0;
  sources.delivered((resource, data) => {
    changes++;
    const id = idOf(data);
    for (const listener of listeners) listener(resource, id);
  });
  // Imports seen by a fence (PostgreSQL): each starts a new epoch.
  let imports = 0;
  const epoch = (): number => (sources.external() ?? 0) + imports;
  const known = (): number => sources.writes() + changes + epoch();
  const onChange = (listener: ChangeListener): void => void listeners.push(listener);
  const shared = sources.shared;
  if (shared === undefined) return { known, fresh: epoch, onChange };
  const fence = singleFlight(shared.marks);
  let unlogged: number | undefined;
  // The highest head the tail was asked to reach: asked once, not by every read behind it.
  let asked = 0;
  return {
    known,
    onChange,
    fresh: () =>
      fence().then(
        (marks) => {
          if (marks.unlogged !== unlogged) {
            if (unlogged !== undefined) imports++;
            unlogged = marks.unlogged;
          }
          if (shared.tailPosition() >= marks.head) return epoch();
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

/** The row a logged change is about: presenters put `id` first; anything else is parsed. */
function idOf(data: string): number | undefined {
  const leading = /^\{"id":(\d+)[,}]/.exec(data);
  if (leading !== null) return Number(leading[1]);
  try {
    const id = (JSON.parse(data) as { id?: unknown }).id;
    return typeof id === 'number' ? id : undefined;
  } catch {
    return undefined;
  }
}
