/**
 * Client → server: one text frame becomes one typed message, or a SocketError naming what is
 * wrong (the connection stays open). Each frame is validated with its schema (client-frames.ts,
 * compiled once, the schemas the AsyncAPI document shows), and what the validator finds becomes
 * the codes and words clients have always been given. The types are those of MDN's sample chat
 * and the seed's snippet, plus the additions documented in docs/chat-protocol.md.
 */
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import { Type } from 'typebox';
import { socketError, SocketError } from './errors.js';
import {
  ClientHangUp,
  ClientJoin,
  ClientLeave,
  ClientNewIceCandidate,
  ClientPrivateMessage,
  ClientResume,
  ClientRoomMessage,
  ClientSubscribe,
  ClientUnsubscribe,
  ClientUsername,
  ClientVideoAnswer,
  ClientVideoOffer,
  DEFAULT_ROOM,
  ROOM_PATTERN,
} from './client-frames.js';

export { DEFAULT_ROOM };

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

/** What a client remembers of its session, used when the session lives on another instance. */
export interface ResumeHints {
  name: string | undefined;
  rooms: string[] | undefined;
  topics: string[] | undefined;
}

const ROOM = new RegExp(ROOM_PATTERN, 'u');

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/** Names and texts are delivered safe to insert as HTML: the seed's client uses innerHTML. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ESCAPES[c]!);
}

export function validRoom(room: unknown): room is string {
  return typeof room === 'string' && ROOM.test(room);
}

/** A rule on the frame as a whole rather than on one field: `topic` and `query` together. */
const WHOLE = '';

/** What MISSING_FIELD says of a field of the wrong type, where it is more than "must be a string". */
const MUST_BE = new Map<string, string>([
  ['target', '"target" must be a user name, or null for your call partner.'],
  ['after', '"after" must be a non-negative integer: a log position.'],
  ['snapshot', '"snapshot" must be true or false.'],
  ['seq', '"seq" must be a non-negative integer.'],
  ['rooms', '"rooms" must be a list of strings.'],
  ['topics', '"topics" must be a list of strings.'],
  [WHOLE, 'Name exactly one of "topic" (orders) and "query" (/orders?status=paid).'],
]);

interface Checker<T> {
  readonly validate: ValidateFunction<T>;
  /**
   * Each field's place in the order the server has always checked them (the order of the schema's
   * properties), so that of several wrong fields the same one is named; a rule on several fields
   * comes right after the last of them.
   */
  readonly rank: ReadonlyMap<string, number>;
}

// allErrors: a frame with several wrong fields is refused for the first of them, which Ajv's own order does not give.
const ajv = new Ajv({ allErrors: true, strict: false });

function checker<T>(schema: { readonly properties: object; readonly oneOf?: readonly { required: readonly string[] }[] }): Checker<T> {
  const rank = new Map(Object.keys(schema.properties).map((field, i) => [field, i]));
  const together = (schema.oneOf ?? []).flatMap((branch) => branch.required);
  if (together.length > 0) rank.set(WHOLE, Math.max(...together.map((field) => rank.get(field) ?? 0)) + 0.5);
  return { validate: ajv.compile<T>(schema), rank };
}

function fieldOf(error: ErrorObject): string {
  if (error.instancePath === '') return error.keyword === 'required' ? String(error.params.missingProperty) : WHOLE;
  return error.instancePath.split('/')[1]!;
}

/** The SocketError for a frame its schema refused: BAD_ROOM for a room that is not one, MISSING_FIELD otherwise. */
function refusal(checker: Checker<unknown>, errors: readonly ErrorObject[]): SocketError {
  // What fails inside a branch of the topic-or-query rule is said by the rule's own error.
  const relevant = errors.filter((e) => !e.schemaPath.startsWith('#/oneOf/'));
  let field = fieldOf(relevant[0]!);
  for (const e of relevant) {
    const f = fieldOf(e);
    if ((checker.rank.get(f) ?? Infinity) < (checker.rank.get(field) ?? Infinity)) field = f;
  }
  if (relevant.some((e) => fieldOf(e) === field && e.keyword === 'pattern')) return socketError('BAD_ROOM');
  return socketError('MISSING_FIELD', MUST_BE.get(field) ?? `"${field}" must be a string.`);
}

function valid<T>(checker: Checker<T>, frame: unknown): T {
  if (!checker.validate(frame)) throw refusal(checker as Checker<unknown>, checker.validate.errors ?? []);
  return frame;
}

type Frame = Record<string, unknown> & { type: string };

const ENVELOPE = ajv.compile<Frame>(Type.Object({ type: Type.String() }));
const USERNAME = checker<ClientUsername>(ClientUsername);
const ROOM_MESSAGE = checker<ClientRoomMessage>(ClientRoomMessage);
const PRIVATE_MESSAGE = checker<ClientPrivateMessage>(ClientPrivateMessage);
const JOIN = checker<ClientJoin>(ClientJoin);
const LEAVE = checker<ClientLeave>(ClientLeave);
const SUBSCRIBE = checker<ClientSubscribe>(ClientSubscribe);
const UNSUBSCRIBE = checker<ClientUnsubscribe>(ClientUnsubscribe);
const RESUME = checker<ClientResume>(ClientResume);
/** A signaling frame goes to its target as it is (src/chat/signaling.ts keeps its documented fields). */
const SIGNALING = new Map<string, Checker<{ target?: string | null }>>(
  [ClientVideoOffer, ClientVideoAnswer, ClientNewIceCandidate, ClientHangUp].map((schema) => [schema.properties.type.const, checker(schema)]),
);

/** The client's `date` (ms since the epoch) as MDN's client sends it; the server's clock otherwise. */
function clientDate(date: unknown): number {
  return typeof date === 'number' && Number.isFinite(date) ? date : Date.now();
}

function subscribable(frame: ClientSubscribe | ClientUnsubscribe): Subscribable {
  return typeof frame.topic === 'string' ? { kind: 'topic', name: frame.topic } : { kind: 'query', name: frame.query! };
}

/** Parses a text frame. Throws SocketError (never anything else) on bad input. */
export function parseClientMessage(text: string): ClientMessage {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw socketError('BAD_JSON');
  }
  if (!ENVELOPE(value)) throw socketError('BAD_FRAME');
  const { type, target } = value;

  const signal = SIGNALING.get(type);
  if (signal !== undefined) {
    const frame = valid(signal, value);
    return { type: 'targeted', target: typeof frame.target === 'string' && frame.target.length > 0 ? frame.target : undefined, payload: value };
  }
  if (typeof target === 'string' && target.length > 0) {
    if (type !== 'message') throw socketError('UNKNOWN_TYPE', `Type "${type.slice(0, 40)}" cannot carry a target.`);
    valid(PRIVATE_MESSAGE, value);
    return { type: 'targeted', target, payload: value };
  }

  switch (type) {
    case 'username': {
      const frame = valid(USERNAME, value);
      return { type, name: frame.name, date: clientDate(frame.date) };
    }
    case 'message': {
      const frame = valid(ROOM_MESSAGE, value);
      return { type, text: frame.text, date: clientDate(frame.date), room: frame.room ?? undefined };
    }
    case 'join':
      return { type, room: valid(JOIN, value).room };
    case 'leave':
      return { type, room: valid(LEAVE, value).room };
    case 'subscribe': {
      const frame = valid(SUBSCRIBE, value);
      return { type, target: subscribable(frame), token: frame.token ?? undefined, after: frame.after ?? undefined, snapshot: frame.snapshot === true };
    }
    case 'unsubscribe':
      return { type, target: subscribable(valid(UNSUBSCRIBE, value)) };
    case 'resume': {
      const frame = valid(RESUME, value);
      return { type, session: frame.session, seq: frame.seq, hints: { name: frame.name ?? undefined, rooms: frame.rooms ?? undefined, topics: frame.topics ?? undefined } };
    }
    default:
      throw socketError('UNKNOWN_TYPE', `Unknown message type "${type.slice(0, 40)}".`);
  }
}

export { SocketError };
