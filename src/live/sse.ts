import type { OutgoingHttpHeaders, ServerResponse } from 'node:http';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { Type, type TObject } from 'typebox';
import { BoutiqueError } from '../errors.js';
import { EVERY_RESPONSE } from '../http/security-headers.js';
import { ConnectionCounter } from '../http/connection-limits.js';
import { Gate, replayThenLive, type Missed } from './gate.js';
import { SlowReaderPolicy } from './slow-reader.js';
import { topicChannel, type Subscriptions, type TopicReplay } from './subscriptions.js';
import type { Topic } from './topics.js';
import type { LiveList, LiveQueries } from './queries.js';

/** The query string of GET /events (the AsyncAPI document shows it too). */
export const EventsQuery = Type.Object(
  {
    topic: Type.Optional(
      Type.Array(Type.String({ maxLength: 128 }), {
        maxItems: 20,
        description: 'A topic (customers, customers/{id}, customers/{id}/orders, orders); repeat for several (default: every collection)',
      }),
    ),
    after: Type.Optional(Type.Integer({ minimum: 0, maximum: Number.MAX_SAFE_INTEGER, description: 'Start after this log position: the Boutique-Log-Position of a REST response, or the last event id seen (as the Last-Event-ID header)' })),
    lastEventId: Type.Optional(Type.Integer({ minimum: 0, maximum: Number.MAX_SAFE_INTEGER, description: 'Same as `after` and the Last-Event-ID header' })),
  },
  { additionalProperties: false },
);

const STREAM_HEADERS = {
  'content-type': 'text/event-stream; charset=utf-8',
  'cache-control': 'no-store',
  'x-accel-buffering': 'no',
} as const;

/**
 * One open event stream: a receiver of the topic fan-out that writes SSE events (WHATWG HTML
 * §9.2) to the response, behind the same gate and slow-reader policy as a WebSocket connection.
 * A change that matches several of the stream's topics is sent once (the first topic's frame), so
 * every event id is distinct and Last-Event-ID names a point with nothing half-sent before it.
 */
class EventStream extends Gate {
  #lastSeq: number;
  #keepAlive: NodeJS.Timeout | undefined;
  closed = false;

  constructor(
    private readonly response: ServerResponse,
    private readonly policy: SlowReaderPolicy,
    after: number,
  ) {
    super();
    this.#lastSeq = after;
  }

  /**
   * Marks the stream as caught up to `seq`: an event with an id and no data, which sets the
   * client's last event id without dispatching anything (WHATWG HTML §9.2.6), so a stream that
   * drops before its first event still resumes from where it started instead of from "now".
   */
  mark(seq: number): void {
    if (seq <= this.#lastSeq) return;
    this.#raw('id: ' + seq + '\n\n');
    this.#lastSeq = seq;
  }

  /** A live query's snapshot: its rows at position `seq`, the stream's start. */
  snapshot(start: Missed): void {
    this.#raw('id: ' + start.seq + '\ndata: ' + start.frame + '\n\n');
    this.#lastSeq = Math.max(this.#lastSeq, start.seq);
  }

  /** The reset events of a replay the log cannot give whole: each with the position the stream goes on from. */
  reset(frames: readonly Missed[]): void {
    for (const { seq, frame } of frames) this.#raw('id: ' + seq + '\ndata: ' + frame + '\n\n');
    this.#lastSeq = Math.max(this.#lastSeq, ...frames.map((f) => f.seq));
  }

  protected write(frame: string): void {
    if (this.closed) return;
    const seq = seqOf(frame);
    if (seq <= this.#lastSeq) return;
    this.#lastSeq = seq;
    this.#raw('id: ' + seq + '\ndata: ' + frame + '\n\n');
  }

  keepAlive(ms: number): void {
    // A client that left while its replay was read has closed the stream already: no timer for it
    // (it would tick, writing nothing, for as long as the process lives).
    if (this.closed) return;
    this.#keepAlive = setInterval(() => this.#raw(': keep-alive\n\n'), ms);
  }

  #raw(text: string): void {
    if (this.closed) return;
    if (this.policy.exceeded(this.response.writableLength)) {
      // The client reconnects with Last-Event-ID and gets what it missed from there.
      this.close();
      this.response.destroy();
      return;
    }
    this.response.write(text);
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.#keepAlive);
    this.response.end();
  }
}

/** Every event frame ends with `"seq":N}`; the stream's id is that N. */
function seqOf(frame: string): number {
  const at = frame.lastIndexOf('"seq":');
  return at === -1 ? 0 : Number(frame.slice(at + 6, -1));
}

/** Where a stream starts: after the Last-Event-ID header, or `?after=` / `?lastEventId=`; undefined: from now on. */
function resumePoint(request: FastifyRequest, query: { after?: number | undefined; lastEventId?: number | undefined }): number | undefined {
  const header = request.headers['last-event-id'];
  if (typeof header === 'string' && header.trim() !== '') {
    if (!/^\d{1,15}$/.test(header.trim())) throw new BoutiqueError('BAD_REQUEST', 'Last-Event-ID must be the id of an event received before.');
    return Number(header.trim());
  }
  return query.after ?? query.lastEventId;
}

const tooManyStreams = (max: number): BoutiqueError =>
  new BoutiqueError('TOO_MANY_REQUESTS', `Your address has ${max} event streams open already (SSE_MAX_PER_CLIENT); close one first.`, { headers: { 'retry-after': '5' } });

export interface SseOptions {
  subscriptions: Subscriptions;
  keepAliveMs: number;
  sendBufferMax: number;
  /** Streams one client address may hold open at once (SSE_MAX_PER_CLIENT; 0: no cap). */
  maxPerClient: number;
  /** False once shutdown began. */
  accepting: () => boolean;
  onSlowReader?: () => void;
  /** A stream began (its 200 is written): the HTTP metrics count it, as the onSend hook, which a taken-over reply skips, would have. */
  onOpened?: (request: FastifyRequest) => void;
}

type EventsRequest = FastifyRequest<{ Querystring: { topic?: string[]; after?: number; lastEventId?: number } }>;
type ListStreamRequest = FastifyRequest<{ Querystring: Record<string, unknown> & { after?: number; lastEventId?: number; snapshot?: boolean }; Params: Record<string, unknown> }>;

/** The OpenAPI description of a stream's responses (documentation only). */
const STREAM_RESPONSES = {
  200: {
    description: 'The stream: it stays open, one event per change',
    content: {
      'text/event-stream': {
        schema: Type.String({
          description:
            'Server-Sent Events (WHATWG HTML §9.2): `retry:` first, then for each change `id: <log position>` and `data: <the change event as JSON>`; a live query can start with a `snapshot` event, and answers a resume beyond retention with `reset` events; comment lines keep the connection alive',
        }),
      },
    },
  },
  429: { description: 'This client address has SSE_MAX_PER_CLIENT streams open already; Retry-After says when to try again' },
};
const HEAD_RESPONSES = { 200: { description: 'The headers a stream would start with (Content-Type: text/event-stream), without opening it' } };
const RESUME_HEADER = { 'Last-Event-ID': 'Resume after this event id, as EventSource sends it when it reconnects; wins over `after` and `lastEventId`' };

/** What a list's stream takes besides the list's own filters. */
const StreamControls = {
  snapshot: Type.Optional(Type.Boolean({ description: "Start with the list's rows at a log position (a `snapshot` event), then the changes after it. Ignored when the stream resumes (Last-Event-ID or `after`)" })),
  after: EventsQuery.properties.after,
  lastEventId: EventsQuery.properties.lastEventId,
};

/** The query string of a list's stream, GET /events/<list>: the list's filters without paging, and the stream's own. */
export function listStreamQuery(queries: LiveQueries, list: LiveList): TObject {
  return Type.Object({ ...queries.streamSchema(list).properties, ...StreamControls }, { additionalProperties: false });
}

/**
 * GET /events: committed changes as Server-Sent Events (WHATWG HTML §9.2). Each event's `id:`
 * is its seq, so a reconnecting EventSource resumes with Last-Event-ID and misses nothing.
 * GET /events/<list>?<filters> (`/events/orders?status=paid`) streams a live query: the events of
 * the rows that list selects, entered and left included, optionally from a snapshot of them.
 * HEAD answers a stream's headers at once. Guarded like every read of the API (the auth hook
 * covers them), with the topics and lists of the registry (src/live/topics.ts, src/live/queries.ts).
 */
export function sseRoutes(options: SseOptions) {
  const { subscriptions } = options;
  const grammar = subscriptions.grammar;
  const policy = new SlowReaderPolicy(options.sendBufferMax, options.onSlowReader);
  const perClient = new ConnectionCounter(options.maxPerClient);

  const topicsOf = (request: EventsRequest): Topic[] => {
    const names = [...new Set(request.query.topic ?? grammar.collections)];
    const topics: Topic[] = [];
    const bad: string[] = [];
    for (const name of names) {
      const topic = grammar.parse(name);
      if (topic) topics.push(topic);
      else bad.push(name);
    }
    if (bad.length) {
      throw new BoutiqueError('BAD_REQUEST', `Unknown topic ${bad.map((t) => JSON.stringify(t)).join(', ')}; topics are ${grammar.described}.`, {
        errors: bad.map(() => ({ field: 'topic', message: 'is not a known topic' })),
      });
    }
    return topics;
  };

  const headers = (request: FastifyRequest, reply: FastifyReply): OutgoingHttpHeaders => ({
    // What the onRequest hooks set (CORS for an allowed origin) and the onSend hook would add are lost with the hijack.
    ...(reply.getHeaders() as OutgoingHttpHeaders),
    ...EVERY_RESPONSE,
    ...STREAM_HEADERS,
    'x-request-id': String(request.id),
  });

  return async (app: FastifyInstance): Promise<void> => {
    const streams = new Set<EventStream>();

    /**
     * Streams `topics` from `after` (replayed, then live), or from a live query's snapshot
     * (`start`, read before the response began so that its errors are still HTTP errors), or from now.
     */
    const stream = async (request: FastifyRequest, reply: FastifyReply, topics: readonly Topic[], after: number | undefined, start?: Missed): Promise<void> => {
      if (!options.accepting()) throw new BoutiqueError('SERVICE_UNAVAILABLE', 'The server is shutting down.');
      const address = request.ip;
      if (!perClient.open(address)) throw tooManyStreams(options.maxPerClient);
      request.raw.once('close', () => perClient.close(address));

      reply.hijack();
      reply.raw.writeHead(200, headers(request, reply));
      // Tells EventSource how long to wait before reconnecting, and opens the stream at once.
      reply.raw.write('retry: 2000\n: connected to ' + topics.map((t) => t.key).join(',') + '\n\n');
      options.onOpened?.(request);
      const from = start?.seq ?? after;
      const eventStream = new EventStream(reply.raw, policy, from ?? 0);
      streams.add(eventStream);
      const end = () => {
        for (const topic of topics) subscriptions.unsubscribe(topic, eventStream);
        eventStream.close();
        streams.delete(eventStream);
      };
      request.raw.on('close', end);
      reply.raw.on('close', end);
      try {
        // A position this instance has not delivered yet (read elsewhere) is waited for; one the
        // log never had (from before a database was replaced) is answered like a lost one: reset.
        const reachable = from === undefined || (await subscriptions.reach(from));
        let replay: TopicReplay = { kind: 'missed', frames: [] };
        await replayThenLive(eventStream, {
          attach: () => {
            for (const topic of topics) subscriptions.subscribe(topic, eventStream);
          },
          cut: async () => subscriptions.head(),
          missed: async (cut) => {
            if (from === undefined) return [];
            replay = reachable ? await subscriptions.replay(topics, from, cut) : subscriptions.reset(topics, cut);
            return replay.kind === 'missed' ? replay.frames : [];
          },
          lead: () => {
            if (start !== undefined) eventStream.snapshot(start);
            if (replay.kind === 'reset') eventStream.reset(replay.frames);
          },
          trail: (cut) => eventStream.mark(cut),
          channels: new Set(topics.map((t) => topicChannel(t.key))),
        });
        // The client may have left while that was read: `end` ran before `attach` subscribed it again.
        if (eventStream.closed) return end();
        eventStream.keepAlive(options.keepAliveMs);
      } catch (err) {
        request.log.error({ err }, 'event stream could not resume');
        end();
      }
    };

    const schema = { tags: ['events'], querystring: EventsQuery, requestHeaders: RESUME_HEADER };
    app.head('/events', { schema: { ...schema, summary: 'The headers of the event stream, at once', responses: HEAD_RESPONSES } }, async (request: EventsRequest, reply) => {
      topicsOf(request);
      resumePoint(request, request.query);
      return streamHeaders(reply);
    });
    app.get('/events', { schema: { ...schema, summary: 'Stream every change as Server-Sent Events', responses: STREAM_RESPONSES } }, async (request: EventsRequest, reply) => {
      const topics = topicsOf(request);
      return stream(request, reply, topics, resumePoint(request, request.query));
    });

    for (const list of subscriptions.queries.lists) {
      const url = '/events' + list.path;
      const listSchema = {
        tags: ['events'],
        requestHeaders: RESUME_HEADER,
        querystring: listStreamQuery(subscriptions.queries, list),
        ...(list.params ? { params: list.params } : {}),
      };
      const parse = (request: ListStreamRequest) => {
        const { snapshot, after, lastEventId, ...query } = request.query;
        return { query: subscriptions.queries.of(list, query, request.params), resume: resumePoint(request, { after, lastEventId }), snapshot: snapshot === true };
      };
      app.head(url, { schema: { ...listSchema, summary: `The headers of the live query on ${list.path}, at once`, responses: HEAD_RESPONSES } }, async (request: ListStreamRequest, reply) => {
        parse(request);
        return streamHeaders(reply);
      });
      app.get(url, {
        schema: { ...listSchema, summary: `Stream the changes of ${list.path} with its filters (a live query) as Server-Sent Events`, responses: STREAM_RESPONSES },
      }, async (request: ListStreamRequest, reply) => {
        const { query, resume, snapshot } = parse(request);
        // A reconnecting EventSource sends Last-Event-ID with the same URL: it resumes, it does not start over.
        const start = snapshot && resume === undefined ? await subscriptions.snapshot(query) : undefined;
        return stream(request, reply, [query.topic], resume, start);
      });
    }

    // Open streams would hold app.close() forever: end them when shutdown begins.
    app.addHook('preClose', async () => {
      for (const s of streams) s.close();
      streams.clear();
    });
  };
}

function streamHeaders(reply: FastifyReply): FastifyReply {
  for (const [name, value] of Object.entries(STREAM_HEADERS)) reply.header(name, value);
  return reply.code(200).send();
}
