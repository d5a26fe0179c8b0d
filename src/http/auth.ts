import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import type { Config } from '../config.js';
import { BoutiqueError } from '../errors.js';

const WRITE_METHODS = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);
/** Metrics name the routes and count the traffic: a read, guarded like the API's reads. */
const METRICS = '/metrics';

const digest = (s: string): Buffer => createHash('sha256').update(s).digest();

/**
 * Compares in constant time: both sides are hashed first so neither the content nor the length
 * of the configured token leaks through timing.
 */
export function tokenMatches(expected: string, presented: string | undefined): boolean {
  if (presented === undefined) return false;
  return timingSafeEqual(digest(expected), digest(presented));
}

export function bearerOf(header: string | undefined): string | undefined {
  if (header === undefined) return undefined;
  const m = /^Bearer\s+(\S+)\s*$/i.exec(header);
  return m ? m[1] : undefined;
}

/**
 * With BOUTIQUE_API_TOKEN set, writes need `Authorization: Bearer <token>`; reads too when
 * BOUTIQUE_READ_TOKEN_REQUIRED=true. Applies to the API, the event stream and /metrics; pages,
 * assets and health checks stay open.
 */
export function registerAuth(app: FastifyInstance, config: Pick<Config, 'apiToken' | 'readTokenRequired'>): void {
  const token = config.apiToken;
  if (token === undefined) return;
  app.addHook('onRequest', async (request) => {
    // The matched route, not the raw URL: the router decodes percent-escapes, so `/%63ustomers`
    // reaches /customers while request.url does not start with "/customers" (found by test/access-control.test.ts).
    const path = request.routeOptions.url ?? '';
    const guarded = path.startsWith('/customers') || path.startsWith('/orders') || path.startsWith('/events') || path === METRICS;
    if (!guarded || request.method === 'OPTIONS') return;
    const isWrite = WRITE_METHODS.has(request.method);
    if (!isWrite && !config.readTokenRequired) return;
    const presented = bearerOf(request.headers.authorization);
    if (!tokenMatches(token, presented)) {
      throw new BoutiqueError('UNAUTHORIZED', presented === undefined ? 'This server requires Authorization: Bearer <token>.' : 'The bearer token is not valid.', {
        headers: { 'www-authenticate': presented === undefined ? 'Bearer realm="boutique"' : 'Bearer realm="boutique", error="invalid_token"' },
      });
    }
  });
}
