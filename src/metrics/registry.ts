import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { BoundCounter, BoundHistogram } from './bound.js';

/** Seconds; HTTP answers and bus publishes are expected well under a second. */
const LATENCY_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
/** Seconds; SQLite reads take microseconds, so the low end is finer. */
const QUERY_BUCKETS = [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 5];

export type ChatDirection = 'in' | 'out';
export type DropReason = 'slow_reader' | 'heartbeat' | 'flood' | 'frame_too_large';

/**
 * Every metric of one app instance, in its own registry (not prom-client's global one) so that
 * tests building several apps in one process do not collide. `buildApp` creates it, decorates it
 * as `app.metrics` and puts it in `Services`; `GET /metrics` serializes `registry`.
 */
export interface Metrics {
  readonly registry: Registry;
  /**
   * Labels: method, route (the pattern, `/customers/:id`; `unmatched` for 404s), status. Bound
   * metrics (src/metrics/bound.ts): the hot path binds a label set once and bumps its series.
   */
  readonly httpRequests: BoundCounter<'method' | 'route' | 'status'>;
  readonly httpDuration: BoundHistogram<'method' | 'route' | 'status'>;
  /** Open WebSocket connections; read at scrape time from the source given to `observeConnections`. */
  readonly wsConnections: Gauge;
  /** Chat frames received from / sent to clients, by frame type (`message`, `username`, `event`, …). */
  readonly chatFrames: Counter<'direction' | 'type'>;
  /** Sockets the server cut off, by reason. */
  readonly droppedClients: Counter<'reason'>;
  /** Event streams (GET /events) the server ended, by reason. */
  readonly droppedStreams: Counter<'reason'>;
  /** Change events (REST writes) published to the bus, by resource. */
  readonly changeEvents: Counter<'topic'>;
  /** Writes committed together in one transaction (group commit): one observation per commit. */
  readonly writeBatchSize: Histogram;
  /** The change log's last position, as this instance's live tail has delivered it. */
  readonly changeLogHead: Gauge;
  /** Tells the change-log gauge where to read its head. */
  observeLogHead(source: () => number): void;
  /** Labels: operation (`signal`), outcome (`ok`, `error`). */
  readonly busPublishDuration: Histogram<'operation' | 'outcome'>;
  /** Labels: dialect, outcome (`ok`, `error`). Bound, like the HTTP metrics: one per query. */
  readonly dbQueryDuration: BoundHistogram<'dialect' | 'outcome'>;
  /** Tells the connection gauge where to read the number of open sockets. */
  observeConnections(source: () => number): void;
  /** Convenience for the chat: one frame received (`in`) or sent (`out`). */
  countChatFrame(direction: ChatDirection, type: string, count?: number): void;
  /** Convenience for the chat: a socket was cut off. */
  countDroppedClient(reason: DropReason): void;
  /** An event stream was ended (its client was not reading). */
  countDroppedStream(reason: 'slow_reader'): void;
}

export function createMetrics(options: { defaultMetrics?: boolean } = {}): Metrics {
  const registry = new Registry();
  const registers = [registry];
  if (options.defaultMetrics !== false) collectDefaultMetrics({ register: registry });
  let connections: () => number = () => 0;
  let logHead: () => number = () => 0;

  const metrics: Metrics = {
    registry,
    httpRequests: new BoundCounter({ name: 'boutique_http_requests_total', help: 'HTTP requests answered, by method, route pattern and status', labelNames: ['method', 'route', 'status'], registers }),
    httpDuration: new BoundHistogram({ name: 'boutique_http_request_duration_seconds', help: 'Time to answer an HTTP request', labelNames: ['method', 'route', 'status'], buckets: LATENCY_BUCKETS, registers }),
    wsConnections: new Gauge({
      name: 'boutique_websocket_connections',
      help: 'Open WebSocket connections on this instance',
      registers,
      collect() {
        this.set(connections());
      },
    }),
    chatFrames: new Counter({ name: 'boutique_chat_frames_total', help: 'Chat and event frames received from (in) and sent to (out) WebSocket clients, by type', labelNames: ['direction', 'type'], registers }),
    droppedClients: new Counter({ name: 'boutique_websocket_dropped_clients_total', help: 'WebSocket clients cut off by the server, by reason', labelNames: ['reason'], registers }),
    droppedStreams: new Counter({ name: 'boutique_sse_dropped_streams_total', help: 'Server-Sent Event streams ended by the server, by reason', labelNames: ['reason'], registers }),
    changeEvents: new Counter({ name: 'boutique_change_events_total', help: 'Change events published for REST writes, by resource', labelNames: ['topic'], registers }),
    writeBatchSize: new Histogram({ name: 'boutique_write_batch_size', help: 'Writes committed together in one transaction (group commit)', buckets: [1, 2, 4, 8, 16, 32, 64, 128, 256], registers }),
    changeLogHead: new Gauge({
      name: 'boutique_change_log_head',
      help: 'The last change-log position this instance has delivered',
      registers,
      collect() {
        this.set(logHead());
      },
    }),
    observeLogHead(source) {
      logHead = source;
    },
    busPublishDuration: new Histogram({ name: 'boutique_bus_publish_duration_seconds', help: 'Time to send a signal on the bus (user lists, presence, entries relayed to other instances)', labelNames: ['operation', 'outcome'], buckets: LATENCY_BUCKETS, registers }),
    dbQueryDuration: new BoundHistogram({ name: 'boutique_db_query_duration_seconds', help: 'Time a database query took', labelNames: ['dialect', 'outcome'], buckets: QUERY_BUCKETS, registers }),
    observeConnections(source) {
      connections = source;
    },
    countChatFrame(direction, type, count = 1) {
      metrics.chatFrames.inc({ direction, type }, count);
    },
    countDroppedStream(reason) {
      metrics.droppedStreams.inc({ reason });
    },
    countDroppedClient(reason) {
      metrics.droppedClients.inc({ reason });
    },
  };
  return metrics;
}
