import type { IncomingMessage } from 'node:http';

export interface DrainLimits {
  /** Body bytes read and thrown away at most; past them the connection is closed unread. */
  bytes: number;
  /** How long the rest of the body may take to arrive. */
  ms: number;
}

/**
 * Enough for a client that sends a body many times BODY_LIMIT (50 MiB on loopback takes well under
 * a second) and far below REQUEST_TIMEOUT, which would cut the connection with a 408 anyway.
 */
export const DRAIN_LIMITS: DrainLimits = { bytes: 64 * 1024 * 1024, ms: 10_000 };

/** True while part of the request's body has not been read from the socket. */
export function bodyUnread(req: IncomingMessage): boolean {
  return !(req.complete || req.readableEnded || req.destroyed);
}

/**
 * Reads and discards the rest of a request body, up to `limits`, before an error answers it.
 *
 * Answering while the client is still sending, and then closing (Fastify closes after a body
 * error), makes the kernel reset the connection over the unread bytes; the reset destroys the
 * answer in the client's receive buffer before it is read. Clients that send the whole body before
 * reading (Python's urllib, node:http) then see EPIPE or ECONNRESET instead of a 413. Reading the
 * rest first, as nginx's lingering close does after answering, lets every client read the answer.
 * Reading it before answering needs no hold on Node's own socket teardown.
 */
export function drainBody(req: IncomingMessage, limits: DrainLimits = DRAIN_LIMITS): Promise<void> {
  const declared = Number(req.headers['content-length']);
  if (!bodyUnread(req) || declared > limits.bytes) return Promise.resolve();
  return new Promise((resolve) => {
    let read = 0;
    const finish = (): void => {
      clearTimeout(timer);
      req.off('data', onData);
      req.off('end', finish);
      req.off('close', finish);
      req.off('error', finish);
      resolve();
    };
    const onData = (chunk: Buffer | string): void => {
      read += chunk.length;
      if (read > limits.bytes) finish();
    };
    const timer = setTimeout(finish, limits.ms);
    req.on('data', onData);
    req.once('end', finish);
    req.once('close', finish);
    req.once('error', finish);
    req.resume();
  });
}
