import { Type, type TSchema } from 'typebox';
import type { SortKey } from '../store/list.js';

export const MAX_PER_PAGE = 100;
export const DEFAULT_PER_PAGE = 20;

export type { ListParams, SortKey } from '../store/list.js';

/**
 * The query-string schema of a list: paging, `q`, `sort` (its pattern names the sortable
 * fields, so an unknown field is a 400 like any bad parameter) and the resource's filters.
 * Unknown parameters are rejected rather than ignored.
 */
export function listQuerySchema<F extends Record<string, TSchema>>(sortable: readonly string[], filters: F) {
  const field = `(${sortable.join('|')})`;
  return Type.Object(
    {
      page: Type.Optional(Type.Integer({ minimum: 1, maximum: 1_000_000, description: 'Page number, from 1' })),
      per_page: Type.Optional(Type.Integer({ minimum: 1, maximum: MAX_PER_PAGE, description: `Items per page (default ${DEFAULT_PER_PAGE}, max ${MAX_PER_PAGE})` })),
      q: Type.Optional(Type.String({ maxLength: 200, description: 'Text search; empty means no search' })),
      sort: Type.Optional(
        Type.String({
          pattern: `^-?${field}(,-?${field})*$`,
          description: `Comma-separated fields, "-" for descending. Sortable: ${sortable.join(', ')}`,
        }),
      ),
      ...filters,
    },
    { additionalProperties: false },
  );
}

export function parseSort<F extends string>(sort: string | undefined, fallback: SortKey<F>[]): SortKey<F>[] {
  if (!sort) return fallback;
  return sort.split(',').map((part) => (part.startsWith('-') ? { field: part.slice(1) as F, descending: true } : { field: part as F, descending: false }));
}

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

/**
 * The search a `q` asks for. The browsable pages' search box submits `?q=` when left empty: that
 * is no search, not a 400. A lone surrogate (possible in a WebSocket frame's JSON, not in a URL)
 * becomes U+FFFD, as the database drivers would turn it, so every transport searches the same text.
 */
export function searchText(q: string | undefined): string | undefined {
  const text = q?.trim().replace(LONE_SURROGATE, '\uFFFD');
  return text ? text : undefined;
}

export function pageParams(query: { page?: number; per_page?: number }): { page: number; perPage: number } {
  return { page: query.page ?? 1, perPage: query.per_page ?? DEFAULT_PER_PAGE };
}

/** The `Link` header (RFC 8288) of a page: first/prev/next/last, as json-server and GitHub do. */
export function pagingLinks(url: string, page: number, perPage: number, total: number): string {
  const last = Math.max(1, Math.ceil(total / perPage));
  const [path, search = ''] = url.split('?', 2) as [string, string?];
  const params = new URLSearchParams(search);
  const link = (p: number, rel: string) => {
    params.set('page', String(p));
    params.set('per_page', String(perPage));
    return `<${path}?${params.toString()}>; rel="${rel}"`;
  };
  const links = [link(1, 'first')];
  if (page > 1) links.push(link(Math.min(page - 1, last), 'prev'));
  if (page < last) links.push(link(page + 1, 'next'));
  links.push(link(last, 'last'));
  return links.join(', ');
}
