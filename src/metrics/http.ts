import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Metrics } from './registry.js';
import { elapsedMs } from '../logger.js';
import type { AnswerStep } from '../http/answer.js';
import { routeOf } from '../http/route-of.js';
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
export function registerMetrics(app: FastifyInstance, metrics: Metrics): { count: (request: FastifyRequest, status: number) => void; answered: AnswerStep } {
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

  // Counted and timed as the answer is handed to the socket (`answered`, a step of the onSend
  // hook, src/http/answer.ts), the time the histogram reports: Fastify, run without a logger of
  // its own, does not watch responses finish (src/logger.ts createLogger). Event streams, which
  // take over their reply, are counted when they open (`count`, called by src/live/sse.ts).
  const count = (request: FastifyRequest, status: number): void => {
    const series = seriesOf(request.method, routeOf(request), status);
    series.requests.inc();
    series.duration.observe(elapsedMs(request) / 1000);
  };

  app.get('/metrics', { schema: { hide: true } }, async (_request, reply) => {
    const body = await metrics.registry.metrics();
    return reply.type(metrics.registry.contentType).header('cache-control', 'no-store').send(body);
  });
  return { count, answered: (request, reply) => count(request, reply.statusCode) };
}
