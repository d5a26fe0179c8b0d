import Fastify, { LogController, type FastifyInstance } from 'fastify';
import { readFileSync } from 'node:fs';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { Config } from './config.js';
import { openStorage } from './store/open.js';
import type { Storage } from './store/types.js';
import { WritePath } from './store/write-path.js';
import { ChangeLog } from './store/change-log.js';
import { createBus, type Bus } from './bus/index.js';
import { Registry } from './resources/registry.js';
import type { Resource } from './resources/resource.js';
import { Subscriptions } from './live/subscriptions.js';
import { LogTail } from './live/log-tail.js';
import { LOG_CHANNEL, Relay, decodeEntries } from './live/relay.js';
import { Replayer } from './live/replay.js';
import { LogRetention } from './live/retention.js';
import { isChatChannel } from './live/change.js';
import { TopicGrammar } from './live/topics.js';
import { LiveQueries } from './live/queries.js';
import { sseRoutes } from './live/sse.js';
import { registerHttp, requestLine } from './http/index.js';
import { dataClock } from './http/data-clock.js';
import { Access } from './http/auth.js';
import { rateLimited, registerRateLimit } from './http/rate-limit.js';
import { registerCors } from './http/cors.js';
import { registerCsrfGuard } from './http/csrf.js';
import { securityHeaders } from './http/security-headers.js';
import { onAnswer } from './http/answer.js';
import { frameworkErrors } from './http/error-handler.js';
import { timeoutOptions, type HttpTimeouts } from './http/timeouts.js';
import type { NavLink } from './http/html.js';
import { proxyTrust } from './http/connection-limits.js';
import { metaRoutes } from './http/meta-routes.js';
import { pageRoutes } from './pages/routes.js';
import { buildAsyncApi } from './asyncapi/document.js';
import { asyncapiRoutes } from './asyncapi/routes.js';
import { attachChat, type ChatService } from './chat/index.js';
import { createLogger, requestIdFor, requestLoggerFactory, warnAtMost, type LogOptions } from './logger.js';
import { createMetrics, type Metrics } from './metrics/registry.js';
import { MeasuredBus } from './metrics/measured-bus.js';
import { registerMetrics } from './metrics/http.js';

export interface Services {
  config: Config;
  storage: Storage;
  bus: Bus;
  registry: Registry;
  writes: WritePath;
  log: ChangeLog;
  tail: LogTail;
  retention: LogRetention;
  subscriptions: Subscriptions;
  chat: ChatService;
  metrics: Metrics;
  /** A resource's service by registry name (its own module types it). */
  service(name: string): unknown;
  /** False once shutdown began: /readyz turns 503 so the load balancer stops sending traffic. */
  accepting: boolean;
}

declare module 'fastify' {
  interface FastifyInstance {
    services: Services;
    metrics: Metrics;
  }
}

export type App = FastifyInstance;

/** How often an instance that shares its database reads the log's head, for entries the bus did not bring. */
const TAIL_POLL_MS = 500;
/** How long a read that found the tail behind the log's head keeps the tail catching up for the reads after it. */
const CATCH_UP_MS = 5_000;

/** The pages and documents every page's navigation links, after the registry's resources. */
const PAGE_LINKS: readonly NavLink[] = [
  { label: 'Dashboard', href: '/dashboard', description: 'Tables that update live, with the HTTP log and the socket log side by side.' },
  { label: 'Chat', href: '/chat', description: "The seed's WebSocket chat: rooms, history, reconnects without losing a line." },
  { label: 'OpenAPI', href: '/openapi.json', description: 'The API description, generated from the schemas that validate requests.' },
  { label: 'AsyncAPI', href: '/asyncapi.json', description: 'The WebSocket and Server-Sent Events protocols, from the schemas that validate their frames.' },
];

export type BuildOptions = LogOptions & {
  /** Request timeouts (src/http/timeouts.ts); tests shorten them. */
  timeouts?: Partial<HttpTimeouts>;
  /** The resources to serve; the registry's defaults (customers, orders) when not given. */
  resources?: readonly Resource[];
  /** How long a disconnected chat session keeps its name (30 s); tests shorten it. */
  chatGraceMs?: number;
};

/**
 * Builds everything — storage, bus, the registry's resources, live topics, WebSocket chat — and
 * listens on nothing. The entry point (src/server.ts) listens and shuts down; tests call
 * `app.inject()` or `app.listen({ port: 0 })`.
 */
export async function buildApp(config: Config, options: BuildOptions = {}): Promise<App> {
  const registry = new Registry(options.resources);
  const metrics = createMetrics();
  const dialect = config.databaseUrl.startsWith('sqlite:') ? 'sqlite' : 'postgres';
  const queryOk = metrics.dbQueryDuration.bind({ dialect, outcome: 'ok' });
  const queryFailed = metrics.dbQueryDuration.bind({ dialect, outcome: 'error' });
  const logger = createLogger(config, options);
  const storage = await openStorage(config, {
    migrations: registry.migrations,
    synchronous: config.sqliteSynchronous,
    onQuery: (ms, ok) => (ok ? queryOk : queryFailed).observe(ms / 1000),
    // A checkpoint that fails (the write-ahead log then grows until one succeeds), once a minute at most.
    onBackgroundError: warnAtMost(60_000, (err) => logger.warn({ err: { message: err.message } }, 'storage background task failed')),
  });
  let bus: Bus;
  // Bus errors are logged once the app is built (a Redis that cannot be reached at start stops
  // start-up with its own error), at most one line per 10 s so a Redis outage does not flood the log.
  let built = false;
  const onBusError = warnAtMost(10_000, (err) => {
    if (built) logger.warn({ err: { message: err.message, code: (err as Error & { code?: string }).code } }, 'bus (Redis) error');
  });
  try {
    bus = new MeasuredBus(await createBus(config, { onError: onBusError }), metrics);
  } catch (err) {
    await storage.close();
    throw err;
  }

  const timeouts = timeoutOptions(options.timeouts);
  const app = Fastify({
    bodyLimit: config.bodyLimit,
    // X-Request-Id is taken only when it is a sane token; requestIdFor generates one otherwise.
    requestIdHeader: false,
    genReqId: requestIdFor,
    // No `logger` option: Fastify would then time every response with listeners of its own
    // (src/logger.ts createLogger). Requests get a lazy child of this logger; `app.log` is set below.
    childLoggerFactory: requestLoggerFactory(logger),
    // The one line per request is a step of the app's onSend hook (src/http/index.ts requestLine).
    logController: new LogController({ requestIdLogLabel: 'requestId', disableRequestLogging: true }),
    // The same rule the WebSocket upgrade applies (src/http/connection-limits.ts): one client address.
    trustProxy: config.trustProxy === false ? false : proxyTrust(config.trustProxy),
    return503OnClosing: true,
    forceCloseConnections: false,
    exposeHeadRoutes: true,
    frameworkErrors,
    ...timeouts.fastify,
    ...(config.tlsCert !== undefined && config.tlsKey !== undefined
      ? { https: { ...timeouts.server, cert: readFileSync(config.tlsCert), key: readFileSync(config.tlsKey) } }
      : { http: timeouts.server }),
  }).withTypeProvider<TypeBoxTypeProvider>() as unknown as FastifyInstance;

  // The instance's logger, which plugins inherit and Fastify's own lines (listening at …) use.
  app.log = logger;
  built = true;
  // The change log and its live side: every write appends its entries in its transaction; after
  // the commit they go to this instance's tail (which delivers them, in order, to chat rooms,
  // topics and event streams) and, through the relay, to the other instances' tails.
  const changeLog = new ChangeLog(storage.db);
  const headOf = () => changeLog.head(storage.run);
  const tail = new LogTail(changeLog, headOf, await headOf(), (err) => app.log.error({ err }, 'live tail'));
  const relay = new Relay(bus, changeLog, (err) => app.log.warn({ err }, 'change-log entries could not be published to the bus; other instances read them from the log'));
  const writes = new WritePath(storage, changeLog, (entries) => {
    tail.offer(entries);
    relay.publish(entries);
    for (const entry of entries) if (!isChatChannel(entry.channel)) metrics.changeEvents.inc({ topic: entry.channel });
  }, (count) => metrics.writeBatchSize.observe(count));
  metrics.observeLogHead(() => tail.position);
  const stopRelayed = bus.subscribe(LOG_CHANNEL, (m) => tail.offer(decodeEntries(m.data)));
  if (bus.shared) {
    // Other instances write too: what their relay did not bring (a crash, Redis away) is read from the log.
    tail.poll(TAIL_POLL_MS);
    await relay.recover(tail.position).catch((err: unknown) => app.log.warn({ err }, 'change-log recovery publish failed; other instances read the log'));
  }
  const retention = new LogRetention(changeLog, { maxAgeMs: config.logRetentionMs, count: config.logRetentionCount }, (err) => app.log.warn({ err }, 'change-log retention failed'));
  retention.start();
  const replayer = new Replayer(changeLog, storage.run);
  const access = new Access(config);
  // When the representation caches may answer (src/http/data-clock.ts): the rows the log says
  // changed, and on PostgreSQL a fence against the log's head first.
  const clock = dataClock({
    writes: () => writes.generation(),
    external: () => storage.externalChanges(),
    delivered: (listener) =>
      void tail.subscribe((entry) => {
        if (!isChatChannel(entry.channel)) listener(entry.channel, entry.data);
      }),
    ...(storage.dialect === 'postgres'
      ? { shared: { marks: () => changeLog.marks(storage.run), tailPosition: () => tail.position, catchUp: (head: number) => void tail.reach(head, CATCH_UP_MS) } }
      : {}),
  });
  const mounted = registry.mount({ storage, writes, clock });
  const subscriptions = new Subscriptions(tail, replayer, new TopicGrammar(registry.topics), new LiveQueries(mounted.lists), config.liveSnapshotMax, (_frame, receivers) =>
    metrics.countChatFrame('out', 'event', receivers),
  );
  const services: Services = {
    config,
    storage,
    bus,
    registry,
    writes,
    log: changeLog,
    tail,
    retention,
    subscriptions,
    chat: undefined as unknown as ChatService,
    metrics,
    service: (name) => mounted.service(name),
    accepting: true,
  };
  app.decorate('services', services);
  app.decorate('metrics', metrics);
  app.decorate('navigation', [...registry.nav, ...PAGE_LINKS]);

  // First, so a preflight gets its Access-Control-* headers before auth or a route looks at it.
  await registerCors(app, config);
  // Before every other check, so each request counts, those refused later (a wrong token) too.
  await registerRateLimit(app, config);
  registerCsrfGuard(app, config);
  await registerHttp(app, access, registry.schemas, { rateLimited: rateLimited(config) });
  const httpMetrics = registerMetrics(app, metrics);
  app.addHook('onSend', onAnswer([securityHeaders(() => !services.accepting), requestLine, httpMetrics.answered]));
  await app.register(metaRoutes);
  for (const routes of mounted.routes) await app.register(routes);
  await app.register(
    sseRoutes({
      subscriptions,
      keepAliveMs: config.sseKeepAliveMs,
      sendBufferMax: config.wsSendBufferMax,
      maxPerClient: config.sseMaxPerClient,
      accepting: () => services.accepting,
      onSlowReader: () => metrics.countDroppedStream('slow_reader'),
      onOpened: (request) => httpMetrics.count(request, 200),
    }),
  );
  const asyncapi = buildAsyncApi({ resources: registry.resources, queries: subscriptions.queries, config });
  app.decorate('asyncapi', () => asyncapi);
  await app.register(asyncapiRoutes(asyncapi));
  await app.register(pageRoutes);
  services.chat = attachChat(app, { config, bus, storage, writes, tail, replayer, subscriptions, access, logger: app.log, metrics, ...(options.chatGraceMs !== undefined ? { graceMs: options.chatGraceMs } : {}) });
  metrics.observeConnections(() => services.chat.connections());

  app.addHook('preClose', async () => {
    services.accepting = false;
    await services.chat.close();
  });
  app.addHook('onClose', async () => {
    await writes.flush();
    await relay.flush();
    retention.stop();
    stopRelayed();
    tail.close();
    subscriptions.close();
    await bus.close();
    await storage.close();
  });
  return app;
}
