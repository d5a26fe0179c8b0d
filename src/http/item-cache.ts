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
 * Single resources kept as served — body, ETag and position, per path and media type — for as
 * long as the data's generation (src/http/data-clock.ts) stays the same: nothing written by this
 * process, by another process on SQLite, or by any instance on PostgreSQL (as far as the change
 * log says at a fence taken after the read arrived). A read asked for again is then a map lookup:
 * no statement, no presenting, no serializing. Any change forgets every entry, so no knowledge
 * of which rows a write touched is needed to be right.
 */
export class ItemCache<T> {
  #entries = new Map<string, Entry>();
  #generation: number | undefined;

  constructor(private readonly clock: DataClock) {}

  /**
   * Answers a read of one resource from the cache, or from `load`; `missing` is the error thrown
   * when there is no such resource (404s are not kept).
   */
  serve(request: FastifyRequest, reply: FastifyReply, view: View<T>, load: () => Promise<ItemRead<T>>, missing: () => Error): string | FastifyReply | Promise<string | FastifyReply> {
    const generation = this.clock.fresh();
    if (generation instanceof Promise) return generation.then((fresh) => this.#serve(request, reply, view, load, missing, fresh));
    return this.#serve(request, reply, view, load, missing, generation);
  }

  #serve(request: FastifyRequest, reply: FastifyReply, view: View<T>, load: () => Promise<ItemRead<T>>, missing: () => Error, generation: number | undefined): string | FastifyReply | Promise<string | FastifyReply> {
    const media = request.media;
    const key = media + ' ' + request.url;
    if (generation !== undefined) {
      if (generation !== this.#generation) {
        this.#entries = new Map();
        this.#generation = generation;
      } else {
        const hit = this.#entries.get(key);
        if (hit !== undefined) return this.#send(request, reply, hit, media);
      }
    }
    return load().then(({ value, position }) => {
      if (value === undefined) throw missing();
      const entry: Entry = { body: render(view, value.value, media, request), etag: '"' + value.version + ETAG_SUFFIX[media] + '"', position: String(position) };
      if (generation !== undefined && this.clock.known() === generation) {
        if (this.#entries.size >= ENTRIES) this.#entries = new Map();
        this.#entries.set(key, entry);
      }
      return this.#send(request, reply, entry, media);
    });
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
