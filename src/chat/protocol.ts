/**
 * Client → server: one text frame becomes one typed message, or a SocketError naming what is
 * wrong (the connection stays open). The types are those of MDN's sample chat and the seed's
 * snippet, plus the additions documented in docs/chat-protocol.md.
 */
import { socketError, SocketError } from './errors.js';

export const DEFAULT_ROOM = 'lobby';

/**
 * WebRTC signaling (MDN's video-call sample): always for one user, the `target`; without one (MDN's
 * client sends `hang-up` with `"target": null`), for the sender's call partner (src/chat/signaling.ts).
 * A `message` with a `target` goes to that user alone too.
 */
export const SIGNALING_TYPES: ReadonlySet<string> = new Set(['video-offer', 'video-answer', 'new-ice-candidate', 'hang-up']);

export type ClientMessage =
  | { type: 'username'; name: string; date: number }
  | { type: 'message'; text: string; date: number; room: string | undefined }
  | { type: 'targeted'; target: string | undefined; payload: Record<string, unknown> }
  | { type: 'join'; room: string }
  | { type: 'leave'; room: string }
  | { type: 'subscribe'; target: Subscribable; token: string | undefined; after: number | undefined; snapshot: boolean }
  | { type: 'unsubscribe'; target: Subscribable }
  | { type: 'resume'; session: string; seq: number; hints: ResumeHints };

/** What `subscribe` and `unsubscribe` name: a topic (`orders`) or a live query (`/orders?status=paid`). */
export type Subscribable = { kind: 'topic'; name: string } | { kind: 'query'; name: string };

/** `topic` or `query`, exactly one of them. */
function subscribable(frame: Json): Subscribable {
  const topic = optionalStr(frame, 'topic');
  const query = optionalStr(frame, 'query');
  if ((topic === undefined) === (query === undefined)) throw socketError('MISSING_FIELD', 'Name exactly one of "topic" (orders) and "query" (/orders?status=paid).');
  return topic !== undefined ? { kind: 'topic', name: topic } : { kind: 'query', name: query! };
}

/** What a client remembers of its session, used when the session lives on another instance. */
export interface ResumeHints {
  name: string | undefined;
  rooms: string[] | undefined;
  topics: string[] | undefined;
}

const ROOM = /^[\p{L}\p{N}_-]{1,64}$/u;

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/** Names and texts are delivered safe to insert as HTML: the seed's client uses innerHTML. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ESCAPES[c]!);
}

export function validRoom(room: unknown): room is string {
  return typeof room === 'string' && ROOM.test(room);
}

type Json = Record<string, unknown>;

function str(frame: Json, field: string): string {
  const v = frame[field];
  if (typeof v !== 'string') throw socketError('MISSING_FIELD', `"${field}" must be a string.`);
  return v;
}

function optionalStr(frame: Json, field: string): string | undefined {
  const v = frame[field];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'string') throw socketError('MISSING_FIELD', `"${field}" must be a string.`);
  return v;
}

function optionalStrings(frame: Json, field: string): string[] | undefined {
  const v = frame[field];
  if (v === undefined || v === null) return undefined;
  if (!Array.isArray(v) || !v.every((x) => typeof x === 'string')) throw socketError('MISSING_FIELD', `"${field}" must be a list of strings.`);
  return v as string[];
}

function room(frame: Json): string {
  const r = str(frame, 'room');
  if (!validRoom(r)) throw socketError('BAD_ROOM');
  return r;
}

/** The client's `date` (ms since the epoch) as MDN's client sends it; the server's clock otherwise. */
function clientDate(frame: Json): number {
  return typeof frame.date === 'number' && Number.isFinite(frame.date) ? frame.date : Date.now();
}

/** Parses a text frame. Throws SocketError (never anything else) on bad input. */
export function parseClientMessage(text: string): ClientMessage {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw socketError('BAD_JSON');
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw socketError('BAD_FRAME');
  const frame = value as Json;
  const type = frame.type;
  if (typeof type !== 'string') throw socketError('BAD_FRAME');

  const target = frame.target;
  if (SIGNALING_TYPES.has(type)) {
    if (target !== undefined && target !== null && typeof target !== 'string') throw socketError('MISSING_FIELD', '"target" must be a user name, or null for your call partner.');
    return { type: 'targeted', target: typeof target === 'string' && target.length > 0 ? target : undefined, payload: frame };
  }
  if (typeof target === 'string' && target.length > 0) {
    if (type !== 'message') throw socketError('UNKNOWN_TYPE', `Type "${type.slice(0, 40)}" cannot carry a target.`);
    str(frame, 'text');
    return { type: 'targeted', target, payload: frame };
  }

  switch (type) {
    case 'username':
      return { type, name: str(frame, 'name'), date: clientDate(frame) };
    case 'message': {
      const date = clientDate(frame);
      const r = optionalStr(frame, 'room');
      if (r !== undefined && !validRoom(r)) throw socketError('BAD_ROOM');
      return { type, text: str(frame, 'text'), date, room: r };
    }
    case 'join':
    case 'leave':
      return { type, room: room(frame) };
    case 'subscribe': {
      const after = frame.after;
      if (after !== undefined && after !== null && (typeof after !== 'number' || !Number.isSafeInteger(after) || after < 0)) {
        throw socketError('MISSING_FIELD', '"after" must be a non-negative integer: a log position.');
      }
      const snapshot = frame.snapshot;
      if (snapshot !== undefined && snapshot !== null && typeof snapshot !== 'boolean') throw socketError('MISSING_FIELD', '"snapshot" must be true or false.');
      return { type, target: subscribable(frame), token: optionalStr(frame, 'token'), after: after ?? undefined, snapshot: snapshot === true };
    }
    case 'unsubscribe':
      return { type, target: subscribable(frame) };
    case 'resume': {
      const seq = frame.seq;
      if (typeof seq !== 'number' || !Number.isSafeInteger(seq) || seq < 0) throw socketError('MISSING_FIELD', '"seq" must be a non-negative integer.');
      const hints: ResumeHints = { name: optionalStr(frame, 'name'), rooms: optionalStrings(frame, 'rooms'), topics: optionalStrings(frame, 'topics') };
      return { type, session: str(frame, 'session'), seq, hints };
    }
    default:
      throw socketError('UNKNOWN_TYPE', `Unknown message type "${type.slice(0, 40)}".`);
  }
}

export { SocketError };
