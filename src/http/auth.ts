import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import type { Config } from '../config.js';
import { BoutiqueError } from '../errors.js';

const WRITE_METHODS: ReadonlySet<string> = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

/**
 * The routes anyone may call whatever the token settings: the pages and their assets, the probes
 * and the documents that describe the API. Every other route — every resource, the event stream,
 * the metrics, and any route added later — needs the token for writes, and for reads when reads
 * are protected. A new route is guarded without anyone remembering to list it (fail closed).
 */
export const PUBLIC_ROUTES: ReadonlySet<string> = new Set([
  '/',
  '/chat',
  '/dashboard',
  '/assets/:file',
  '/healthz',
  '/readyz',
  '/openapi.json',
  '/asyncapi.json',
  '/problems',
  '/problems/:slug',
]);

const digest = (s: string): Buffer => createHash('sha256').update(s).digest();

/**
 * Who may do what under BOUTIQUE_API_TOKEN and BOUTIQUE_READ_TOKEN_REQUIRED, for every transport:
 * the HTTP hook below, SSE (a route like any other) and WebSocket subscriptions (src/chat) ask
 * this one object.
 */
export class Access {
  readonly #digest: Buffer | undefined;
  readonly writesNeedToken: boolean;
  readonly readsNeedToken: boolean;

  constructor(config: Pick<Config, 'apiToken' | 'readTokenRequired'>) {
    this.#digest = config.apiToken === undefined ? undefined : digest(config.apiToken);
    this.writesNeedToken = config.apiToken !== undefined;
    this.readsNeedToken = config.apiToken !== undefined && config.readTokenRequired;
  }

  /**
   * True when a request of `method` on the route `route` (as declared: `/customers/:id`; undefined
   * when nothing matched) must carry the token. The HTTP hook below enforces it and the OpenAPI
   * document declares it, so the two cannot disagree. CORS preflights (OPTIONS) carry no
   * credentials and never need it.
   */
  guards(method: string, route: string | undefined): boolean {
    if (!this.writesNeedToken || method === 'OPTIONS' || (route !== undefined && PUBLIC_ROUTES.has(route))) return false;
    return WRITE_METHODS.has(method) || this.readsNeedToken;
  }

  /**
   * Compares in constant time: both sides are hashed first so neither the content nor the length
   * of the configured token leaks through timing.
   */
  matches(presented: string | undefined): boolean {
    return presented !== undefined && this.#digest !== undefined && timingSafeEqual(digest(presented), this.#digest);
  }
}

export function bearerOf(header: string | undefined): string | undefined {
  if (header === undefined) return undefined;
  const m = /^Bearer\s+(\S+)\s*$/i.exec(header);
  return m ? m[1] : undefined;
}

/**
 * With BOUTIQUE_API_TOKEN set, writes need `Authorization: Bearer <token>`; reads too when
 * BOUTIQUE_READ_TOKEN_REQUIRED=true (Access.guards). Every route is guarded unless it is in
 * PUBLIC_ROUTES; CORS preflights (OPTIONS) carry no credentials and pass.
 */
export function registerAuth(app: FastifyInstance, access: Access): void {
  if (!access.writesNeedToken) return;
  app.addHook('onRequest', (request, _reply, done) => {
    // The matched route, not the raw URL: the router decodes percent-escapes, so `/%63ustomers`
    // reaches /customers while request.url does not start with "/customers" (found by test/access-control.test.ts).
    if (!access.guards(request.method, request.routeOptions.url)) return done();
    const presented = bearerOf(request.headers.authorization);
    if (access.matches(presented)) return done();
    done(
      new BoutiqueError('UNAUTHORIZED', presented === undefined ? 'This server requires Authorization: Bearer <token>.' : 'The bearer token is not valid.', {
        headers: { 'www-authenticate': presented === undefined ? 'Bearer realm="boutique"' : 'Bearer realm="boutique", error="invalid_token"' },
      }),
    );
  });
}
