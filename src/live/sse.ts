import type { OutgoingHttpHeaders } from 'node:http';
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import { Type } from 'typebox';
import type { Bus, BusMessage } from '../bus/bus.js';
import { withSeq } from '../bus/frame.js';
import { BoutiqueError } from '../errors.js';
import { TOPIC_PATTERN, topicChannel } from './change-feed.js';
import { EVERY_RESPONSE } from '../http/security-headers.js';
import { ConnectionCounter } from '../http/connection-limits.js';

/** Without a `topic` parameter a stream carries every change: every customer event is on `customers`, every order event on `orders`. */
const DEFAULT_TOPICS = ['customers', 'orders'];
/** How many missed events one resume replays per topic. */
const RESUME_LIMIT = 1000;

const EventsQuery = Type.Object(
  {
    topic: Type.Optional(
      Type.Array(Type.String({ maxLength: 64 }), {
        maxItems: 20,
        description: 'customers, customers/{id}, customers/{id}/orders or orders; repeat for several (default: customers and orders)',
      }),
    ),
    lastEventId: Type.Optional(Type.Integer({ minimum: 0, description: 'Same as the Last-Event-ID header' })),
  },
  { additionalProperties: false },
);

/** One open event stream. */
class EventStream {
  #lastSeq: number;
  #live = false;
  #pending: BusMessage[] = [];
  #unsubscribes: (() => void)[] = [];
  #keepAlive: NodeJS.Timeout | undefined;
  closed = false;

  constructor(private readonly reply: FastifyReply, after: number) {
    this.#lastSeq = after;
  }

  /** Subscribes first and replays the backlog second, so nothing published in between is lost or sent twice. */
  async start(bus: Bus, topics: string[], keepAliveMs: number): Promise<void> {
    for (const topic of topics) this.#unsubscribes.push(bus.subscribe(topicChannel(topic), (m) => this.#onMessage(m)));
    if (this.#lastSeq > 0) {
      const backlog = (await Promise.all(topics.map((t) => bus.since(topicChannel(t), this.#lastSeq, RESUME_LIMIT)))).flat();
      backlog.sort((a, b) => a.seq - b.seq);
      for (const m of backlog) this.#write(m);
    }
    this.#live = true;
    const queued = this.#pending.sort((a, b) => a.seq - b.seq);
    this.#pending = [];
    for (const m of queued) this.#write(m);
    this.#keepAlive = setInterval(() => this.reply.raw.write(': keep-alive\n\n'), keepAliveMs);
  }

  #onMessage(message: BusMessage): void {
    if (message.seq === 0) return;
    if (this.#live) this.#write(message);
    else this.#pending.push(message);
  }

  #write(message: BusMessage): void {
    // A change reaching several subscribed topics (customers and customers/7) is one event per topic, as on the WebSocket.
    if (this.closed || message.seq <= this.#lastSeq) return;
    this.#lastSeq = message.seq;
    this.reply.raw.write('id: ' + message.seq + '\ndata: ' + withSeq(message.data, message.seq) + '\n\n');
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.#keepAlive);
    for (const off of this.#unsubscribes) off();
    this.reply.raw.end();
  }
}

const tooManyStreams = (max: number): BoutiqueError =>
  new BoutiqueError('TOO_MANY_REQUESTS', `Your address has ${max} event streams open already (SSE_MAX_PER_CLIENT); close one first.`, { headers: { 'retry-after': '5' } });

function resumePoint(request: FastifyRequest, fromQuery: number | undefined): number {
  const header = request.headers['last-event-id'];
  if (typeof header === 'string' && header.trim() !== '') {
    if (!/^\d{1,15}$/.test(header.trim())) throw new BoutiqueError('BAD_REQUEST', 'Last-Event-ID must be the id of an event received before.');
    return Number(header.trim());
  }
  return fromQuery ?? 0;
}

/**
 * GET /events: the change feed as Server-Sent Events (WHATWG HTML §9.2). Each event's `id:` is
 * its seq, so a reconnecting EventSource resumes with Last-Event-ID and misses nothing.
 */
export const sseRoutes: FastifyPluginAsync = async (app) => {
  const streams = new Set<EventStream>();
  const { bus, config } = app.services;
  const perClient = new ConnectionCounter(config.sseMaxPerClient);

  app.get<{ Querystring: { topic?: string[]; lastEventId?: number } }>('/events', {
    schema: { tags: ['events'], summary: 'Stream every change as Server-Sent Events', querystring: EventsQuery, responses: { 200: { description: 'text/event-stream' } } },
  }, async (request, reply) => {
    const topics = [...new Set(request.query.topic ?? DEFAULT_TOPICS)];
    const bad = topics.filter((t) => !TOPIC_PATTERN.test(t));
    if (bad.length) {
      throw new BoutiqueError('BAD_REQUEST', `Unknown topic ${bad.map((t) => JSON.stringify(t)).join(', ')}; topics are customers, customers/{id}, customers/{id}/orders and orders.`, {
        errors: bad.map(() => ({ field: 'topic', message: 'is not a known topic' })),
      });
    }
    const after = resumePoint(request, request.query.lastEventId);
    if (!app.services.accepting) throw new BoutiqueError('SERVICE_UNAVAILABLE', 'The server is shutting down.');

    const address = request.ip;
    if (!perClient.open(address)) throw tooManyStreams(config.sseMaxPerClient);
    request.raw.once('close', () => perClient.close(address));
    reply.hijack();
    reply.raw.writeHead(200, {
      // What the onRequest hooks set (CORS for an allowed origin) and the onSend hook would add are lost with the hijack.
      ...(reply.getHeaders() as OutgoingHttpHeaders),
      ...EVERY_RESPONSE,
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-store',
      connection: 'keep-alive',
      'x-accel-buffering': 'no',
      'x-request-id': String(request.id),
    });
    // Tells EventSource how long to wait before reconnecting, and opens the stream at once.
    reply.raw.write('retry: 2000\n: connected to ' + topics.join(',') + '\n\n');
    const stream = new EventStream(reply, after);
    streams.add(stream);
    request.raw.on('close', () => {
      stream.close();
      streams.delete(stream);
    });
    try {
      await stream.start(bus, topics, config.sseKeepAliveMs);
    } catch (err) {
      request.log.error({ err }, 'event stream could not resume');
      stream.close();
      streams.delete(stream);
    }
  });

  // Open streams would hold app.close() forever: end them when shutdown begins.
  app.addHook('preClose', async () => {
    for (const stream of streams) stream.close();
    streams.clear();
  });
};
