import type { FastifyInstance } from 'fastify';

/**
 * Headers every response carries, pages or API. The pages' CSP (src/pages/routes.ts) already says
 * `frame-ancestors 'none'`; X-Frame-Options says the same to browsers that predate CSP 2
 * (clickjacking). Referrer `same-origin`: URLs of this API (ids, ?q= searches) never leak to other
 * sites through links on the browsable pages (`no-referrer` would also turn the Origin of the
 * pages' own POSTs into `null`, Fetch §3.2.5).
 */
/**
 * CSP for every HTML response — the pages, the browsable API and HTML error pages: only this
 * origin's scripts, styles and sockets (connect-src carries ws:/wss: for /chat and /dashboard).
 */
export const PAGE_CSP =
  "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self' ws: wss:; frame-ancestors 'none'; base-uri 'none'; form-action 'self'";

const HEADERS = {
  'x-frame-options': 'DENY',
  'referrer-policy': 'same-origin',
  'cross-origin-opener-policy': 'same-origin',
} as const;

export function registerSecurityHeaders(app: FastifyInstance): void {
  app.addHook('onRequest', async (_request, reply) => {
    reply.headers(HEADERS);
  });
  // By content type, not by path: a route-scoped hook missed /customers as HTML and HTML error pages.
  app.addHook('onSend', async (_request, reply, payload) => {
    const type = reply.getHeader('content-type');
    if (typeof type === 'string' && type.startsWith('text/html') && !reply.hasHeader('content-security-policy')) {
      reply.header('content-security-policy', PAGE_CSP);
    }
    return payload;
  });
}
