import Negotiator from 'negotiator';

export type MediaType = 'application/json' | 'text/html' | 'text/plain' | 'text/csv';

/** What a single resource can be served as, best first: with no Accept (or `*∕*`) the first wins. */
export const RESOURCE_TYPES: readonly MediaType[] = ['application/json', 'text/html', 'text/plain', 'text/csv'];
export const LIST_TYPES: readonly MediaType[] = RESOURCE_TYPES;

const CACHE_LIMIT = 512;
const caches = new WeakMap<readonly string[], Map<string, string | null>>();

/**
 * Picks the representation for an Accept header (RFC 9110 §12.5.1: q-values, wildcards,
 * specificity) with the `negotiator` library. Browsers and clients send a handful of distinct
 * Accept values, so the answer is cached per header and per offer list.
 */
export function negotiate<T extends string>(accept: string | undefined, offered: readonly T[]): T | null {
  if (accept === undefined || accept === '' || accept === '*/*') return offered[0] ?? null;
  let cache = caches.get(offered);
  if (!cache) caches.set(offered, (cache = new Map()));
  const hit = cache.get(accept);
  if (hit !== undefined) return hit as T | null;
  const chosen = (new Negotiator({ headers: { accept: withoutParameters(accept) } }).mediaType(offered as T[]) as T | undefined) ?? null;
  if (cache.size >= CACHE_LIMIT) cache.clear();
  cache.set(accept, chosen);
  return chosen;
}

/** A media-range parameter other than `q`, its value a token or a quoted string. */
const PARAMETER = /;\s*(?!q\s*=)[\w!#$%&'*+.^`|~-]+\s*=\s*(?:"(?:[^"\\]|\\.)*"|[^;,]*)/gi;

/**
 * Drops media-range parameters other than q (RFC 9110 §12.5.1). Every representation here is
 * UTF-8 with fixed parameters, so `application/json; charset=utf-8` or `text/csv; header=present`
 * asks for what is served; Negotiator would match such a range only against an offer carrying the
 * same parameter, and the answer would be a 406 for a client asking for exactly what it gets.
 */
export function withoutParameters(accept: string): string {
  return accept.replace(PARAMETER, '');
}

export const CONTENT_TYPE: Record<MediaType, string> = {
  'application/json': 'application/json; charset=utf-8',
  'text/html': 'text/html; charset=utf-8',
  'text/plain': 'text/plain; charset=utf-8',
  'text/csv': 'text/csv; charset=utf-8; header=present',
};

/** ETag suffix per representation: each representation of one version has its own strong tag. */
export const ETAG_SUFFIX: Record<MediaType, string> = {
  'application/json': 'j',
  'text/html': 'h',
  'text/plain': 't',
  'text/csv': 'c',
};
