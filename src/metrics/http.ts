import type { FastifyInstance } from 'fastify';
import type { Metrics } from './registry.js';

type Labels = Readonly<Record<'method' | 'route' | 'status', string>>;

/**
 * Counts and times every HTTP request by route pattern (never the raw URL: ids and query
 * strings would make one series per request) and serves `GET /metrics` in Prometheus text.
 * Called on the root instance so the hook sees every route.
 */
export function registerMetrics(app: FastifyInstance, metrics: Metrics): void {
  // One frozen label object per method, route and status, made on first use: the set is small
  // and fixed by the routes, so each answer only looks its labels up (no object, no String()).
  const labelSets = new Map<string, Labels>();
  const labelsOf = (method: string, route: string, status: number): Labels => {
    const key = method + ' ' + status + ' ' + route;
    let labels = labelSets.get(key);
    if (labels === undefined) {
      labels = Object.freeze({ method, route, status: String(status) });
      labelSets.set(key, labels);
    }
    return labels;
  };

  // Synchronous (done-style): an async hook costs a promise per request for nothing to await.
  app.addHook('onResponse', (request, reply, done) => {
    const labels = labelsOf(request.method, request.routeOptions.url ?? 'unmatched', reply.statusCode);
    metrics.httpRequests.inc(labels);
    metrics.httpDuration.observe(labels, reply.elapsedTime / 1000);
    done();
  });

  app.get('/metrics', { schema: { hide: true } }, async (_request, reply) => {
    const body = await metrics.registry.metrics();
    return reply.type(metrics.registry.contentType).header('cache-control', 'no-store').send(body);
  });
}
