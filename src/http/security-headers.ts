import type { AnswerStep } from './answer.js';

/**
 * CSP for every HTML response — the pages, the browsable API and HTML error pages: only this
 * origin's scripts, styles and sockets (connect-src carries ws:/wss: for /chat and /dashboard).
 */
export const PAGE_CSP =
  "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self' ws: wss:; frame-ancestors 'none'; base-uri 'none'; form-action 'self'";

/**
 * Headers on every response, API or page: no MIME sniffing, and no framing (X-Frame-Options
 * says what the CSP's `frame-ancestors 'none'` says, to browsers that predate CSP 2; OWASP's
 * REST cheat sheet asks for it on API responses too, against drag-and-drop clickjacking).
 */
export const EVERY_RESPONSE = { 'x-content-type-options': 'nosniff', 'x-frame-options': 'DENY' } as const;

/**
 * Headers that only a document acts on, so only HTML responses carry them: the CSP; Referrer
 * `same-origin`, so URLs of this API (ids, ?q= searches) never leak to other sites through links
 * on the browsable pages (`no-referrer` would also turn the Origin of the pages' own POSTs into
 * `null`, Fetch §3.2.5); and COOP, which applies to top-level documents only. A JSON body
 * has no links, no scripts and no window, and every header costs each API response its bytes.
 */
const HTML_ONLY = { 'referrer-policy': 'same-origin', 'cross-origin-opener-policy': 'same-origin' } as const;

/**
 * The headers every answer gets, as a step of the one onSend hook (src/http/answer.ts): it runs
 * for every answer Fastify sends, including the ones it makes itself before any onRequest hook
 * (a malformed URL), so it also echoes the request id. Routes that hijack the reply to stream
 * (GET /events) write EVERY_RESPONSE themselves. `closing` says whether shutdown has begun.
 */
export function securityHeaders(closing: () => boolean): AnswerStep {
  // By content type, not by path: a route-scoped hook missed /customers as HTML and HTML error pages.
  return (request, reply) => {
    reply.headers(EVERY_RESPONSE);
    // An answer finished after shutdown began ends its connection. Node closes the keep-alive
    // connections idle when close() is called; one busy then (a write waiting for its fsync) would
    // otherwise hold the shutdown until its client, or the keep-alive timeout, let go.
    if (closing()) reply.header('connection', 'close');
    reply.header('x-request-id', request.id);
    const type = reply.getHeader('content-type');
    if (typeof type === 'string' && type.startsWith('text/html')) {
      reply.headers(HTML_ONLY);
      if (!reply.hasHeader('content-security-policy')) reply.header('content-security-policy', PAGE_CSP);
    }
  };
}
