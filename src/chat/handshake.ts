/**
 * What is decided before the upgrade: path, Origin, subprotocol and token. A refused handshake
 * is a plain HTTP response (RFC 6455 §4.2.2: "the server MUST … return an appropriate HTTP
 * error code"), so browsers see the connection fail.
 */
import type { IncomingMessage } from 'node:http';
import { STATUS_CODES } from 'node:http';
import type { Duplex } from 'node:stream';
import { Type } from 'typebox';

export const CHAT_PATHS: ReadonlySet<string> = new Set(['/socketserver', '/']);

/** The handshake's query string, for the AsyncAPI document (the transport reads these three itself). */
export const HandshakeQuery = Type.Object({
  token: Type.Optional(Type.String({ description: 'The API token (or `Authorization: Bearer`); a wrong one is refused with 401' })),
  session: Type.Optional(Type.String({ description: 'Resume this session (the `session` of an earlier `id` frame), with `seq`' })),
  seq: Type.Optional(Type.Integer({ minimum: 0, description: 'The highest `seq` received: the frames after it follow `resumed`' })),
});

/** MDN's sample client offers `json`; the seed's snippet offers `protocolOne`. */
export const SUBPROTOCOLS: ReadonlySet<string> = new Set(['json', 'protocolOne']);

export function offeredProtocols(req: IncomingMessage): string[] {
  const header = req.headers['sec-websocket-protocol'];
  if (header === undefined) return [];
  return header.split(',').map((p) => p.trim()).filter(Boolean);
}

/** The first protocol the client offered that the server speaks (the client's order is its preference). */
export function selectProtocol(offered: Iterable<string>): string | false {
  for (const p of offered) if (SUBPROTOCOLS.has(p)) return p;
  return false;
}

/**
 * With ALLOWED_ORIGINS set, a browser's Origin must be in the list, compared whole (scheme, host
 * and port, as config normalises them), and against the list alone. Matching it against the Host
 * header instead would accept an https:// page's socket on an http:// server, and a page on a
 * rebound name (DNS rebinding), whose Host and Origin agree because both are the attacker's. No
 * Origin: not a browser, so no visitor's browser to borrow.
 */
export function originAllowed(req: IncomingMessage, allowed: readonly string[] | undefined): boolean {
  const origin = req.headers.origin;
  if (allowed === undefined || origin === undefined) return true;
  return allowed.includes(origin);
}

/** The token a client presents at the handshake: `?token=` (browsers cannot set headers) or a bearer header. */
export function handshakeToken(req: IncomingMessage, url: URL): string | undefined {
  const auth = req.headers.authorization;
  if (auth !== undefined && /^bearer\s+/i.test(auth)) return auth.replace(/^bearer\s+/i, '');
  return url.searchParams.get('token') ?? undefined;
}

export function refuseHandshake(socket: Duplex, status: number, message: string, headers: Record<string, string> = {}): void {
  if (socket.writable) {
    const body = message + '\n';
    const extra = Object.entries(headers).map(([name, value]) => `${name}: ${value}\r\n`).join('');
    socket.write(
      `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? ''}\r\nConnection: close\r\nContent-Type: text/plain; charset=utf-8\r\n${extra}` +
        `Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
    );
  }
  socket.destroy();
}
