import type { FastifyReply, FastifyRequest } from 'fastify';
import { represent, type View } from './representation.js';
import { listVersion } from './etag.js';
import { pagingLinks } from './list-query.js';
import type { ListPage } from './list-page.js';
import type { DataClock } from './data-clock.js';

/** A page as served: the presented items, their JSON, the validator and the paging headers. */
interface Entry<T> {
  list: ListPage<T>;
  json: string;
  version: string;
  link: string;
  totalCount: string;
  /** The change-log position the page reflects (kept only while nothing changed, so it stays true). */
  position: number;
}

export interface PageCacheLimits {
  /** Pages kept at most; past it the cache starts over. */
  entries: number;
  /** JSON bytes kept at most, all pages together; past it the cache starts over. */
  bytes: number;
  /** A page larger than this is served but never kept. */
  entryBytes: number;
}

const DEFAULT_LIMITS: PageCacheLimits = { entries: 512, bytes: 16 * 1024 * 1024, entryBytes: 512 * 1024 };

/**
 * List pages kept as served — items, JSON, ETag and Link — until the change log delivers a change
 * or the data's epoch moves (src/http/data-clock.ts: this process's writes at once, another SQLite
 * process's within 100 ms, any PostgreSQL instance's as of a fence taken after the request
 * arrived). A page asked for again is then
 * a map lookup instead of a count, a page query, presenting, serializing and hashing — what
 * json-server gets by holding its whole database in memory, without giving up the database.
 *
 * Keyed by the request URL, which names the page completely (the query string is validated
 * before the handler runs, and the path carries the customer of a nested list). Any change
 * forgets every page: correctness needs no knowledge of which pages a write touched.
 */
export class PageCache<T> {
  #entries = new Map<string, Entry<T>>();
  #epoch: number | undefined;
  #bytes = 0;

  constructor(
    private readonly clock: DataClock,
    private readonly limits: PageCacheLimits = DEFAULT_LIMITS,
  ) {
    // A page depends on many rows (and a nested list on its parent): any change forgets every page.
    clock.onChange(() => this.#clear());
  }

  /**
   * Answers a list request from the cache, or from `load` (which reads the page from the store)
   * and remembers the result when nothing changed while it was read.
   */
  serve(request: FastifyRequest, reply: FastifyReply, view: View<ListPage<T>>, load: () => Promise<{ value: ListPage<T>; position: number }>): Promise<string | FastifyReply> {
    const epoch = this.clock.fresh();
    // On SQLite the epoch is known at once: no extra turn of the microtask queue for it.
    if (epoch instanceof Promise) return epoch.then((fresh) => this.#serve(request, reply, view, load, fresh));
    return this.#serve(request, reply, view, load, epoch);
  }

  async #serve(request: FastifyRequest, reply: FastifyReply, view: View<ListPage<T>>, load: () => Promise<{ value: ListPage<T>; position: number }>, epoch: number | undefined): Promise<string | FastifyReply> {
    let entry = epoch === undefined ? undefined : this.#lookup(request.url, epoch);
    if (entry === undefined) {
      const generation = this.clock.known();
      const { value: list, position } = await load();
      const json = JSON.stringify(list.items);
      entry = {
        list,
        json,
        version: listVersion(json, list.page, list.perPage, list.total),
        link: pagingLinks(request.url, list.page, list.perPage, list.total),
        totalCount: String(list.total),
        position,
      };
      // Kept only if no write of this process was in flight and no change arrived while it was read.
      if (epoch !== undefined && generation !== undefined && this.clock.known() === generation && this.#epoch === epoch) this.#remember(request.url, entry);
    }
    reply.header('link', entry.link);
    reply.header('x-total-count', entry.totalCount);
    return represent(request, reply, view, entry.list, entry.version, { json: entry.json, position: entry.position });
  }

  #lookup(url: string, epoch: number): Entry<T> | undefined {
    if (epoch !== this.#epoch) {
      this.#clear();
      this.#epoch = epoch;
      return undefined;
    }
    return this.#entries.get(url);
  }

  #remember(url: string, entry: Entry<T>): void {
    const size = entry.json.length;
    if (size > this.limits.entryBytes) return;
    const previous = this.#entries.get(url);
    if (previous !== undefined) this.#bytes -= previous.json.length;
    else if (this.#entries.size >= this.limits.entries || this.#bytes + size > this.limits.bytes) this.#clear();
    this.#entries.set(url, entry);
    this.#bytes += size;
  }

  #clear(): void {
    this.#entries = new Map();
    this.#bytes = 0;
  }
}
