/**
 * The ws side: upgrades, heartbeats, limits, close codes. Everything chat-related is the hub's;
 * this file only turns sockets into Peers and socket events into hub calls.
 */
import type { IncomingMessage, Server } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer, WebSocket, type RawData } from 'ws';
import type { Config } from '../config.js';
import type { ChatHub, HubConnection, HubLogger } from './hub.js';
import { TokenBucket } from './token-bucket.js';
import { SOCKET_ERRORS } from './errors.js';
import { errorFrame } from './frames.js';
import type { ChatMetrics } from './index.js';
import { FrameWriter, Outlet } from './frame-writer.js';
import { CHAT_PATHS, handshakeToken, offeredProtocols, originAllowed, refuseHandshake, selectProtocol } from './handshake.js';

export type TransportConfig = Pick<Config, 'wsMaxFrame' | 'wsRateLimit' | 'wsHeartbeatMs' | 'wsSendBufferMax' | 'allowedOrigins'>;

interface SocketState {
  alive: boolean;
  flooded: boolean;
  bucket: TokenBucket;
  connection: HubConnection;
}

/** How long close() waits for clients to answer the 1001 close frame before cutting them. */
const CLOSE_GRACE_MS = 2000;

export class ChatTransport {
  readonly #wss: WebSocketServer;
  readonly #sockets = new Map<WebSocket, SocketState>();
  readonly #heartbeat: NodeJS.Timeout;
  readonly #writer = new FrameWriter();
  #accepting = true;

  constructor(
    private readonly server: Pick<Server, 'on' | 'off'>,
    private readonly hub: ChatHub,
    private readonly config: TransportConfig,
    private readonly logger: HubLogger,
    private readonly metrics?: ChatMetrics,
  ) {
    this.#wss = new WebSocketServer({
      noServer: true,
      maxPayload: config.wsMaxFrame,
      perMessageDeflate: false,
      handleProtocols: (protocols) => selectProtocol(protocols),
    });
    server.on('upgrade', this.serverOnUpgrade);
    this.#heartbeat = setInterval(() => this.#beat(), config.wsHeartbeatMs);
    this.#heartbeat.unref();
  }

  connections(): number {
    return this.#sockets.size;
  }

  readonly serverOnUpgrade = (req: IncomingMessage, socket: Duplex, head: Buffer): void => {
    socket.on('error', () => socket.destroy());
    const url = new URL(req.url ?? '/', 'http://localhost');
    if (!CHAT_PATHS.has(url.pathname)) return refuseHandshake(socket, 404, 'No WebSocket endpoint here; use /socketserver.');
    if (!this.#accepting) return refuseHandshake(socket, 503, 'Shutting down.');
    if (!originAllowed(req, this.config.allowedOrigins)) return refuseHandshake(socket, 403, 'Origin not allowed.');
    const offered = offeredProtocols(req);
    if (offered.length > 0 && selectProtocol(offered) === false) {
      return refuseHandshake(socket, 400, 'None of the offered subprotocols is spoken here; offer json or protocolOne.');
    }
    const token = handshakeToken(req, url);
    if (token !== undefined && !this.hub.tokenMatches(token)) return refuseHandshake(socket, 401, 'Wrong token.');
    const authorized = token !== undefined;
    const session = url.searchParams.get('session');
    const seq = Number(url.searchParams.get('seq') ?? '0');
    const resume = session !== null && Number.isSafeInteger(seq) && seq >= 0 ? { session, seq } : undefined;
    this.#wss.handleUpgrade(req, socket, head, (ws) => this.#accept(ws, authorized, resume));
  };

  #accept(ws: WebSocket, authorized: boolean, resume: { session: string; seq: number } | undefined): void {
    const { wsSendBufferMax } = this.config;
    const logger = this.logger;
    const metrics = this.metrics;
    const writer = this.#writer;
    const outlet = new Outlet(ws);
    const connection = this.hub.open(
      {
        send(frame) {
          if (ws.readyState !== WebSocket.OPEN) return;
          // A client that stops reading is cut off before its buffer grows without bound: once the
          // kernel's buffers are full, what ws could not write piles up here.
          const backlog = writer.backlog(outlet);
          if (backlog > wsSendBufferMax) {
            logger.debug({ backlog }, SOCKET_ERRORS.SLOW_READER.message);
            metrics?.countDroppedClient('slow_reader');
            ws.terminate();
            return;
          }
          writer.write(outlet, frame);
        },
        close(code, reason) {
          if (ws.readyState === WebSocket.OPEN || ws.readyState === WebSocket.CONNECTING) ws.close(code, reason);
        },
      },
      authorized,
      resume,
    );
    const state: SocketState = { alive: true, flooded: false, bucket: new TokenBucket(this.config.wsRateLimit), connection };
    this.#sockets.set(ws, state);

    const socketOnMessage = (data: RawData, isBinary: boolean): void => {
      state.alive = true;
      if (state.flooded) return;
      if (!state.bucket.take()) {
        state.flooded = true;
        this.metrics?.countDroppedClient('flood');
        ws.close(SOCKET_ERRORS.RATE_LIMITED.closeCode, SOCKET_ERRORS.RATE_LIMITED.message);
        return;
      }
      if (isBinary) {
        ws.send(errorFrame('BINARY_UNSUPPORTED'));
        return;
      }
      connection.receive(Array.isArray(data) ? Buffer.concat(data).toString('utf8') : Buffer.from(data as ArrayBuffer).toString('utf8'));
    };
    const socketOnPong = (): void => {
      state.alive = true;
    };
    const socketOnError = (err: Error): void => {
      // ws has already chosen the close code (1009 for a frame over maxPayload, 1002 for a bad frame).
      if ((err as Error & { code?: string }).code === 'WS_ERR_UNSUPPORTED_MESSAGE_LENGTH') this.metrics?.countDroppedClient('frame_too_large');
      this.logger.debug({ err }, 'websocket error');
    };
    const socketOnClose = (): void => {
      this.#sockets.delete(ws);
      connection.close();
    };
    ws.on('message', socketOnMessage);
    ws.on('pong', socketOnPong);
    ws.on('error', socketOnError);
    ws.on('close', socketOnClose);
  }

  /** A peer that answered neither the last ping nor sent anything since is dead: drop it. */
  #beat(): void {
    for (const [ws, state] of this.#sockets) {
      if (!state.alive) {
        this.logger.debug({}, SOCKET_ERRORS.HEARTBEAT_TIMEOUT.message);
        this.metrics?.countDroppedClient('heartbeat');
        ws.terminate();
        continue;
      }
      state.alive = false;
      ws.ping();
    }
  }

  /** Stops upgrades, closes every socket with 1001, and cuts those that do not answer in time. */
  async close(): Promise<void> {
    this.#accepting = false;
    this.server.off('upgrade', this.serverOnUpgrade);
    clearInterval(this.#heartbeat);
    const closed = [...this.#sockets.keys()].map(
      (ws) =>
        new Promise<void>((resolve) => {
          if (ws.readyState === WebSocket.CLOSED) return resolve();
          ws.once('close', () => resolve());
          ws.close(SOCKET_ERRORS.GOING_AWAY.closeCode, SOCKET_ERRORS.GOING_AWAY.message);
        }),
    );
    const timer = setTimeout(() => {
      for (const ws of this.#sockets.keys()) ws.terminate();
    }, CLOSE_GRACE_MS);
    await Promise.all(closed);
    clearTimeout(timer);
    await new Promise<void>((resolve) => this.#wss.close(() => resolve()));
  }
}
