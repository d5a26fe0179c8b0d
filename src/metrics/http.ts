import type { FastifyInstance } from 'fastify';
import type { Metrics } from './registry.js';
import type { CounterSeries, HistogramSeries } from './bound.js';

interface Series {
  requests: CounterSeries;
  duration: HistogramSeries;
}

/**
 * Counts and times every HTTP request by route pattern (never the raw URL: ids and query
 * strings would make one series per request) and serves `GET /metrics` in Prometheus text.
 * Called on the root instance so the hook sees every route.
 */
export function registerMetrics(app: FastifyInstance, metrics: Metrics): void {
  // The series of one route, method and status, bound on first use: the set is small and fixed
  // by the routes, so each answer looks them up by route → method → status (strings the router
  // and the parser intern, so no key is built per request) and bumps them.
  const byRoute = new Map<string, Map<string, Map<number, Series>>>();
  const seriesOf = (method: string, route: string, status: number): Series => {
    let byMethod = byRoute.get(route);
    if (byMethod === undefined) byRoute.set(route, (byMethod = new Map()));
    let byStatus = byMethod.get(method);
    if (byStatus === undefined) byMethod.set(method, (byStatus = new Map()));
    let series = byStatus.get(status);
    if (series === undefined) {
      const labels = { method, route, status: String(status) };
      series = { requests: metrics.httpRequests.bind(labels), duration: metrics.httpDuration.bind(labels) };
      byStatus.set(status, series);
    }
    return series;
  };

  // Synchronous (done-style): an async hook costs a promise per request for nothing to await.
  app.addHook('onResponse', (request, reply, done) => {
    const series = seriesOf(request.method, request.routeOptions.url ?? 'unmatched', reply.statusCode);
    series.requests.inc();
    series.duration.observe(reply.elapsedTime / 1000);
    done();
  });

  app.get('/metrics', { schema: { hide: true } }, async (_request, reply) => {
    const body = await metrics.registry.metrics();
    return reply.type(metrics.registry.contentType).header('cache-control', 'no-store').send(body);
  });
}
