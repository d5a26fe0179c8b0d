import querystring from 'fast-querystring';
import { Type, type TObject, type TSchema } from 'typebox';
import type { ValidateFunction } from 'ajv';
import { BoutiqueError } from '../errors.js';
import { searchText } from '../http/list-query.js';
import { createQueryValidator, sortableOf, validationError, type AjvError } from '../http/validation.js';
import type { ListSelection, LiveList } from '../resources/resource.js';
import type { Topic } from './topics.js';

export type { ListSelection, LiveList };

/** A parsed live query: its topic (shared by everyone on the same query), and the order its snapshot is read in. */
export interface ParsedQuery {
  readonly topic: QueryTopic;
  readonly sort: string | undefined;
}

export interface QueryTopic extends Topic {
  readonly kind: 'query';
  read(sort: string | undefined, limit: number): ReturnType<ListSelection['read']>;
}

/** The longest live query a WebSocket may send (an SSE request's URL has the server's own limits). */
export const MAX_QUERY_LENGTH = 2048;

/** Query parameters of a list that apply to a page and not to a stream. */
const PAGING = new Set(['page', 'per_page']);

interface Compiled {
  list: LiveList;
  /** The path's segments; a parameter's is its name prefixed with ':'. */
  segments: string[];
  stream: TObject;
  validateQuery: ValidateFunction;
  validateParams: ValidateFunction | undefined;
  sortable: string | undefined;
}

/**
 * Live queries: a REST list's path and query string, subscribed to. They are parsed and validated
 * exactly as the GET parses and validates them (its schema, the same Ajv options and error
 * messages), and their canonical form is their key: the path with its ids, then the filters
 * sorted by name (`/orders?customerId=7&status=paid`), an empty `q` dropped as the list drops it.
 * Two clients asking the same thing in different words share one subscription.
 */
export class LiveQueries {
  readonly #compiled: Compiled[];
  /** `/customers, /orders and /customers/{id}/orders`: what an error message lists. */
  readonly described: string;

  constructor(lists: readonly LiveList[]) {
    const ajv = createQueryValidator();
    this.#compiled = lists.map((list) => {
      const stream = streamQuery(list.query);
      return {
        list,
        segments: list.path.split('/').slice(1),
        stream,
        validateQuery: ajv.compile(stream),
        validateParams: list.params === undefined ? undefined : ajv.compile(list.params),
        sortable: sortableOf(list.query),
      };
    });
    const paths = lists.map((l) => l.path.replace(/:(\w+)/g, '{$1}'));
    this.described = paths.length <= 1 ? paths.join('') : `${paths.slice(0, -1).join(', ')} and ${paths.at(-1)}`;
  }

  get lists(): readonly LiveList[] {
    return this.#compiled.map((c) => c.list);
  }

  /** The query-string schema of a list's stream: the list's, without paging. */
  streamSchema(list: LiveList): TObject {
    return this.#compiled.find((c) => c.list === list)!.stream;
  }

  /**
   * A live query as a WebSocket sends it (`/orders?status=paid`), or a key to restore; throws the
   * BoutiqueError its GET would answer (400 for a bad parameter, 404 for no such list).
   */
  parse(text: string): ParsedQuery {
    if (text.length > MAX_QUERY_LENGTH) throw new BoutiqueError('BAD_REQUEST', `A live query is at most ${MAX_QUERY_LENGTH} characters.`);
    const at = text.indexOf('?');
    const path = at === -1 ? text : text.slice(0, at);
    const search = at === -1 ? '' : text.slice(at + 1);
    const found = this.#route(path);
    if (!found) {
      throw new BoutiqueError('NOT_FOUND', `${JSON.stringify(path.slice(0, 100))} is not a list you can subscribe to; live queries are ${this.described}.`);
    }
    const { compiled, params } = found;
    if (compiled.validateParams && !compiled.validateParams(params)) throw new BoutiqueError('NOT_FOUND', 'No resource exists at this path.');
    const query: Record<string, unknown> = search === '' ? {} : { ...(querystring.parse(search) as Record<string, unknown>) };
    if (!compiled.validateQuery(query)) throw validationError((compiled.validateQuery.errors ?? []) as AjvError[], 'querystring', compiled.sortable);
    return this.of(compiled.list, query, params);
  }

  /** A live query from what a route already validated and coerced (an SSE request's query and params). */
  of(list: LiveList, query: Readonly<Record<string, unknown>>, params: Readonly<Record<string, unknown>>): ParsedQuery {
    const filters: Record<string, unknown> = {};
    for (const [name, value] of Object.entries(query)) {
      if (name === 'sort' || value === undefined || !(name in list.query.properties) || PAGING.has(name)) continue;
      if (name === 'q') {
        const q = searchText(value as string);
        if (q !== undefined) filters.q = q;
      } else filters[name] = value;
    }
    const path = '/' + list.path.split('/').slice(1).map((segment) => (segment.startsWith(':') ? String(params[segment.slice(1)]) : segment)).join('/');
    const search = new URLSearchParams(Object.keys(filters).sort().map((name) => [name, String(filters[name])])).toString();
    const key = search === '' ? path : `${path}?${search}`;
    const selection = list.select({ query: filters, params });
    const topic: QueryTopic = {
      key,
      kind: 'query',
      resource: list.resource,
      href: key,
      matches: (data) => selection.matches(data),
      index: selection.index,
      read: (sort, limit) => selection.read(sort, limit),
    };
    return { topic, sort: typeof query.sort === 'string' ? query.sort : undefined };
  }

  /** The list a path names, with its parameters (as text, for the params schema to coerce). */
  #route(path: string): { compiled: Compiled; params: Record<string, unknown> } | undefined {
    let parts: string[];
    try {
      // The router decodes percent-escapes (`/%6Frders` is /orders); so does this.
      parts = path.split('/').map(decodeURIComponent);
    } catch {
      return undefined;
    }
    if (parts[0] !== '') return undefined;
    parts = parts.slice(1);
    for (const compiled of this.#compiled) {
      const { segments } = compiled;
      if (segments.length !== parts.length) continue;
      const params: Record<string, unknown> = {};
      let ok = true;
      for (let i = 0; i < segments.length && ok; i++) {
        const segment = segments[i]!;
        if (segment.startsWith(':')) params[segment.slice(1)] = parts[i];
        else ok = segment === parts[i];
      }
      if (ok) return { compiled, params };
    }
    return undefined;
  }
}

/**
 * The keys of a list's live queries, as a pattern: `/customers/:id/orders` →
 * `^\/customers\/[^/?]+\/orders(?:\?.+)?$` (its path with its ids, then its filters, if any).
 */
export function keyPattern(list: Pick<LiveList, 'path'>): string {
  const path = list.path
    .split('/')
    .slice(1)
    .map((segment) => (segment.startsWith(':') ? '[^/?]+' : segment.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')))
    .join('\\/');
  return `^\\/${path}(?:\\?.+)?$`;
}

/** A list's query-string schema without its paging parameters. */
function streamQuery(query: TObject): TObject {
  const properties: Record<string, TSchema> = {};
  for (const [name, schema] of Object.entries(query.properties)) if (!PAGING.has(name)) properties[name] = schema;
  return Type.Object(properties, { additionalProperties: false });
}
