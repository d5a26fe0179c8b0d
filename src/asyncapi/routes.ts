import type { FastifyPluginAsync } from 'fastify';

declare module 'fastify' {
  interface FastifyInstance {
    /** The AsyncAPI document of the WebSocket and SSE protocols (src/asyncapi/document.ts), built at boot. */
    asyncapi(): Readonly<Record<string, unknown>>;
  }
}

/** GET /asyncapi.json: the document, serialized once. Public, like /openapi.json (src/http/auth.ts). */
export function asyncapiRoutes(document: Readonly<Record<string, unknown>>): FastifyPluginAsync {
  const body = JSON.stringify(document);
  return async (app) => {
    app.get('/asyncapi.json', { schema: { hide: true } }, async (_request, reply) => reply.type('application/json; charset=utf-8').send(body));
  };
}
