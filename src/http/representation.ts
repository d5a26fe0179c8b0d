import type { FastifyReply, FastifyRequest } from 'fastify';
import { CONTENT_TYPE, ETAG_SUFFIX, type MediaType } from './negotiate.js';
import { noneMatch } from './etag.js';

/** How one kind of value (a customer, a page of orders…) is written in each media type. JSON is the presented value itself. */
export interface View<T> {
  html(value: T, request: FastifyRequest): string;
  text(value: T): string;
  csv(value: T): string;
}

declare module 'fastify' {
  interface FastifyRequest {
    /** The representation chosen by content negotiation in the onRequest hook. */
    media: MediaType;
  }
  interface FastifyContextConfig {
    /** Routes that return a representation negotiate it before anything else runs (406 first). */
    negotiate?: 'resource' | 'list';
  }
}

/**
 * The change-log position a representation reflects: every change up to it, none after. A client
 * that subscribes after it (WebSocket `subscribe` with `after`, SSE `?after=`) gets exactly the
 * changes made since this snapshot.
 */
export const POSITION_HEADER = 'boutique-log-position';

/**
 * Writes `value` in the negotiated media type with its ETag, answering 304 when the client's
 * copy is current. `version` identifies the state (a row's id and version, or a list's hash);
 * `json` is the serialized value when the caller already has it; `position` is the change-log
 * position the value reflects.
 */
export function represent<T>(
  request: FastifyRequest,
  reply: FastifyReply,
  view: View<T>,
  value: T,
  version: string,
  options: { status?: number; json?: string; position?: number } = {},
): string | FastifyReply {
  const media = request.media;
  const etag = '"' + version + ETAG_SUFFIX[media] + '"';
  reply.header('etag', etag);
  if (options.position !== undefined) reply.header(POSITION_HEADER, String(options.position));
  const status = options.status ?? 200;
  if (status === 200 && (request.method === 'GET' || request.method === 'HEAD') && noneMatch(request.headers['if-none-match'], etag)) {
    return reply.code(304).send();
  }
  reply.code(status).header('content-type', CONTENT_TYPE[media]);
  switch (media) {
    case 'application/json':
      return options.json ?? JSON.stringify(value);
    case 'text/html':
      return view.html(value, request);
    case 'text/plain':
      return view.text(value);
    case 'text/csv':
      return view.csv(value);
  }
}

/** What makes a spreadsheet read a cell as a formula (OWASP, "CSV Injection"). */
const FORMULA_START = /^[=+\-@\t\r]/;

/**
 * RFC 4180 field: quoted when it holds a comma, quote or line break. Text that a spreadsheet
 * would run as a formula (`=HYPERLINK(…)`, `@SUM(…)`) is neutralised as OWASP recommends: a
 * single quote in front and the field quoted, so it shows as the text it is. Only text: numbers
 * are data, and JSON and the other representations keep every value exact.
 */
export function csvField(value: unknown): string {
  const s = value === null || value === undefined ? '' : String(value);
  if (typeof value === 'string' && FORMULA_START.test(s)) return `"'${s.replace(/"/g, '""')}"`;
  return /[",\r\n]/.test(s) ? '"' + s.replace(/"/g, '""') + '"' : s;
}

export function csvRows(header: readonly string[], rows: readonly (readonly unknown[])[]): string {
  return [header, ...rows].map((r) => r.map(csvField).join(',')).join('\r\n') + '\r\n';
}
