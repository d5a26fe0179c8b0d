import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import { readFileSync } from 'node:fs';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { Config } from './config.js';
import { createStore, type Store } from './store/store.js';
import { createBus, type Bus } from './bus/index.js';
import { ChangeFeed } from './live/change-feed.js';
import { registerHttp } from './http/index.js';
import { registerRateLimit } from './http/rate-limit.js';
import { registerCors } from './http/cors.js';
import { registerCsrfGuard } from './http/csrf.js';
import { registerSecurityHeaders } from './http/security-headers.js';
import { frameworkErrors } from './http/error-handler.js';
import { timeoutOptions, type HttpTimeouts } from './http/timeouts.js';
import { proxyTrust } from './http/connection-limits.js';
import { customerRoutes } from './resources/customers/routes.js';
import { orderRoutes } from './resources/orders/routes.js';
import { metaRoutes } from './http/meta-routes.js';
import { pageRoutes } from './pages/routes.js';
import { sseRoutes } from './live/sse.js';
import { attachChat, type ChatService } from './chat/index.js';
import { createLoggerOptions, requestIdFor, requestLogger, type LogOptions } from './logger.js';
import { createMetrics, type Metrics } from './metrics/registry.js';
import { MeasuredBus } from './metrics/measured-bus.js';
import { registerMetrics } from './metrics/http.js';

export interface Services {
  config: Config;
  store: Store;
  bus: Bus;
  feed: ChangeFeed;
  chat: ChatService;
  metrics: Metrics;
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

/** Seqs the in-process bus may hand out in one process lifetime before they could repeat after a restart. */
const SEQ_BLOCK = 1_000_000_000;

export type BuildOptions = LogOptions & {
  /** Request timeouts (src/http/timeouts.ts); tests shorten them. */
  timeouts?: Partial<HttpTimeouts>;
};

/**
 * Builds everything — store, bus, HTTP routes, WebSocket chat — and listens on nothing
 * (STYLE.md item 9). The entry point (src/server.ts) listens and shuts down; tests call
 * `app.inject()` or `app.listen({ port: 0 })`.
 */
export async function buildApp(config: Config, options: BuildOptions = {}): Promise<App> {
  const metrics = createMetrics();
  const dialect = config.databaseUrl.startsWith('sqlite:') ? 'sqlite' : 'postgres';
  const queryOk = metrics.dbQueryDuration.bind({ dialect, outcome: 'ok' });
  const queryFailed = metrics.dbQueryDuration.bind({ dialect, outcome: 'error' });
  const store = await createStore(config, { onQuery: (ms, ok) => (ok ? queryOk : queryFailed).observe(ms / 1000) });
  let bus: Bus;
  // The bus connects before the app (and its logger) exists; its errors are logged once the app
  // is built, at most one line per 10 s so a Redis outage does not flood the log.
  let log: FastifyBaseLogger | undefined;
  let lastBusError = 0;
  const onBusError = (err: Error) => {
    const now = Date.now();
    if (now - lastBusError < 10_000) return;
    lastBusError = now;
    log?.warn({ err: { message: err.message, code: (err as Error & { code?: string }).code } }, 'bus (Redis) error');
  };
  try {
    // The in-process bus forgets its seq when the process ends; Redis keeps it. Start past every seq
    // an earlier process of this shop could have handed out, so resumes across a restart stay exact.
    const startSeq = config.redisUrl === undefined ? await store.reserveSeqBlock('memory-bus-seq', SEQ_BLOCK) : undefined;
    bus = new MeasuredBus(await createBus(config, { onError: onBusError, startSeq }), metrics);
  } catch (err) {
    await store.close();
    throw err;
  }

  const timeouts = timeoutOptions(options.timeouts);
  const app = Fastify({
    logger: createLoggerOptions(config, options),
    bodyLimit: config.bodyLimit,
    // X-Request-Id is taken only when it is a sane token; requestIdFor generates one otherwise.
    requestIdHeader: false,
    genReqId: requestIdFor,
    childLoggerFactory: requestLogger,
    // Our own onResponse hook writes the one line per request (src/http/index.ts).
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

  log = app.log;
  const feed = new ChangeFeed(bus, (err) => app.log.error({ err }, 'change event could not be published'));
  const services: Services = { config, store, bus, feed, chat: undefined as unknown as ChatService, metrics, accepting: true };
  app.decorate('services', services);
  app.decorate('metrics', metrics);

  // First, so a preflight gets its Access-Control-* headers before auth or a route looks at it.
  await registerCors(app, config);
  // Before every other check, so each request counts, those refused later (a wrong token) too.
  await registerRateLimit(app, config);
  registerCsrfGuard(app, config);
  registerSecurityHeaders(app);
  await registerHttp(app, config);
  registerMetrics(app, metrics);
  await app.register(metaRoutes);
  await app.register(customerRoutes);
  await app.register(orderRoutes);
  await app.register(sseRoutes);
  await app.register(pageRoutes);
  services.chat = attachChat(app, { config, bus, store, logger: app.log, metrics });
  metrics.observeConnections(() => services.chat.connections());

  app.addHook('preClose', async () => {
    services.accepting = false;
    await services.chat.close();
  });
  app.addHook('onClose', async () => {
    await feed.flush();
    await bus.close();
    await store.close();
  });
  return app;
}
