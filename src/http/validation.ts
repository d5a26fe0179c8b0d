import { Ajv } from 'ajv';
import addFormats from 'ajv-formats';
import { BoutiqueError, type FieldError } from '../errors.js';
import { PLAIN_TEXT, isPlainText } from './plain-text.js';

/** An error as Ajv reports it. */
export interface AjvError {
  instancePath: string;
  keyword: string;
  message?: string;
  params: Record<string, unknown>;
}

/**
 * Two validators: bodies are checked as sent (a number where a string belongs is a 422, not
 * silently converted), query strings and path parameters are text and get coerced. The routes
 * get them through Fastify's validator compiler; the live queries of a WebSocket (src/live/queries.ts)
 * compile the very same list schemas with the same options, so a query is valid, coerced and
 * refused alike on both.
 */
export function createValidators(): { body: Ajv; query: Ajv } {
  const body = new Ajv({ allErrors: true, coerceTypes: false, removeAdditional: false, useDefaults: true, strict: false });
  const query = createQueryValidator();
  addFormats.default(body, ['email', 'date-time']);
  body.addFormat(PLAIN_TEXT, { type: 'string', validate: isPlainText });
  return { body, query };
}

export function createQueryValidator(): Ajv {
  const query = new Ajv({ allErrors: true, coerceTypes: 'array', removeAdditional: false, useDefaults: true, strict: false });
  addFormats.default(query, ['email', 'date-time']);
  return query;
}

function fieldOf(e: AjvError): string {
  const base = e.instancePath.replace(/^\//, '');
  const missing = e.params.missingProperty ?? e.params.additionalProperty;
  if (typeof missing === 'string') return base ? `${base}/${missing}` : missing;
  return base || '(body)';
}

function messageOf(e: AjvError, sortable?: string): string {
  if (e.keyword === 'required') return 'is required';
  if (e.keyword === 'additionalProperties') return 'is not a known field';
  if (e.keyword === 'format' && e.params.format === 'email') return 'must be a valid email address';
  if (e.keyword === 'format' && e.params.format === PLAIN_TEXT) return 'must not contain control characters, line breaks, direction overrides or unpaired surrogates';
  if (e.keyword === 'pattern' && sortable !== undefined) return `names an unknown field; sortable fields are ${sortable}`;
  if ((e.keyword === 'pattern' && e.params.pattern === '\\S') || (e.keyword === 'minLength' && e.params.limit === 1)) return 'must not be blank';
  return e.message ?? 'is invalid';
}

/**
 * What a client is told when its query string (400) or body (422) breaks the schema: one message
 * per field, the first rule it breaks. The same for a GET and for a live query of the same list.
 */
export function validationError(validation: readonly AjvError[], context: 'querystring' | 'body', sortable?: string): BoutiqueError {
  // A union of constants (an enum such as an order's status) fails once per constant: one message names them all.
  const allowed = new Map<string, unknown[]>();
  for (const e of validation) {
    if (e.keyword !== 'const') continue;
    const field = fieldOf(e);
    allowed.set(field, [...(allowed.get(field) ?? []), e.params.allowedValue]);
  }
  const seen = new Set<string>();
  const errors: FieldError[] = [];
  for (const e of validation) {
    // anyOf/oneOf wrappers repeat what the branch errors already say.
    if (e.keyword === 'anyOf' || e.keyword === 'oneOf' || e.keyword === 'if') continue;
    const field = fieldOf(e);
    const constants = e.keyword === 'const' ? allowed.get(field) : undefined;
    const message = constants && constants.length > 1 ? `must be one of ${constants.map(String).join(', ')}` : messageOf(e, field === 'sort' ? sortable : undefined);
    const item = { field, message };
    if (!seen.has(item.field)) errors.push(item), seen.add(item.field);
  }
  if (context === 'querystring') {
    return new BoutiqueError('BAD_REQUEST', errors.map((e) => `query parameter "${e.field}" ${e.message}`).join('; '), { errors });
  }
  return new BoutiqueError('VALIDATION_FAILED', errors.map((e) => `${e.field}: ${e.message}`).join('; '), { errors });
}

/** The sortable fields a list's query-string schema names in its `sort` description (src/http/list-query.ts). */
export function sortableOf(schema: unknown): string | undefined {
  const properties = (schema as { properties?: { sort?: { description?: string } } } | undefined)?.properties;
  return properties?.sort?.description?.split('Sortable: ')[1];
}
