import { CATALOGUE, type ErrorCode } from '../errors.js';
import { ERROR_MEDIA_TYPES } from './error-handler.js';
import type { MediaType } from './negotiate.js';
import type { Json } from './openapi-schemas.js';
import { POSITION_HEADER } from './representation.js';

const string = (description: string): Json => ({ schema: { type: 'string', description } });

/** The body of each representation other than JSON (src/http/representation.ts, the resources' views). */
export const REPRESENTATIONS: Record<Exclude<MediaType, 'application/json'>, Json> = {
  'text/html': string('A browsable page, with links and the forms of the writes'),
  'text/plain': string('Readable lines'),
  'text/csv': string('RFC 4180, with a header row (`header=present`)'),
};

/** Header names are case-insensitive; the document writes them as RFC 9110 does: boutique-log-position → Boutique-Log-Position. */
const titleCase = (name: string): string => name.replace(/(^|-)([a-z])/g, (_m, sep: string, c: string) => sep + c.toUpperCase());

/** The header of the change-log position, as the representations set it. */
export const LOG_POSITION = titleCase(POSITION_HEADER);

/** Response headers, each described once and referred to by name (`#/components/headers/ETag`). */
export const HEADERS: Record<string, Json> = {
  ETag: { description: 'Strong validator of this representation: send it in If-None-Match (304 when current) or If-Match (412 when stale)', required: true, schema: { type: 'string' } },
  [LOG_POSITION]: {
    description: 'The change-log position this response reflects: a live subscription after it (SSE `?after=`, WebSocket `after`) receives exactly the changes made since',
    required: true,
    schema: { type: 'integer', minimum: 0 },
  },
  Link: { description: 'RFC 8288 links to the first, previous, next and last pages', required: true, schema: { type: 'string' } },
  'X-Total-Count': { description: 'How many items the whole list has, on every page', required: true, schema: { type: 'integer', minimum: 0 } },
  Location: { description: 'The URL of the created resource', required: true, schema: { type: 'string' } },
  'WWW-Authenticate': { description: 'RFC 6750 §3: `Bearer realm="boutique"`, with `error="invalid_token"` for a wrong token', required: true, schema: { type: 'string' } },
  'Retry-After': { description: 'Seconds to wait before trying again', schema: { type: 'integer', minimum: 0 } },
};

export const headerRef = (name: string): Json => ({ $ref: `#/components/headers/${name}` });

const ERROR_HEADERS: Partial<Record<ErrorCode, Json>> = {
  UNAUTHORIZED: { 'WWW-Authenticate': headerRef('WWW-Authenticate') },
  TOO_MANY_REQUESTS: { 'Retry-After': headerRef('Retry-After') },
  SERVICE_UNAVAILABLE: { 'Retry-After': headerRef('Retry-After') },
};

/**
 * Fastify answers a request that arrives on an open connection after shutdown began itself
 * (return503OnClosing), before any hook or error handler: plain JSON, not a problem.
 */
const FASTIFY_CLOSING: Json = {
  schema: {
    type: 'object',
    required: ['error', 'message', 'statusCode'],
    properties: { error: { type: 'string' }, message: { type: 'string' }, statusCode: { const: 503 } },
    description: "Fastify's own answer while the server shuts down",
  },
};

/** PascalCase component name of an error code: NOT_FOUND → NotFound. */
const componentName = (code: ErrorCode): string => code.toLowerCase().replace(/(^|_)([a-z])/g, (_m, _sep, c: string) => c.toUpperCase());

/**
 * The error responses of the document, in `components/responses`: one per error of the catalogue
 * (src/errors.ts) that some operation can answer, in each form sendError writes.
 */
export class ErrorResponses {
  readonly #used = new Map<string, Json>();
  readonly #byStatus = new Map<number, ErrorCode>(Object.entries(CATALOGUE).map(([code, entry]) => [entry.status, code as ErrorCode]));

  constructor(private readonly problemRef: Json) {}

  /**
   * A reference to the response of the error with this status; `description` says what it means
   * for one operation. An answer to HEAD has no body: `bodiless` gives its status and headers alone.
   */
  ref(status: number, description?: string, bodiless = false): Json {
    const code = this.#byStatus.get(status);
    if (code === undefined) throw new Error(`no error of the catalogue has the status ${status}`);
    if (bodiless) {
      const headers = ERROR_HEADERS[code];
      return { description: description ?? `${CATALOGUE[code].title}: ${CATALOGUE[code].description}`, ...(headers ? { headers } : {}) };
    }
    const name = componentName(code);
    if (!this.#used.has(name)) this.#used.set(name, this.#response(code));
    return { $ref: `#/components/responses/${name}`, ...(description ? { description } : {}) };
  }

  get definitions(): Json {
    return Object.fromEntries(this.#used);
  }

  #response(code: ErrorCode): Json {
    const entry = CATALOGUE[code];
    const content: Json = {};
    for (const type of ERROR_MEDIA_TYPES) {
      content[type] = type === 'application/problem+json' ? { schema: this.problemRef } : type === 'text/html' ? string('The problem as an HTML page') : string('The status line, the detail and one line per bad field');
    }
    if (code === 'SERVICE_UNAVAILABLE') content['application/json'] = FASTIFY_CLOSING;
    const headers = ERROR_HEADERS[code];
    return { description: `${entry.title}: ${entry.description}`, ...(headers ? { headers } : {}), content };
  }
}
