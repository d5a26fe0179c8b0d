import type { FastifyInstance } from 'fastify';
import type { Metrics } from './registry.js';

/**
 * Counts and times every HTTP request by route pattern (never the raw URL: ids and query
 * strings would make one series per request) and serves `GET /metrics` in Prometheus text.
 * Called on the root instance so the hook sees every route.
 */
export function registerMetrics(app: FastifyInstance, metrics: Metrics): void {
  app.addHook('onResponse', async (request, reply) => {
    const labels = { method: request.method, route: request.routeOptions.url ?? 'unmatched', status: String(reply.statusCode) };
    metrics.httpRequests.inc(labels);
    metrics.httpDuration.observe(labels, reply.elapsedTime / 1000);
  });

  app.get('/metrics', { schema: { hide: true } }, async (_request, reply) => {
    const body = await metrics.registry.metrics();
    return reply.type(metrics.registry.contentType).header('cache-control', 'no-store').send(body);
  });
}
