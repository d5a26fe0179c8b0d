import type { FastifyInstance } from 'fastify';
import cors from '@fastify/cors';
import type { Config } from '../config.js';

/** What a cross-origin page may send and read; If-Match and Authorization are what a browser client of this API needs. */
const METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'];
const ALLOWED_HEADERS = ['Authorization', 'Content-Type', 'Accept', 'If-Match', 'If-None-Match', 'Last-Event-ID', 'X-Request-Id'];
const EXPOSED_HEADERS = ['ETag', 'Location', 'Link', 'X-Total-Count', 'X-Request-Id', 'Retry-After', 'WWW-Authenticate', 'Allow', 'Boutique-Log-Position'];

/**
 * CORS (Fetch standard §3.2) for the origins in ALLOWED_ORIGINS, the same list the WebSocket
 * handshake checks. Unset (or `*`): no CORS headers at all, so only pages of this origin can read
 * the API from a browser — opening it to every site is a choice the operator makes by listing origins.
 * A foreign origin gets no CORS headers (the browser then refuses to hand the response to the page).
 *
 * Registered before the routes so its onRequest hook runs first. Preflights continue to the
 * route: our own OPTIONS routes (methods.ts describePath) answer 204 with `Allow`, and now with the
 * Access-Control-* headers too; unknown paths reach @fastify/cors's wildcard OPTIONS route.
 * Bearer tokens, not cookies, carry credentials: no Access-Control-Allow-Credentials.
 */
export async function registerCors(app: FastifyInstance, config: Pick<Config, 'allowedOrigins'>): Promise<void> {
  const allowed = config.allowedOrigins;
  if (allowed === undefined) return;
  const origins = new Set(allowed);
  await app.register(cors, {
    origin: (origin, callback) => callback(null, origin !== undefined && origins.has(origin) ? origin : false),
    methods: METHODS,
    allowedHeaders: ALLOWED_HEADERS,
    exposedHeaders: EXPOSED_HEADERS,
    maxAge: 600,
    preflightContinue: true,
    // A plain OPTIONS (no Access-Control-Request-Method) from an allowed origin is an ordinary
    // request for `Allow`, not a malformed preflight.
    strictPreflight: false,
  });
  // Negotiated routes and errors set `Vary: Accept`, replacing the `Vary: Origin` @fastify/cors
  // added; a cache must know the answer depends on both (Fetch §3.2.5 "CORS protocol and HTTP caches").
  app.addHook('onSend', async (_request, reply) => {
    const vary = reply.getHeader('vary');
    const current = Array.isArray(vary) ? vary.join(', ') : vary === undefined ? '' : String(vary);
    if (!/(^|,)\s*origin\s*(,|$)/i.test(current)) reply.header('vary', current === '' ? 'Origin' : `${current}, Origin`);
  });
}
