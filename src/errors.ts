/**
 * The error catalogue: every error a client can see has a stable
 * code, an HTTP status, a title and a safe message. One handler (src/http/error-handler.ts)
 * turns them into problem+json, HTML or text; the chat uses `closeCode` for sockets.
 */

export interface FieldError {
  /** JSON pointer-ish path of the field, e.g. `email` or `items/0/quantity`. */
  field: string;
  message: string;
}

interface CatalogueEntry {
  status: number;
  title: string;
  /** Slug of the problem type; `type` is `/problems/<slug>` (RFC 9457 §3.1.1). */
  slug: string;
  description: string;
}

export const CATALOGUE = {
  BAD_REQUEST: { status: 400, slug: 'bad-request', title: 'Bad request', description: 'The request could not be read: malformed JSON, or a query parameter with a bad value.' },
  UNAUTHORIZED: { status: 401, slug: 'unauthorized', title: 'Unauthorized', description: 'A bearer token is configured and the request did not carry it.' },
  FORBIDDEN: { status: 403, slug: 'forbidden', title: 'Forbidden', description: "A write sent as a form or plain text by another site's page (by its Origin or Sec-Fetch-Site): only this site's pages and ALLOWED_ORIGINS may send those." },
  NOT_FOUND: { status: 404, slug: 'not-found', title: 'Not found', description: 'No resource exists at this path.' },
  METHOD_NOT_ALLOWED: { status: 405, slug: 'method-not-allowed', title: 'Method not allowed', description: 'The path exists but does not take this method; the Allow header lists the ones it takes.' },
  NOT_ACCEPTABLE: { status: 406, slug: 'not-acceptable', title: 'Not acceptable', description: 'None of the media types in Accept can be served.' },
  CONFLICT: { status: 409, slug: 'conflict', title: 'Conflict', description: 'The request conflicts with the current state, such as an email already in use.' },
  PRECONDITION_FAILED: { status: 412, slug: 'precondition-failed', title: 'Precondition failed', description: 'If-Match did not match the current ETag: someone changed the resource since you read it.' },
  PAYLOAD_TOO_LARGE: { status: 413, slug: 'payload-too-large', title: 'Payload too large', description: 'The request body is over the configured limit.' },
  UNSUPPORTED_MEDIA_TYPE: { status: 415, slug: 'unsupported-media-type', title: 'Unsupported media type', description: 'The request body is in a format this route does not accept.' },
  VALIDATION_FAILED: { status: 422, slug: 'validation-failed', title: 'Validation failed', description: 'One or more fields failed validation; `errors` names each one.' },
  TOO_MANY_REQUESTS: { status: 429, slug: 'too-many-requests', title: 'Too many requests', description: 'The client is over the rate limit; Retry-After says when to try again.' },
  INTERNAL: { status: 500, slug: 'internal', title: 'Internal server error', description: 'Something failed on the server. It was logged; the request id identifies it.' },
  SERVICE_UNAVAILABLE: { status: 503, slug: 'service-unavailable', title: 'Service unavailable', description: 'A backing service (database or Redis) is unreachable, or the server is shutting down.' },
} as const satisfies Record<string, CatalogueEntry>;

export type ErrorCode = keyof typeof CATALOGUE;

export class BoutiqueError extends Error {
  override name = 'BoutiqueError';
  readonly status: number;
  readonly title: string;
  readonly type: string;

  constructor(
    readonly code: ErrorCode,
    readonly detail: string,
    readonly extra: { errors?: FieldError[]; headers?: Record<string, string> } = {},
  ) {
    super(detail);
    const entry: CatalogueEntry = CATALOGUE[code];
    this.status = entry.status;
    this.title = entry.title;
    this.type = `/problems/${entry.slug}`;
  }
}

export const notFound = (what = 'No resource exists at this path.'): BoutiqueError => new BoutiqueError('NOT_FOUND', what);

export const validationFailed = (errors: FieldError[]): BoutiqueError =>
  new BoutiqueError('VALIDATION_FAILED', errors.map((e) => `${e.field}: ${e.message}`).join('; '), { errors });

export const badQuery = (parameter: string, message: string): BoutiqueError =>
  new BoutiqueError('BAD_REQUEST', `Query parameter "${parameter}" ${message}.`, { errors: [{ field: parameter, message }] });

/** Thrown by stores when a backing service cannot be reached; becomes 503. */
export class UnavailableError extends Error {
  override name = 'UnavailableError';
}

/** Thrown by stores on a unique-constraint violation; routes turn it into 409. */
export class UniqueViolationError extends Error {
  override name = 'UniqueViolationError';
  constructor(readonly field: string) {
    super(`${field} already in use`);
  }
}
