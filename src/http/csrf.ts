import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Config } from '../config.js';
import { BoutiqueError } from '../errors.js';

const WRITES: ReadonlySet<string> = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

/**
 * Bodies any site's page can send here without a CORS preflight (Fetch §4.1, CORS-safelisted
 * Content-Type): an HTML form's, and text/plain. A JSON body makes the browser ask first, and the
 * CORS answer (src/http/cors.ts) decides; a request with no body type at all is as simple as a form.
 */
const SIMPLE_BODY = /^\s*(application\/x-www-form-urlencoded|multipart\/form-data|text\/plain)\s*(;|$)/i;

/** This server's origin as the browser addressed it (the Host header; X-Forwarded-* only from a trusted proxy). */
export function ownOrigin(request: FastifyRequest): string {
  return `${request.protocol}://${request.host}`;
}

/**
 * True when a write that a cross-site form could have sent comes from another site's page: its
 * `Origin` is neither this server's own nor listed in ALLOWED_ORIGINS (`null` included), or, from
 * a browser that sent no Origin, its `Sec-Fetch-Site` is not same-origin. Without either header
 * the client is not a browser, and there is no visitor whose browser could be borrowed.
 */
export function crossSiteWrite(request: FastifyRequest, allowed: ReadonlySet<string>): boolean {
  if (!WRITES.has(request.method)) return false;
  const type = request.headers['content-type'];
  if (type !== undefined && !SIMPLE_BODY.test(type)) return false;
  const origin = request.headers.origin;
  if (origin !== undefined) return origin !== ownOrigin(request) && !allowed.has(origin);
  const site = request.headers['sec-fetch-site'];
  // `none`: the user started the request themselves (typed, bookmarked), not another page.
  return site !== undefined && site !== 'same-origin' && site !== 'none';
}

/**
 * Cross-site request forgery: a page on another site posting a form to this API with its
 * visitor's browser. Without a token (or with one a form cannot carry anyway) such a write would
 * be carried out; it is refused with 403 before its body is read. Registered before auth, so the
 * answer says what is wrong rather than asking for a token.
 */
export function registerCsrfGuard(app: FastifyInstance, config: Pick<Config, 'allowedOrigins'>): void {
  const allowed: ReadonlySet<string> = new Set(config.allowedOrigins ?? []);
  app.addHook('onRequest', (request, _reply, done) => {
    if (crossSiteWrite(request, allowed)) {
      return done(new BoutiqueError('FORBIDDEN', "This write came from another site's page: forms and text bodies are accepted from this site's own pages and ALLOWED_ORIGINS only."));
    }
    done();
  });
}
