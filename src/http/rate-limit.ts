import type { FastifyInstance } from 'fastify';
import rateLimit from '@fastify/rate-limit';
import type { Config } from '../config.js';
import { BoutiqueError } from '../errors.js';

/**
 * Per-client HTTP rate limit with @fastify/rate-limit (RATE_LIMIT_MAX requests per
 * RATE_LIMIT_WINDOW_MS; off at 0). Over it: 429 problem+json with Retry-After (RFC 6585 §4).
 * Health checks stay exempt so an orchestrator never sees a limited probe as a dead server.
 *
 * One app-wide onRequest hook, added before the others, rather than the plugin's per-route hooks:
 * those run after app-wide hooks, so a request the auth hook refused (a wrong token) was never
 * counted, and guessing the token was free while ordinary reads were limited.
 */
export async function registerRateLimit(app: FastifyInstance, config: Pick<Config, 'rateLimitMax' | 'rateLimitWindowMs'>): Promise<void> {
  if (!rateLimited(config)) return;
  await app.register(rateLimit, {
    global: false,
    max: config.rateLimitMax,
    timeWindow: config.rateLimitWindowMs,
    allowList: (request) => request.url === '/healthz' || request.url === '/readyz',
    errorResponseBuilder: (_request, context) =>
      new BoutiqueError('TOO_MANY_REQUESTS', `Over the limit of ${context.max} requests per ${context.after}; retry in ${Math.ceil(context.ttl / 1000)} s.`, {
        headers: { 'retry-after': String(Math.max(1, Math.ceil(context.ttl / 1000))) },
      }),
  });
  app.addHook('onRequest', app.rateLimit());
}

/** True when the HTTP rate limit is on: every request (but the probes) may then be answered 429. */
export function rateLimited(config: Pick<Config, 'rateLimitMax'>): boolean {
  return config.rateLimitMax > 0;
}
