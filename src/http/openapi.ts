import type { FastifyInstance, RouteOptions } from 'fastify';
import type { TSchema } from 'typebox';

declare module 'fastify' {
  interface FastifySchema {
    tags?: string[];
    summary?: string;
    /** OpenAPI responses of the route (documentation only: handlers write their own bodies). */
    responses?: Record<number, unknown>;
    hide?: boolean;
  }
}

interface Collected {
  method: string;
  url: string;
  schema: NonNullable<RouteOptions['schema']>;
}

/** JSON Schema keeps only what is serializable: TypeBox's symbol-keyed metadata is dropped by JSON.stringify. */
const plain = (schema: unknown): Record<string, unknown> => JSON.parse(JSON.stringify(schema)) as Record<string, unknown>;

function parameters(schema: unknown, where: 'path' | 'query') {
  const s = schema ? plain(schema) : undefined;
  const properties = (s?.properties ?? {}) as Record<string, Record<string, unknown>>;
  const required = new Set((s?.required ?? []) as string[]);
  return Object.entries(properties).map(([name, p]) => ({
    name,
    in: where,
    required: where === 'path' || required.has(name),
    ...(p.description ? { description: p.description } : {}),
    schema: p,
  }));
}

/**
 * Collects every route as it is added and builds the OpenAPI 3.1 document from the very
 * schemas that validate requests.
 */
export function collectRoutes(app: FastifyInstance, schemas: readonly TSchema[] = []): () => Record<string, unknown> {
  const routes: Collected[] = [];
  app.addHook('onRoute', (route) => {
    const schema = route.schema;
    if (!schema || schema.hide) return;
    for (const method of [route.method].flat()) {
      // Fastify adds HEAD beside every GET (exposeHeadRoutes) with the GET's schema; it answers the same headers, no body.
      const documented = method === 'HEAD' ? { ...schema, summary: `Headers only: ${schema.summary ?? 'GET'}`, responses: { 200: { description: 'The headers GET would send, without a body' } } } : schema;
      routes.push({ method: method.toLowerCase(), url: route.url, schema: documented });
    }
  });
  let doc: Record<string, unknown> | undefined;
  return () => (doc ??= build(routes, schemas));
}

function build(routes: Collected[], schemas: readonly TSchema[]): Record<string, unknown> {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const { method, url, schema } of routes) {
    const path = url.replace(/:(\w+)/g, '{$1}');
    const bodySchema = schema.body ? plain(schema.body) : undefined;
    const operation: Record<string, unknown> = {
      ...(schema.summary ? { summary: schema.summary } : {}),
      ...(schema.tags ? { tags: schema.tags } : {}),
      parameters: [...parameters(schema.params, 'path'), ...parameters(schema.querystring, 'query')],
      ...(bodySchema
        ? {
            requestBody: {
              required: true,
              content: {
                'application/json': { schema: bodySchema },
                ...(method === 'patch' ? { 'application/merge-patch+json': { schema: bodySchema } } : {}),
                'application/x-www-form-urlencoded': { schema: bodySchema },
              },
            },
          }
        : {}),
      responses: {
        ...plain(schema.responses ?? { 200: { description: 'OK' } }),
        default: { description: 'An error (RFC 9457)', content: { 'application/problem+json': { schema: { $ref: '#/components/schemas/Problem' } } } },
      },
    };
    (paths[path] ??= {})[method] = operation;
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'Boutique',
      version: '0.1.0',
      description: 'Customers and orders over HTTP with content negotiation (JSON, HTML, text, CSV), ETags and RFC 9457 errors.',
    },
    paths,
    components: {
      schemas: {
        ...Object.fromEntries(schemas.flatMap((schema) => {
          const id = (schema as { $id?: unknown }).$id;
          return typeof id === 'string' ? [[id, plain(schema)]] : [];
        })),
        Problem: {
          type: 'object',
          required: ['type', 'title', 'status', 'detail'],
          properties: {
            type: { type: 'string' },
            title: { type: 'string' },
            status: { type: 'integer' },
            detail: { type: 'string' },
            instance: { type: 'string' },
            errors: { type: 'array', items: { type: 'object', properties: { field: { type: 'string' }, message: { type: 'string' } } } },
          },
        },
      },
      securitySchemes: { bearer: { type: 'http', scheme: 'bearer', description: 'Required for writes when BOUTIQUE_API_TOKEN is set' } },
    },
  };
}
