import type { FastifyInstance, HTTPMethods } from 'fastify';
import type { TSchema } from 'typebox';
import { BoutiqueError } from '../errors.js';

const ALL: HTTPMethods[] = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'];

/**
 * For a path that takes `allowed` methods: OPTIONS answers 204 with `Allow`, and every other
 * method answers 405 with `Allow` (RFC 9110 §15.5.6) instead of a misleading 404.
 */
export function describePath(app: FastifyInstance, url: string, allowed: HTTPMethods[], doc: { params?: TSchema; tags?: string[] } = {}): void {
  const methods = [...new Set<HTTPMethods>([...allowed, ...(allowed.includes('GET') ? (['HEAD'] as HTTPMethods[]) : []), 'OPTIONS'])];
  const allow = methods.join(', ');
  const options = {
    ...doc,
    summary: 'The methods this path takes',
    responses: { 204: { description: `No body; Allow: ${allow}`, headers: { Allow: { schema: { type: 'string', const: allow } } } } },
  };
  app.options(url, { schema: options }, async (_request, reply) => reply.code(204).header('allow', allow).send());
  const others = ALL.filter((m) => !methods.includes(m));
  if (others.length > 0) {
    app.route({
      method: others,
      url,
      schema: { hide: true },
      // Refused in onRequest, before the body is read: a 405 must not turn into a 415 or a 400.
      onRequest: async (request) => {
        throw new BoutiqueError('METHOD_NOT_ALLOWED', `${request.method} is not allowed on ${url}; allowed: ${allow}.`, { headers: { allow } });
      },
      handler: async () => undefined,
    });
  }
}
