import type { FastifyReply, FastifyRequest } from 'fastify';
import { CONTENT_TYPE, ETAG_SUFFIX, type MediaType } from './negotiate.js';
import { noneMatch } from './etag.js';
import { POSITION_HEADER, type View } from './representation.js';
import type { DataClock } from './data-clock.js';

/** One representation as served: its bytes, its tag, and the change-log position it reflects. */
interface Entry {
  body: string;
  etag: string;
  /** As the header carries it: a number header value costs Node a conversion and a slower check per answer. */
  position: string;
}

/** A resource as its service reads it: the presented value and its version, at a log position. */
export interface ItemRead<T> {
  value: { value: T; version: string } | undefined;
  position: number;
}

/** Representations kept at most; past it the cache starts over (a fixed bound, whatever the ids asked for). */
const ENTRIES = 10_000;

/**
 * Single resources kept as served — body, ETag and position, per path and media type — until the
 * change log says their row changed (src/http/data-clock.ts): a write through any instance, on
 * PostgreSQL as of a fence taken after the read arrived. Changes the log does not describe (another
 * process's commits to the SQLite file, `boutique import`) forget every entry. A read asked for
 * again is then a map lookup: no statement, no presenting, no serializing; a write to one customer
 * leaves every other one's representations in place.
 */
export class ItemCache<T> {
  #entries = new Map<string, Entry>();
  /** The keys kept for each row (one per media type and spelling of its path). */
  #byRow = new Map<number, string[]>();
  #epoch: number | undefined;

  /** `resource` is the registry name the change log files this resource's changes under. */
  constructor(
    private readonly clock: DataClock,
    private readonly resource: string,
  ) {
    clock.onChange((changed, id) => {
      if (changed !== this.resource) return;
      if (id === undefined) return this.#clear();
      const keys = this.#byRow.get(id);
      if (keys === undefined) return;
      for (const key of keys) this.#entries.delete(key);
      this.#byRow.delete(id);
    });
  }

  /**
   * Answers a read of row `id` from the cache, or from `load`; `missing` is the error thrown
   * when there is no such resource (404s are not kept).
   */
  serve(request: FastifyRequest, reply: FastifyReply, view: View<T>, id: number, load: () => Promise<ItemRead<T>>, missing: () => Error): string | FastifyReply | Promise<string | FastifyReply> {
    const epoch = this.clock.fresh();
    if (epoch instanceof Promise) return epoch.then((fresh) => this.#serve(request, reply, view, id, load, missing, fresh));
    return this.#serve(request, reply, view, id, load, missing, epoch);
  }

  #serve(request: FastifyRequest, reply: FastifyReply, view: View<T>, id: number, load: () => Promise<ItemRead<T>>, missing: () => Error, epoch: number | undefined): string | FastifyReply | Promise<string | FastifyReply> {
    const media = request.media;
    const key = media + ' ' + request.url;
    if (epoch !== undefined) {
      if (epoch !== this.#epoch) {
        this.#clear();
        this.#epoch = epoch;
      } else {
        const hit = this.#entries.get(key);
        if (hit !== undefined) return this.#send(request, reply, hit, media);
      }
    }
    const generation = this.clock.known();
    return load().then(({ value, position }) => {
      if (value === undefined) throw missing();
      const entry: Entry = { body: render(view, value.value, media, request), etag: '"' + value.version + ETAG_SUFFIX[media] + '"', position: String(position) };
      // Kept only if no write of this process was in flight and no change arrived while it was read.
      if (epoch !== undefined && generation !== undefined && this.clock.known() === generation && this.#epoch === epoch) this.#remember(key, id, entry);
      return this.#send(request, reply, entry, media);
    });
  }

  #remember(key: string, id: number, entry: Entry): void {
    if (!this.#entries.has(key)) {
      if (this.#entries.size >= ENTRIES) this.#clear();
      const keys = this.#byRow.get(id);
      if (keys === undefined) this.#byRow.set(id, [key]);
      else keys.push(key);
    }
    this.#entries.set(key, entry);
  }

  #clear(): void {
    this.#entries = new Map();
    this.#byRow = new Map();
  }

  #send(request: FastifyRequest, reply: FastifyReply, entry: Entry, media: MediaType): string | FastifyReply {
    reply.header('etag', entry.etag);
    reply.header(POSITION_HEADER, entry.position);
    if (noneMatch(request.headers['if-none-match'], entry.etag)) return reply.code(304).send();
    reply.header('content-type', CONTENT_TYPE[media]);
    return entry.body;
  }
}

function render<T>(view: View<T>, value: T, media: MediaType, request: FastifyRequest): string {
  switch (media) {
    case 'application/json':
      return JSON.stringify(value);
    case 'text/html':
      return view.html(value, request);
    case 'text/plain':
      return view.text(value);
    case 'text/csv':
      return view.csv(value);
  }
}
