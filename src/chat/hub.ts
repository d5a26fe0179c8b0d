/**
 * The chat's composition: it parses each client frame and hands it to the module that owns the
 * concern — names, rooms, the direct relay, topics (the live module's), sessions and resume.
 * Talks to the bus, the chat store and abstract peers only — no socket import — so the Redis bus
 * slots in unchanged.
 */
import { randomBytes } from 'node:crypto';
import type { Bus } from '../bus/bus.js';
import type { Access } from '../http/auth.js';
import type { Subscriptions } from '../live/subscriptions.js';
import type { LogTail } from '../live/log-tail.js';
import type { Replayer } from '../live/replay.js';
import { withSeq } from '../live/frame.js';
import { isChatChannel } from '../live/change.js';
import type { LogEntry } from '../store/change-log.js';
import type { WritePath } from '../store/write-path.js';
import type { ChatStore } from './store.js';
import { ChatClient, type ClientHandler, type Peer } from './client.js';
import { ALL_CHANNEL, DIRECT_CHANNEL, LocalChannels, ONLINE_SET, roomChannel } from './channels.js';
import { SocketError } from './errors.js';
import { UnavailableError } from '../errors.js';
import { DEFAULT_ROOM, parseClientMessage, type ClientMessage } from './protocol.js';
import { errorFrame, idFrame, userlistFrame } from './frames.js';
import type { ChatLogger, ChatMetrics } from './metrics.js';
import { ConnectionIds } from './ids.js';
import { Names } from './names.js';
import { Rooms } from './rooms.js';
import { DirectRelay } from './direct.js';
import { TopicRequests } from './topic-requests.js';
import { Sessions } from './resume.js';

const FRAME_TYPE = /^\{"type":"([^"]+)"/;

export interface HubOptions {
  bus: Bus;
  store: ChatStore;
  /** Where messages are written (to the change log) before anyone receives them. */
  writes: WritePath;
  /** The change log as this instance delivers it, in position order. */
  tail: LogTail;
  replayer: Replayer;
  subscriptions: Subscriptions;
  access: Access;
  logger: ChatLogger;
  /** Reserves blocks of connection ids (src/store/seq-blocks.ts). */
  reserveIds: (size: number) => Promise<number>;
  /** Messages of a room sent on join. */
  chatHistory: number;
  /** How long a disconnected session keeps its name. */
  graceMs: number;
  metrics?: ChatMetrics | undefined;
}

/** What the transport holds for one socket (a ChatClient). */
export interface HubConnection {
  receive(text: string): void;
  /** The socket is gone (closed or terminated). */
  close(): void;
}

export class ChatHub implements ClientHandler {
  readonly #channels: LocalChannels;
  readonly #ids: ConnectionIds;
  readonly #names: Names;
  readonly #rooms: Rooms;
  readonly #direct: DirectRelay;
  readonly #topics: TopicRequests;
  readonly #sessions: Sessions;
  readonly #stops: (() => void)[] = [];

  constructor(private readonly options: HubOptions) {
    const { bus, metrics, tail, writes } = options;
    const background = (err: unknown) => options.logger.error({ err }, 'chat background task failed');
    this.#channels = new LocalChannels(metrics ? (frame, receivers) => metrics.countChatFrame('out', FRAME_TYPE.exec(frame)?.[1] ?? 'unknown', receivers) : undefined);
    this.#ids = new ConnectionIds(options.reserveIds);
    this.#names = new Names(bus, writes);
    this.#rooms = new Rooms(this.#channels, tail, writes, options.store, this.#names, options.logger, options.chatHistory);
    this.#direct = new DirectRelay(this.#names, writes);
    this.#topics = new TopicRequests(options.subscriptions, options.access);
    this.#sessions = new Sessions(bus, this.#channels, tail, options.replayer, this.#names, this.#rooms, this.#topics, options.subscriptions, options.graceMs, background);
    // Logged frames (messages, sign-ins, direct messages) come from the change log, in order;
    // user lists are signals on the bus.
    this.#stops.push(tail.subscribe((entry) => this.#onEntry(entry)));
    this.#stops.push(bus.subscribe(ALL_CHANNEL, (m) => this.#channels.deliverLatest(ALL_CHANNEL, m.data)));
    // Members of a crashed instance expire from presence without a release: tell everyone.
    this.#stops.push(bus.presence.watch(ONLINE_SET, () => this.#names.publishUserlist().catch(background)));
  }

  /** A chat entry of the change log, committed: to the local members of its channel, or its recipient's session. */
  #onEntry(entry: LogEntry): void {
    if (!isChatChannel(entry.channel)) return;
    const frame = withSeq(entry.data, entry.position);
    if (entry.channel === DIRECT_CHANNEL) {
      const client = entry.recipient === null ? undefined : this.#sessions.byDigest(entry.recipient);
      if (client !== undefined) {
        this.#direct.delivered(client, frame);
        client.deliver(DIRECT_CHANNEL, entry.position, frame);
      }
      this.options.metrics?.countChatFrame('out', FRAME_TYPE.exec(frame)?.[1] ?? 'unknown');
      return;
    }
    this.#channels.deliver(entry.channel, entry.position, frame);
  }

  /** True when the token a client presents at the handshake is the API token. */
  tokenMatches(token: string | undefined): boolean {
    return this.options.access.matches(token);
  }

  /** `resume`: the session and seq given at the handshake (`?session=…&seq=…`): resumed before any live frame. */
  open(peer: Peer, authorized: boolean, resume?: { session: string; seq: number }): HubConnection {
    const client = new ChatClient(peer, authorized, this);
    client.run(() => this.#greet(client, resume)).catch((err: unknown) => this.#fail(client, err));
    return client;
  }

  /** ClientHandler: a frame from `client`, handled after its earlier ones. */
  handle(client: ChatClient, text: string): void {
    client.run(() => this.#handle(client, text)).catch((err: unknown) => this.#fail(client, err));
  }

  /** ClientHandler: `client`'s socket is gone. */
  disconnect(client: ChatClient): void {
    client.run(() => this.#disconnect(client)).catch((err: unknown) => this.options.logger.error({ err }, 'chat disconnect failed'));
  }

  stop(): void {
    for (const stop of this.#stops) stop();
    this.#sessions.close();
    this.#channels.close();
  }

  async #greet(client: ChatClient, resume: { session: string; seq: number } | undefined): Promise<void> {
    client.id = client.connId = await this.#ids.next();
    this.#sessions.register(client, randomBytes(18).toString('base64url'));
    let failure: unknown;
    if (resume) {
      try {
        return await this.#sessions.resume(client, resume.session, resume.seq, { name: undefined, rooms: undefined, topics: undefined }, true);
      } catch (err) {
        failure = err;
      }
    }
    client.send(idFrame(client.id, client.session));
    if (failure !== undefined) this.#fail(client, failure);
    client.hold();
    try {
      this.#channels.join(ALL_CHANNEL, client);
      this.#rooms.enter(client, DEFAULT_ROOM);
      client.send(userlistFrame(await this.#names.online()));
    } finally {
      client.release();
    }
  }

  async #handle(client: ChatClient, text: string): Promise<void> {
    if (client.closed) return;
    let message: ClientMessage;
    try {
      message = parseClientMessage(text);
    } catch (err) {
      this.options.metrics?.countChatFrame('in', 'invalid');
      throw err;
    }
    this.options.metrics?.countChatFrame('in', message.type);
    switch (message.type) {
      case 'username': return this.#names.choose(client, message.name, message.date);
      case 'message': return this.#rooms.message(client, message, (err) => this.#fail(client, err));
      case 'targeted': return this.#direct.send(client, message.target, message.payload);
      case 'join': return this.#rooms.join(client, message.room);
      case 'leave': return this.#rooms.leave(client, message.room);
      case 'subscribe': return this.#topics.subscribe(client, message.target, message.token, message.after, message.snapshot);
      case 'unsubscribe': return this.#topics.unsubscribe(client, message.target);
      case 'resume': return this.#sessions.resume(client, message.session, message.seq, message.hints);
    }
  }

  #fail(client: ChatClient, err: unknown): void {
    if (err instanceof SocketError) {
      if (err.closeCode !== undefined) client.peer.close(err.closeCode, err.message);
      else client.send(errorFrame(err.code, err.message, err.extra));
      return;
    }
    if (err instanceof UnavailableError) {
      // Redis or the database is away: the client may try again; the outage itself is logged by the bus and /readyz.
      this.options.logger.warn({ err: { message: err.message }, clientId: client.id }, 'chat request failed: a backing service is unavailable');
      client.send(errorFrame('UNAVAILABLE'));
      return;
    }
    this.options.logger.error({ err, clientId: client.id }, 'chat message failed');
    client.send(errorFrame('INTERNAL'));
  }

  async #disconnect(client: ChatClient): Promise<void> {
    this.#channels.leave(ALL_CHANNEL, client);
    for (const room of client.rooms) this.#channels.leave(roomChannel(room), client);
    this.#topics.removeAll(client);
    this.#names.detach(client);
    if (client.name !== undefined) this.#direct.forget(client.name);
    if (!this.#sessions.detach(client)) return;
    await this.#names.leave(client);
  }
}
