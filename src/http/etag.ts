import * as crypto from 'node:crypto';
import type { Precondition } from '../store/precondition.js';

/**
 * SHA-1 of a string in base64url. The validator need not be cryptographic, only stable and
 * unlikely to collide; a list page body is a few KB, where Node's one-shot `crypto.hash`
 * (Node ≥ 20.12, chosen once at load) costs about half of a createHash object with
 * update/digest, and measured faster than a 53-bit hash in JavaScript (~2.5 µs vs ~4.5 µs
 * for a 2.7 KB page). Tags stay what they were.
 */
const sha1: (body: string) => string =
  typeof crypto.hash === 'function' ? (body) => crypto.hash('sha1', body, 'base64url') : (body) => crypto.createHash('sha1').update(body).digest('base64url');

/** A short, strong validator for a list body: the same bytes give the same tag. */
export function hashVersion(body: string): string {
  return sha1(body).slice(0, 22);
}

/**
 * The validator of a page of a list. The items alone are not enough: a customer added on a
 * later page leaves this page's items as they were but changes X-Total-Count, the `last` link
 * and the text/HTML footers, so a 304 would keep a stale count.
 */
export function listVersion(itemsJson: string, page: number, perPage: number, total: number): string {
  return hashVersion(`${page}/${perPage}/${total}\n${itemsJson}`);
}

function tags(header: string): string[] {
  return header.split(',').map((t) => t.trim()).filter(Boolean);
}

/** If-None-Match uses the weak comparison (RFC 9110 §13.1.2). */
export function noneMatch(header: string | undefined, etag: string): boolean {
  if (header === undefined) return false;
  if (header.trim() === '*') return true;
  const opaque = etag.replace(/^W\//, '');
  return tags(header).some((t) => t.replace(/^W\//, '') === opaque);
}

/**
 * Reads an If-Match header (RFC 9110 §13.1.1) into the precondition a service checks: `*` is "if
 * it exists"; otherwise the strong comparison, and a tag taken from any representation (JSON,
 * HTML, text, CSV) of a version matches that version. Undefined when there is no header.
 */
export function ifMatch(header: string | string[] | undefined): Precondition | undefined {
  if (header === undefined) return undefined;
  const text = Array.isArray(header) ? header.join(',') : header;
  if (text.trim() === '*') return ANY_VERSION;
  const versions = new Set<string>();
  for (const t of tags(text)) {
    if (!t.startsWith('W/') && /^"(.*)[jhtc]"$/.test(t)) versions.add(t.slice(1, -2));
  }
  return { matches: (version) => versions.has(version) };
}

const ANY_VERSION: Precondition = { matches: () => true };
