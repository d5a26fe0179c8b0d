import type { FastifyReply, FastifyRequest } from 'fastify';
import { html, page } from './html.js';
import { POSITION_HEADER } from './representation.js';
import { LOG_POSITION, headerRef } from './openapi-responses.js';

/** A browser submitting an HTML form: a urlencoded body, and HTML asked for in return. */
export function isBrowserForm(request: FastifyRequest): boolean {
  const type = request.headers['content-type'];
  return request.media === 'text/html' && type !== undefined && /^application\/x-www-form-urlencoded\b/i.test(type);
}

/**
 * Post/redirect/get for a browser's form post that created `location`: 303 See Other (RFC 9110
 * §15.4.4), so the address bar shows the new resource and a reload fetches it instead of posting
 * the form again. Other clients (JSON, curl -d) get undefined and answer 201 with the resource.
 */
export function redirectAfterForm(request: FastifyRequest, reply: FastifyReply, location: string, position: number): FastifyReply | undefined {
  if (!isBrowserForm(request)) return undefined;
  return reply
    .code(303)
    .header('location', location)
    .header(POSITION_HEADER, position)
    .type('text/html; charset=utf-8')
    .send(page(request, { title: 'Created', body: html`<p>Created: <a href="${location}">${location}</a></p>` }));
}

/** The OpenAPI response of a route that calls redirectAfterForm. */
export const SEE_OTHER = {
  description: 'See Other (post/redirect/get): an HTML form posted by a browser that asked for HTML; Location names the created resource',
  headers: { Location: headerRef('Location'), [LOG_POSITION]: headerRef(LOG_POSITION) },
  content: { 'text/html': { schema: { type: 'string', description: 'A page linking the created resource' } } },
};
