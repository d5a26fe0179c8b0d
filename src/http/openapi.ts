import { createRequire } from 'node:module';
import type { FastifyInstance, FastifySchema } from 'fastify';
import type { TSchema } from 'typebox';
import type { Access } from './auth.js';
import { wrapperOf } from './body.js';
import { LIST_TYPES, RESOURCE_TYPES, type MediaType } from './negotiate.js';
import { Problem } from './problem.js';
import { ErrorResponses, HEADERS, LOG_POSITION, REPRESENTATIONS, headerRef } from './openapi-responses.js';
import { SchemaComponents, plain, type Json } from './openapi-schemas.js';

/** The package's version: the document describes this build. */
const { version } = createRequire(import.meta.url)('../../package.json') as { version: string };

declare module 'fastify' {
  interface FastifySchema {
    tags?: string[];
    summary?: string;
    description?: string;
    /**
     * OpenAPI responses of the route (documentation only: handlers write their own bodies). An
     * error status given with a description alone is answered in the error forms of the catalogue.
     */
    responses?: Record<number, unknown>;
    /** The schema of the route's HTML form body (urlencoded), when it is not `body`. */
    formBody?: TSchema;
    /** Request headers the route reads, by name, with what they do (documentation only). */
    requestHeaders?: Record<string, string>;
    hide?: boolean;
  }
}

export interface OpenApiOptions {
  /** Named schemas (with an `$id`): each is defined once in components, used or not. */
  schemas: readonly TSchema[];
  /** Who needs the token for what under the running configuration. */
  access: Access;
  /** True when the HTTP rate limit is on: then every operation can answer 429. */
  rateLimited: boolean;
}

interface Collected {
  method: string;
  url: string;
  schema: FastifySchema;
  negotiate: 'list' | 'resource' | undefined;
  /** The name a wrapped body is accepted under (`customer`), when the route takes one. */
  wrapper: string | undefined;
}

const WRITES: ReadonlySet<string> = new Set(['post', 'put', 'patch', 'delete']);
/** If-Match is honoured on these (RFC 9110 §13.1.1): 412 when stale. */
const CONDITIONAL: ReadonlySet<string> = new Set(['put', 'patch', 'delete']);
/** Methods whose bodies Fastify reads, and so may refuse (400, 413, 415), whether the route wants a body or not. */
const READS_BODY: ReadonlySet<string> = new Set(['post', 'put', 'patch', 'delete', 'options']);

/**
 * Collects every route as it is added and builds the OpenAPI 3.1 document from the very
 * schemas that validate requests, with what the server really does around them: every
 * representation content negotiation can choose, the bare and wrapped bodies and forms, the
 * conditional requests, the errors each operation can answer and the token it needs under the
 * running configuration.
 */
export function collectRoutes(app: FastifyInstance, options: OpenApiOptions): () => Json {
  const routes: Collected[] = [];
  app.addHook('onRoute', (route) => {
    const schema = route.schema;
    if (!schema || schema.hide) return;
    for (const method of [route.method].flat()) {
      routes.push({ method: method.toLowerCase(), url: route.url, schema, negotiate: route.config?.negotiate, wrapper: wrapperOf(route.preValidation) });
    }
  });
  let doc: Json | undefined;
  return () => (doc ??= build(routes, options));
}

interface Context {
  schemas: SchemaComponents;
  errors: ErrorResponses;
  options: OpenApiOptions;
  /** The schemas of GET routes: a HEAD route with one of them is the twin Fastify adds (exposeHeadRoutes). */
  gets: ReadonlySet<FastifySchema>;
}

function build(routes: readonly Collected[], options: OpenApiOptions): Json {
  const schemas = new SchemaComponents([...options.schemas, Problem]);
  const context: Context = {
    schemas,
    errors: new ErrorResponses(schemas.use(Problem)),
    options,
    gets: new Set(routes.filter((r) => r.method === 'get').map((r) => r.schema)),
  };
  const paths: Record<string, Json> = {};
  for (const route of routes) {
    const path = route.url.replace(/:(\w+)/g, '{$1}');
    (paths[path] ??= {})[route.method] = operation(route, path, context);
  }
  const { access } = options;
  return {
    openapi: '3.1.0',
    info: {
      title: 'Boutique',
      version,
      description:
        'Customers and orders over HTTP with content negotiation (JSON, HTML, text, CSV), ETags and RFC 9457 errors; ' +
        'their changes as Server-Sent Events. Describes this server as it runs: the security requirements follow its token settings.',
    },
    // Relative: resolved against where this document was fetched (OAS 3.1 §4.8.5); GET /openapi.json names the origin.
    servers: [{ url: '/' }],
    paths,
    components: {
      schemas: schemas.definitions,
      responses: context.errors.definitions,
      headers: HEADERS,
      ...(access.writesNeedToken
        ? {
            securitySchemes: {
              bearer: {
                type: 'http',
                scheme: 'bearer',
                description: `The BOUTIQUE_API_TOKEN of the server: ${access.readsNeedToken ? 'every operation of the API needs it (BOUTIQUE_READ_TOKEN_REQUIRED=true)' : 'writes need it'}; OPTIONS never does.`,
              },
            },
          }
        : {}),
    },
  };
}

function operation(route: Collected, path: string, context: Context): Json {
  const { method, schema } = route;
  const { errors, options } = context;
  const head = method === 'head';
  const twin = head && context.gets.has(schema);
  const offered = route.negotiate === 'list' ? LIST_TYPES : route.negotiate === 'resource' ? RESOURCE_TYPES : undefined;
  const guarded = options.access.guards(method.toUpperCase(), route.url);

  const responses: Json = {};
  const declared = schema.responses ?? { 200: { description: head ? 'The headers only' : 'OK' } };
  for (const [status, response] of Object.entries(declared)) {
    const code = Number(status);
    const description = (response as { description?: string }).description;
    responses[status] = code >= 400 ? errors.ref(code, description, head) : success(response as Json, code, route, offered, context, head);
  }
  if (offered && (method === 'get' || head)) responses[304] = notModified(route.negotiate === 'list');

  // What every operation of its kind can answer besides; an error the route declared keeps its own description.
  const add = (status: number, when = true) => {
    if (when && responses[status] === undefined) responses[status] = errors.ref(status, undefined, head);
  };
  add(400);
  add(401, guarded);
  add(403, WRITES.has(method));
  add(404, path.includes('{'));
  add(406, offered !== undefined);
  add(412, CONDITIONAL.has(method));
  add(413, READS_BODY.has(method));
  add(415, READS_BODY.has(method));
  add(422, schema.body !== undefined);
  add(429, options.rateLimited);
  add(500);
  add(503);

  const requestBody = body(route, context);
  return {
    operationId: operationId(method, path),
    ...(schema.summary ? { summary: twin ? `Headers only: ${schema.summary}` : schema.summary } : {}),
    ...(schema.description ? { description: schema.description } : {}),
    ...(schema.tags ? { tags: schema.tags } : {}),
    parameters: parameters(route, offered !== undefined, context),
    ...(requestBody ? { requestBody } : {}),
    // Integer-like keys keep ascending order in a JSON object.
    responses,
    ...(guarded ? { security: [{ bearer: [] }] } : {}),
  };
}

/**
 * A success response as the route declares it (its JSON schema), with every other representation
 * negotiation can choose and the headers the representation carries. An answer to HEAD has no body.
 */
function success(response: Json, code: number, route: Collected, offered: readonly MediaType[] | undefined, context: Context, head: boolean): Json {
  const representation = offered !== undefined && code >= 200 && code < 300 && code !== 204;
  const headers: Json = {};
  for (const [name, header] of Object.entries((response.headers ?? {}) as Record<string, Json>)) {
    headers[name] = header.schema === undefined ? header : { ...header, schema: context.schemas.use(header.schema) };
  }
  if (representation) Object.assign(headers, { ETag: headerRef('ETag'), [LOG_POSITION]: headerRef(LOG_POSITION) });
  if (representation && route.negotiate === 'list' && code === 200) Object.assign(headers, { Link: headerRef('Link'), 'X-Total-Count': headerRef('X-Total-Count') });
  if (code === 201) headers.Location = headerRef('Location');
  if (route.method === 'delete' && code === 204) headers[LOG_POSITION] = headerRef(LOG_POSITION);

  const content: Json = {};
  if (!head) {
    for (const [type, media] of Object.entries((response.content ?? {}) as Record<string, Json>)) {
      content[type] = media.schema === undefined ? media : { ...media, schema: context.schemas.use(media.schema) };
    }
    if (representation && content['application/json'] !== undefined) {
      for (const type of offered) if (type !== 'application/json') content[type] = REPRESENTATIONS[type];
    }
  }
  return {
    description: response.description ?? 'OK',
    ...(Object.keys(headers).length ? { headers } : {}),
    ...(Object.keys(content).length ? { content } : {}),
  };
}

function notModified(list: boolean): Json {
  return {
    description: 'Not Modified: If-None-Match names the current ETag; no body',
    headers: { ETag: headerRef('ETag'), [LOG_POSITION]: headerRef(LOG_POSITION), ...(list ? { Link: headerRef('Link'), 'X-Total-Count': headerRef('X-Total-Count') } : {}) },
  };
}

function parameters(route: Collected, negotiated: boolean, context: Context): Json[] {
  const { method, schema } = route;
  const header = (name: string, description: string): Json => ({ name, in: 'header', required: false, description, schema: { type: 'string' } });
  return [
    ...fromSchema(schema.params, 'path', context),
    ...fromSchema(schema.querystring, 'query', context),
    ...(negotiated && (method === 'get' || method === 'head') ? [header('If-None-Match', 'ETags of copies the client has: 304 when one is current (RFC 9110 §13.1.2)')] : []),
    ...(CONDITIONAL.has(method) ? [header('If-Match', 'The ETag (of any representation) the change is based on, or `*`: 412 when it is no longer current (RFC 9110 §13.1.1)')] : []),
    ...Object.entries(schema.requestHeaders ?? {}).map(([name, description]) => header(name, description)),
  ];
}

function fromSchema(schema: unknown, where: 'path' | 'query', context: Context): Json[] {
  if (schema === undefined) return [];
  const s = plain(schema);
  const properties = (s.properties ?? {}) as Record<string, Json>;
  const required = new Set((s.required ?? []) as string[]);
  return Object.entries(properties).map(([name, property]) => ({
    name,
    in: where,
    required: where === 'path' || required.has(name),
    ...(typeof property.description === 'string' ? { description: property.description } : {}),
    schema: context.schemas.use(property),
  }));
}

/**
 * The request body as the server reads it (src/http/body.ts): JSON, bare or wrapped under the
 * route's wrapper; a merge patch for PATCH (RFC 7396); and an HTML form, which every route with
 * a body takes (its fields turned into the same JSON shape).
 */
function body(route: Collected, context: Context): Json | undefined {
  const { schema, method, wrapper } = route;
  if (schema.body === undefined) return undefined;
  const bare = context.schemas.use(schema.body);
  const json =
    wrapper === undefined
      ? bare
      : { anyOf: [bare, { type: 'object', required: [wrapper], properties: { [wrapper]: bare }, additionalProperties: false, description: `The same, wrapped: {"${wrapper}": {…}}` }] };
  return {
    required: true,
    content: {
      'application/json': { schema: json },
      ...(method === 'patch' ? { 'application/merge-patch+json': { schema: json } } : {}),
      'application/x-www-form-urlencoded': { schema: context.schemas.use(schema.formBody ?? schema.body) },
    },
  };
}

/** `get` and `/customers/{id}/orders` → `getCustomersByIdOrders`: unique per method and path. */
function operationId(method: string, path: string): string {
  const word = (s: string) => s.replace(/[^A-Za-z0-9]+(.)?/g, (_m, c: string | undefined) => (c ?? '').toUpperCase()).replace(/^./, (c) => c.toUpperCase());
  const segments = path.split('/').filter(Boolean).map((s) => (s.startsWith('{') ? 'By' + word(s.slice(1, -1)) : word(s)));
  return method + segments.join('');
}
