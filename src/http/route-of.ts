import type { FastifyRequest } from 'fastify';

declare module 'fastify' {
  interface FastifyRequest {
    /** The matched route's pattern, set by the route's own first hook ('' until then). */
    routeUrl: string;
  }
}

/**
 * The route pattern a request matched (`/customers/:id`), `unmatched` for none. The route's own
 * hook records it (src/http/index.ts); `request.routeOptions`, which Fastify builds afresh on
 * every access, is read only for the answers given before that hook ran (404s, 401s, 429s).
 */
export function routeOf(request: FastifyRequest): string {
  return request.routeUrl || (request.routeOptions.url ?? 'unmatched');
}
