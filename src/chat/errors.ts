/**
 * The socket error catalogue, the chat's counterpart of src/errors.ts, in the
 * manner of ws's `createError(RangeError, …, 1009, 'WS_ERR_…')`: every error a chat client can
 * see has a stable code, a safe message, and either stays an `error` frame (the connection lives
 * on) or maps to a close code.
 */
export interface SocketErrorEntry {
  /** Close code when the error ends the connection; undefined: sent as an `error` frame. */
  closeCode?: number;
  message: string;
}

export const SOCKET_ERRORS = {
  BAD_JSON: { message: 'The frame is not valid JSON.' },
  BAD_FRAME: { message: 'The frame must be a JSON object with a string "type".' },
  UNKNOWN_TYPE: { message: 'Unknown message type.' },
  MISSING_FIELD: { message: 'A required field is missing or has the wrong type.' },
  BAD_NAME: { message: 'A name is 1 to 32 characters, something visible, without control, invisible or direction-changing characters.' },
  BAD_ROOM: { message: 'A room name is 1 to 64 letters, digits, "-" or "_".' },
  NOT_IN_ROOM: { message: 'Join the room before sending to it.' },
  UNKNOWN_TARGET: { message: 'No user with that name is online.' },
  BAD_TOPIC: { message: 'Topics are customers, customers/{id}, customers/{id}/orders and orders.' },
  // A live query is refused as its GET would be: the same code and message as the HTTP problem.
  BAD_REQUEST: { message: 'The query has a parameter with a bad value.' },
  NOT_FOUND: { message: 'No list exists at this path.' },
  UNAUTHORIZED: { message: 'This server needs the API token to subscribe: send it as "token".' },
  RESUME_FAILED: { message: 'The session cannot be resumed; start a new one.' },
  BINARY_UNSUPPORTED: { message: 'Only text frames are understood.' },
  UNAVAILABLE: { message: 'A backing service (Redis or the database) is unavailable; try again shortly.' },
  INTERNAL: { message: 'Something failed on the server; it was logged.' },
  // Errors that end the connection (RFC 6455 §7.4.1 codes).
  FRAME_TOO_LARGE: { closeCode: 1009, message: 'Frame over the size limit.' },
  RATE_LIMITED: { closeCode: 1008, message: 'Too many messages.' },
  // Cut without a close frame, as a dead peer is (a close frame would wait behind the unread backlog): the client sees 1006.
  SLOW_READER: { closeCode: 1006, message: 'Send buffer over the limit: the client is not reading.' },
  HEARTBEAT_TIMEOUT: { closeCode: 1006, message: 'No pong within two heartbeats.' },
  SESSION_TAKEN_OVER: { closeCode: 4000, message: 'The session was resumed on another connection.' },
  GOING_AWAY: { closeCode: 1001, message: 'Server shutting down.' },
} as const satisfies Record<string, SocketErrorEntry>;

export type SocketErrorCode = keyof typeof SOCKET_ERRORS;

export class SocketError extends Error {
  override name = 'SocketError';
  readonly closeCode: number | undefined;

  /** `extra`: more fields of the error frame (a bad live query's `errors` and `query`). */
  constructor(readonly code: SocketErrorCode, detail?: string, readonly extra?: Readonly<Record<string, unknown>>) {
    super(detail ?? SOCKET_ERRORS[code].message);
    const entry: SocketErrorEntry = SOCKET_ERRORS[code];
    this.closeCode = entry.closeCode;
  }
}

export const socketError = (code: SocketErrorCode, detail?: string, extra?: Readonly<Record<string, unknown>>): SocketError => new SocketError(code, detail, extra);
