import type { FastifyInstance, FastifyRequest } from 'fastify';

type Done = (err: Error | null, body?: unknown) => void;

/**
 * The JSON body parser, except that an empty body on a route that reads none (DELETE, OPTIONS…)
 * is no body at all. Many client wrappers send `Content-Type: application/json` on every request;
 * refusing their body-less DELETE as malformed JSON (400) helps nobody. A route that takes a body
 * still answers an empty one with 400.
 */
export function registerJsonBody(app: FastifyInstance): void {
  const parseJson = app.getDefaultJsonParser('error', 'error');
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (request: FastifyRequest, body: string, done: Done) => {
    if (body.length === 0 && request.routeOptions.schema?.body === undefined) return done(null, undefined);
    return parseJson(request, body, done);
  });
}
