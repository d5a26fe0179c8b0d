/**
 * The ws side: upgrades, heartbeats, limits, close codes. Everything chat-related is the hub's;
 * this file only turns sockets into Peers and socket events into hub calls.
 */
import type { IncomingMessage, Server } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer, WebSocket, type RawData } from 'ws';
import type { Config } from '../config.js';
import type { ChatHub, HubConnection } from './hub.js';
import type { Peer } from './client.js';
import { TokenBucket } from './token-bucket.js';
import { SOCKET_ERRORS } from './errors.js';
import { errorFrame } from './frames.js';
import type { ChatLogger, ChatMetrics } from './metrics.js';
import { SlowReaderPolicy } from '../live/slow-reader.js';
import { FrameWriter, Outlet } from './frame-writer.js';
import { CHAT_PATHS, handshakeToken, offeredProtocols, originAllowed, refuseHandshake, selectProtocol } from './handshake.js';
import { ClientRate, ConnectionCounter, clientAddress, proxyTrust, type ProxyTrust } from '../http/connection-limits.js';

export type TransportConfig = Pick<
  Config,
  'wsMaxFrame' | 'wsRateLimit' | 'wsHeartbeatMs' | 'wsSendBufferMax' | 'allowedOrigins' | 'trustProxy' | 'wsMaxPerClient' | 'wsHandshakeRate'
>;

/** What every socket of one transport shares: each SocketPeer holds this, not copies of it. */
interface Shared {
  readonly writer: FrameWriter;
  readonly slowReaders: SlowReaderPolicy;
  readonly logger: ChatLogger;
  readonly metrics: ChatMetrics | undefined;
}

/**
 * One accepted socket: the hub's Peer, the writer's Outlet, the heartbeat's and the flood limit's
 * state in one object, with the socket's listeners shared by the whole transport (ws's own way:
 * `receiverOnMessage` finds its socket through `this`). A closure per listener and per Peer method
 * cost ~0.6 KB per idle connection.
 */
class SocketPeer extends Outlet implements Peer {
  alive = true;
  /** The heartbeat slice this socket is pinged in (src/chat/transport.ts #beat). */
  slot = 0;
  flooded = false;
  readonly bucket: TokenBucket;
  connection!: HubConnection;

  constructor(ws: WebSocket, rate: number, private readonly shared: Shared, readonly address: string) {
    super(ws);
    this.bucket = new TokenBucket(rate);
  }

  /** A user list waiting for the socket to drain: only the newest is ever sent. */
  pendingList: string | null = null;

  /**
   * A user list is state, not news: a socket still busy with an earlier one (its buffer was full
   * when written, and has not drained) gets only the newest once it drains. In a sign-in storm
   * each client then holds at most one list in flight, not one per sign-in.
   */
  sendLatest(frame: string): void {
    const socket = this.socket;
    if (socket === null) return this.send(frame);
    if (this.pendingList !== null) {
      this.pendingList = frame;
      return;
    }
    if (socket.writableNeedDrain) {
      this.pendingList = frame;
      // A closure only while a socket is congested: an idle connection keeps none.
      socket.once('drain', () => {
        const latest = this.pendingList;
        this.pendingList = null;
        if (latest !== null) this.sendLatest(latest);
      });
      return;
    }
    this.send(frame);
  }

  send(frame: string): void {
    const { ws, shared } = this;
    if (ws.readyState !== WebSocket.OPEN) return;
    // A client that stops reading is cut off before its buffer grows without bound: once the
    // kernel's buffers are full, what ws could not write piles up here.
    const backlog = shared.writer.backlog(this);
    if (shared.slowReaders.exceeded(backlog)) {
      shared.logger.debug({ backlog }, SOCKET_ERRORS.SLOW_READER.message);
      ws.terminate();
      return;
    }
    shared.writer.write(this, frame, backlog);
  }

  close(code: number, reason: string): void {
    const ws = this.ws;
    if (ws.readyState === WebSocket.OPEN || ws.readyState === WebSocket.CONNECTING) ws.close(code, reason);
  }
}

/** A text frame's payload as a string: ws hands over a Buffer (decoded in place, not copied first). */
function textOf(data: RawData): string {
  if (Buffer.isBuffer(data)) return data.toString('utf8');
  return Array.isArray(data) ? Buffer.concat(data).toString('utf8') : Buffer.from(data).toString('utf8');
}

/** A socket's error before or during the handshake: nothing to tell anyone, just let it go. */
function destroyOnError(this: Duplex): void {
  this.destroy();
}

/** Slices of WS_HEARTBEAT_MS: each socket is pinged in its slice, once per interval. */
const HEARTBEAT_SLICES = 32;

/** How long close() waits for clients to answer the 1001 close frame before cutting them. */
const CLOSE_GRACE_MS = 2000;

export class ChatTransport {
  readonly #wss: WebSocketServer;
  readonly #sockets = new Map<WebSocket, SocketPeer>();
  readonly #heartbeat: NodeJS.Timeout;
  /** The heartbeat slice due next, and the one the next accepted socket joins. */
  #slice = 0;
  #nextSlot = 0;
  readonly #shared: Shared;
  readonly #trust: ProxyTrust;
  readonly #handshakes: ClientRate;
  readonly #perClient: ConnectionCounter;
  #accepting = true;

  constructor(
    private readonly server: Pick<Server, 'on' | 'off'>,
    private readonly hub: ChatHub,
    private readonly config: TransportConfig,
    private readonly logger: ChatLogger,
    private readonly metrics?: ChatMetrics,
  ) {
    this.#wss = new WebSocketServer({
      noServer: true,
      maxPayload: config.wsMaxFrame,
      perMessageDeflate: false,
      handleProtocols: (protocols) => selectProtocol(protocols),
    });
    this.#shared = { writer: new FrameWriter(), slowReaders: new SlowReaderPolicy(config.wsSendBufferMax, () => metrics?.countDroppedClient('slow_reader')), logger, metrics };
    this.#trust = proxyTrust(config.trustProxy);
    this.#handshakes = new ClientRate(config.wsHandshakeRate);
    this.#perClient = new ConnectionCounter(config.wsMaxPerClient);
    server.on('upgrade', this.serverOnUpgrade);
    // The interval is cut into slices and each socket pinged in its own slice, so a heartbeat is
    // a trickle of pings, not one burst of every socket in one tick (which held up whatever
    // broadcast fell in that tick by the time of thousands of writes).
    this.#heartbeat = setInterval(() => this.#beat(), Math.max(1, Math.floor(config.wsHeartbeatMs / HEARTBEAT_SLICES)));
    this.#heartbeat.unref();
  }

  connections(): number {
    return this.#sockets.size;
  }

  readonly serverOnUpgrade = (req: IncomingMessage, socket: Duplex, head: Buffer): void => {
    socket.on('error', destroyOnError);
    const url = new URL(req.url ?? '/', 'http://localhost');
    if (!CHAT_PATHS.has(url.pathname)) return refuseHandshake(socket, 404, 'No WebSocket endpoint here; use /socketserver.');
    if (!this.#accepting) return refuseHandshake(socket, 503, 'Shutting down.');
    // Handshakes never reach the HTTP rate limit: they are limited here, per client address.
    const address = clientAddress(req, this.#trust);
    const wait = this.#handshakes.take(address);
    if (wait !== undefined) return refuseHandshake(socket, 429, 'Too many WebSocket handshakes from your address.', { 'Retry-After': String(wait) });
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
    if (!this.#perClient.open(address)) {
      return refuseHandshake(socket, 429, 'Too many open WebSockets from your address; close one first.', { 'Retry-After': '5' });
    }
    let accepted = false;
    this.#wss.handleUpgrade(req, socket, head, (ws) => {
      accepted = true;
      this.#accept(ws, authorized, resume, address);
    });
    // Without verifyClient, ws completes an upgrade, or refuses a malformed one, before returning.
    if (!accepted) this.#perClient.close(address);
  };

  #accept(ws: WebSocket, authorized: boolean, resume: { session: string; seq: number } | undefined, address: string): void {
    const peer = new SocketPeer(ws, this.config.wsRateLimit, this.#shared, address);
    peer.slot = this.#nextSlot;
    this.#nextSlot = (this.#nextSlot + 1) % HEARTBEAT_SLICES;
    this.#sockets.set(ws, peer);
    peer.connection = this.hub.open(peer, authorized, resume);
    ws.on('message', this.#socketOnMessage);
    ws.on('pong', this.#socketOnPong);
    ws.on('error', this.#socketOnError);
    ws.on('close', this.#socketOnClose);
  }

  // The socket's listeners, one of each for every socket: ws calls them with `this` = the socket.
  readonly #socketOnMessage = ((transport: ChatTransport) =>
    function socketOnMessage(this: WebSocket, data: RawData, isBinary: boolean): void {
      const peer = transport.#sockets.get(this);
      if (!peer) return;
      peer.alive = true;
      if (peer.flooded) return;
      if (!peer.bucket.take()) {
        peer.flooded = true;
        transport.metrics?.countDroppedClient('flood');
        this.close(SOCKET_ERRORS.RATE_LIMITED.closeCode, SOCKET_ERRORS.RATE_LIMITED.message);
        return;
      }
      if (isBinary) {
        this.send(errorFrame('BINARY_UNSUPPORTED'));
        return;
      }
      peer.connection.receive(textOf(data));
    })(this);

  readonly #socketOnPong = ((transport: ChatTransport) =>
    function socketOnPong(this: WebSocket): void {
      const peer = transport.#sockets.get(this);
      if (peer) peer.alive = true;
    })(this);

  readonly #socketOnError = ((transport: ChatTransport) =>
    function socketOnError(this: WebSocket, err: Error): void {
      // ws has already chosen the close code (1009 for a frame over maxPayload, 1002 for a bad frame).
      if ((err as Error & { code?: string }).code === 'WS_ERR_UNSUPPORTED_MESSAGE_LENGTH') transport.metrics?.countDroppedClient('frame_too_large');
      transport.logger.debug({ err }, 'websocket error');
    })(this);

  readonly #socketOnClose = ((transport: ChatTransport) =>
    function socketOnClose(this: WebSocket): void {
      const peer = transport.#sockets.get(this);
      if (!peer) return;
      transport.#sockets.delete(this);
      transport.#perClient.close(peer.address);
      peer.connection.close();
    })(this);

  /** A peer that answered neither the last ping nor sent anything since is dead: drop it. */
  #beat(): void {
    const slice = this.#slice;
    this.#slice = (slice + 1) % HEARTBEAT_SLICES;
    for (const [ws, peer] of this.#sockets) {
      if (peer.slot !== slice) continue;
      if (!peer.alive) {
        this.logger.debug({}, SOCKET_ERRORS.HEARTBEAT_TIMEOUT.message);
        this.metrics?.countDroppedClient('heartbeat');
        ws.terminate();
        continue;
      }
      peer.alive = false;
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
