import { BoutiqueError } from '../errors.js';

/**
 * What an `If-Match` asks of a write (RFC 9110 §13.1.1), once the HTTP layer has read the header
 * (src/http/etag.ts): the resource must exist (`*`), or be at one of the given versions. Services
 * check it against the row they locked, inside the write's transaction, so no other write can
 * slip in between the check and the change.
 */
export interface Precondition {
  matches(version: string): boolean;
}

/**
 * The read → 404 → If-Match → 412 part of every conditional write, written once: returns the row
 * when it exists and satisfies `precondition` (none: any state), throws the catalogue's 404 or
 * 412 otherwise. `noun` names the resource ("customer"), `missing` says what was not found.
 */
export function requireCurrent<Row>(row: Row | undefined, version: (row: Row) => string, precondition: Precondition | undefined, noun: string, missing: string): Row {
  if (row === undefined) throw new BoutiqueError('NOT_FOUND', missing);
  if (precondition !== undefined && !precondition.matches(version(row))) {
    throw new BoutiqueError('PRECONDITION_FAILED', `The ${noun} changed since the ETag you sent (If-Match); fetch it again and retry.`);
  }
  return row;
}
