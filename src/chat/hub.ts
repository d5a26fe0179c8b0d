/**
 * Users, rooms, routing, history and resume. Talks to the bus, the chat store and abstract
 * peers only — no socket import (STYLE.md item 5) — so the Redis bus slots in unchanged:
 * everything that must reach other clients goes through the bus, names through bus.presence.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Bus, BusMessage } from '../bus/bus.js';
import { withSeq } from '../bus/frame.js';
import { TOPIC_PATTERN, topicChannel } from '../live/change-feed.js';
import type { ChatStore } from './store.js';
import { ChatClient, type ClientHandler, type Peer } from './client.js';
import {
  ALL_CHANNEL, DIRECT_CHANNEL, IDS_CHANNEL, LocalChannels, NAMES_SET, ONLINE_SET, RESUMED_CHANNEL, roomChannel,
} from './channels.js';
import { DetachedSessions, type DetachedSession } from './sessions.js';
import { SocketError, socketError } from './errors.js';
import { DEFAULT_ROOM, escapeHtml, parseClientMessage, validRoom, type ClientMessage, type ResumeHints } from './protocol.js';
import { nameKey, normalizeName } from './name-rules.js';
import {
  errorFrame, idFrame, joinedFrame, leftFrame, messageFrame, rejectUsernameFrame, resumedFrame, subscribedFrame,
  unsubscribedFrame, userlistFrame, usernameFrame,
} from './frames.js';
import { joinDirect, missedFrames, roomHistory, splitDirect } from './replay.js';
import { CallPartners, callSignal, relayedFrame } from './signaling.js';
import type { ChatMetrics } from './index.js';

const FRAME_TYPE = /^\{"type":"([^"]+)"/;

/** Counts each fan-out once with its number of receivers (the frame is built once, too). */
function countDelivery(metrics: ChatMetrics) {
  return (frame: string, receivers: number): void => metrics.countChatFrame('out', FRAME_TYPE.exec(frame)?.[1] ?? 'unknown', receivers);
}

export interface HubLogger {
  error(obj: object, msg: string): void;
  debug(obj: object, msg: string): void;
}

export interface HubOptions {
  bus: Bus;
  store: ChatStore;
  logger: HubLogger;
  instanceId: string;
  /** Messages of a room sent on join. */
  chatHistory: number;
  /** When set, subscriptions need it (if `readTokenRequired`). */
  apiToken: string | undefined;
  readTokenRequired: boolean;
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

const MAX_SUFFIX = 10_000;

export class ChatHub implements ClientHandler {
  readonly #bus: Bus;
  readonly #channels: LocalChannels;
  readonly #detached: DetachedSessions;
  /** Sessions with a socket on this instance. */
  readonly #live = new Map<string, ChatClient>();
  /** Signed-in clients on this instance by name, for targeted messages. */
  readonly #byName = new Map<string, ChatClient>();
  readonly #stops: (() => void)[] = [];
  readonly #tokenDigest: Buffer | undefined;
  readonly #calls = new CallPartners();

  constructor(private readonly options: HubOptions) {
    this.#bus = options.bus;
    this.#channels = new LocalChannels(options.bus, options.metrics ? countDelivery(options.metrics) : undefined);
    this.#detached = new DetachedSessions(options.graceMs, (state) => {
      if (state.name !== undefined) this.#background(this.#bus.presence.release(NAMES_SET, nameKey(state.name), state.session));
    });
    this.#tokenDigest = options.apiToken === undefined ? undefined : digest(options.apiToken);
    this.#stops.push(this.#bus.subscribe(DIRECT_CHANNEL, (m) => this.#onDirect(m)));
    this.#stops.push(this.#bus.subscribe(RESUMED_CHANNEL, (m) => this.#onResumedElsewhere(m.data)));
    // Members of a crashed instance expire from presence without a release: tell everyone.
    this.#stops.push(this.#bus.presence.watch(ONLINE_SET, () => this.#background(this.#publishUserlist())));
  }

  /** True when a subscription needs the API token. */
  get tokenRequired(): boolean {
    return this.#tokenDigest !== undefined && this.options.readTokenRequired;
  }

  /** Compares in constant time (digests, so the length does not leak either). */
  tokenMatches(token: string | undefined): boolean {
    return token !== undefined && this.#tokenDigest !== undefined && timingSafeEqual(digest(token), this.#tokenDigest);
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
    this.#channels.close();
    this.#detached.close();
  }

  async #greet(client: ChatClient, resume: { session: string; seq: number } | undefined): Promise<void> {
    client.id = client.connId = (await this.#bus.publish(IDS_CHANNEL, this.options.instanceId)).seq;
    client.session = randomBytes(18).toString('base64url');
    this.#live.set(client.session, client);
    let failure: unknown;
    if (resume) {
      try {
        return await this.#resume(client, resume.session, resume.seq, { name: undefined, rooms: undefined, topics: undefined }, true);
      } catch (err) {
        failure = err;
      }
    }
    client.send(idFrame(client.id, client.session));
    if (failure !== undefined) this.#fail(client, failure);
    client.hold();
    this.#channels.join(ALL_CHANNEL, client);
    this.#joinRoom(client, DEFAULT_ROOM);
    try {
      client.send(userlistFrame(await this.#bus.presence.members(ONLINE_SET)));
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
      case 'username': return this.#username(client, message.name, message.date);
      case 'message': return this.#message(client, message);
      case 'targeted': return this.#targeted(client, message.target, message.payload);
      case 'join': return this.#join(client, message.room);
      case 'leave': return this.#leave(client, message.room);
      case 'subscribe': return this.#subscribe(client, message.topic, message.token);
      case 'unsubscribe': return this.#unsubscribe(client, message.topic);
      case 'resume': return this.#resume(client, message.session, message.seq, message.hints);
    }
  }

  #fail(client: ChatClient, err: unknown): void {
    if (err instanceof SocketError) {
      if (err.closeCode !== undefined) client.peer.close(err.closeCode, err.message);
      else client.send(errorFrame(err.code, err.message));
      return;
    }
    this.options.logger.error({ err, clientId: client.id }, 'chat message failed');
    client.send(errorFrame('INTERNAL'));
  }

  // --- names -------------------------------------------------------------------------------

  async #username(client: ChatClient, requested: string, date: number): Promise<void> {
    const wanted = normalizeName(requested);
    if (client.name !== undefined && client.name !== wanted) await this.#dropName(client);
    const given = await this.#claimUnique(wanted, client.session);
    if (given !== wanted) client.send(rejectUsernameFrame(client.id, given));
    await this.#signIn(client, given);
    await this.#bus.publish(ALL_CHANNEL, usernameFrame(given, client.id, date));
  }

  /** `bob` taken → `bob1`, `bob2`… (MDN's sample server appends a number the same way); look-alikes count as taken. */
  async #claimUnique(wanted: string, owner: string): Promise<string> {
    const presence = this.#bus.presence;
    if (await presence.claim(NAMES_SET, nameKey(wanted), owner)) return wanted;
    for (let n = 1; n < MAX_SUFFIX; n++) {
      if (await presence.claim(NAMES_SET, nameKey(wanted + n), owner)) return wanted + n;
    }
    throw socketError('BAD_NAME', 'Every variant of this name is taken.');
  }

  async #signIn(client: ChatClient, name: string): Promise<void> {
    client.name = name;
    this.#byName.set(name, client);
    await this.#bus.presence.claim(ONLINE_SET, name, client.session);
    await this.#publishUserlist();
  }

  async #dropName(client: ChatClient): Promise<void> {
    const name = client.name;
    if (name === undefined) return;
    client.name = undefined;
    if (this.#byName.get(name) === client) this.#byName.delete(name);
    this.#calls.forget(name);
    await this.#bus.presence.release(ONLINE_SET, name, client.session);
    await this.#bus.presence.release(NAMES_SET, nameKey(name), client.session);
  }

  /** A client that talks before choosing a name (the seed's snippet does) is `guest-<id>`. */
  async #ensureName(client: ChatClient): Promise<string> {
    if (client.name === undefined) await this.#signIn(client, await this.#claimUnique(`guest-${client.id}`, client.session));
    return client.name!;
  }

  async #publishUserlist(): Promise<void> {
    await this.#bus.signal(ALL_CHANNEL, userlistFrame(await this.#bus.presence.members(ONLINE_SET)));
  }

  // --- messages ----------------------------------------------------------------------------

  async #message(client: ChatClient, m: Extract<ClientMessage, { type: 'message' }>): Promise<void> {
    const room = m.room ?? this.#defaultRoom(client);
    if (!client.rooms.includes(room)) throw socketError('NOT_IN_ROOM', `Join "${room}" before sending to it.`);
    // Signed in already (the usual case): no await, so the fan-out below starts in this tick.
    const name = client.name ?? (await this.#ensureName(client));
    const frame = messageFrame({ name, text: escapeHtml(m.text), id: client.id, date: m.date, room });
    const published = await this.#bus.publish(roomChannel(room), frame);
    try {
      await this.options.store.append({ room, seq: published.seq, payload: withSeq(frame, published.seq) });
    } catch (err) {
      // Delivered already; only the history misses it. Not the sender's problem.
      this.options.logger.error({ err, room }, 'chat message not stored');
    }
  }

  #defaultRoom(client: ChatClient): string {
    if (client.rooms.includes(DEFAULT_ROOM) || client.rooms.length === 0) return DEFAULT_ROOM;
    if (client.rooms.length === 1) return client.rooms[0]!;
    throw socketError('MISSING_FIELD', 'You are in several rooms: say which one with "room".');
  }

  async #targeted(client: ChatClient, requested: string | undefined, payload: Record<string, unknown>): Promise<void> {
    const name = await this.#ensureName(client);
    const target = requested ?? this.#calls.of(name);
    if (target === undefined) throw socketError('UNKNOWN_TARGET', 'No "target", and no call to send this to.');
    if (!(await this.#bus.presence.members(ONLINE_SET)).includes(target)) throw socketError('UNKNOWN_TARGET', `No user named "${escapeHtml(target.slice(0, 64))}" is online.`);
    this.#calls.note(name, target, String(payload.type));
    await this.#bus.publish(DIRECT_CHANNEL, joinDirect(target, relayedFrame(payload, { name, id: client.id }, target)));
  }

  #onDirect(message: BusMessage): void {
    const { target, frame } = splitDirect(message.data);
    const client = this.#byName.get(target);
    if (client === undefined) return;
    const signal = callSignal(frame);
    if (signal !== undefined) this.#calls.note(target, signal.from, signal.type);
    client.deliver(DIRECT_CHANNEL, message.seq, withSeq(frame, message.seq));
  }

  // --- rooms and topics --------------------------------------------------------------------

  #joinRoom(client: ChatClient, room: string): void {
    client.addRoom(room);
    this.#channels.join(roomChannel(room), client);
  }

  async #join(client: ChatClient, room: string): Promise<void> {
    client.hold();
    try {
      this.#joinRoom(client, room);
      const cut = await this.#bus.lastSeq();
      const history = await roomHistory(this.#bus, this.options.store, room, this.options.chatHistory, cut);
      client.send(joinedFrame(room, cut, history));
      const channel = roomChannel(room);
      client.release((h) => !(h.channel === channel && h.seq <= cut));
    } finally {
      client.release();
    }
  }

  async #leave(client: ChatClient, room: string): Promise<void> {
    client.removeRoom(room);
    this.#channels.leave(roomChannel(room), client);
    client.send(leftFrame(room));
  }

  async #subscribe(client: ChatClient, topic: string, token: string | undefined): Promise<void> {
    if (!TOPIC_PATTERN.test(topic)) throw socketError('BAD_TOPIC', `"${escapeHtml(topic.slice(0, 64))}" is not a topic. ${socketError('BAD_TOPIC').message}`);
    if (this.tokenRequired && !client.authorized) {
      if (!this.tokenMatches(token)) throw socketError('UNAUTHORIZED');
      client.authorized = true;
    }
    client.hold();
    try {
      client.addTopic(topic);
      this.#channels.join(topicChannel(topic), client);
      client.send(subscribedFrame(topic, await this.#bus.lastSeq()));
    } finally {
      client.release();
    }
  }

  async #unsubscribe(client: ChatClient, topic: string): Promise<void> {
    client.removeTopic(topic);
    this.#channels.leave(topicChannel(topic), client);
    client.send(unsubscribedFrame(topic));
  }

  // --- sessions ----------------------------------------------------------------------------

  async #resume(client: ChatClient, session: string, after: number, hints: ResumeHints, announce = false): Promise<void> {
    if (session === client.session) return;
    const state = this.#takeSession(session) ?? this.#fromHints(client, session, hints);
    if (!state) throw socketError('RESUME_FAILED', 'Unknown or expired session.');
    const cut = await this.#bus.lastSeq();
    if (after > cut) {
      // The bus restarted (a memory bus starts again at 0): the seq means nothing any more.
      this.#detached.add(state.state);
      throw socketError('RESUME_FAILED', 'The server restarted since; start a new session.');
    }
    if (state.state.name !== undefined && !(await this.#bus.presence.claim(NAMES_SET, nameKey(state.state.name), session))) {
      throw socketError('RESUME_FAILED', 'The name was given to someone else.');
    }
    // Let go of what this connection had under the session from its `id` frame.
    await this.#dropName(client);
    this.#live.delete(client.session);
    client.session = session;
    client.id = state.state.id || client.id;
    this.#live.set(session, client);

    client.hold();
    try {
      this.#channels.join(ALL_CHANNEL, client);
      for (const room of [...client.rooms]) {
        if (state.state.rooms.includes(room)) continue;
        client.removeRoom(room);
        this.#channels.leave(roomChannel(room), client);
      }
      for (const room of state.state.rooms) this.#joinRoom(client, room);
      for (const topic of state.state.topics) {
        client.addTopic(topic);
        this.#channels.join(topicChannel(topic), client);
      }
      const cutNow = await this.#bus.lastSeq();
      const channels = [ALL_CHANNEL, ...[...client.rooms].map(roomChannel), ...[...client.topics].map(topicChannel)];
      const missed = await missedFrames(this.#bus, channels, state.trusted ? state.state.name : undefined, after, cutNow);
      if (state.state.name !== undefined) {
        client.name = state.state.name;
        this.#byName.set(client.name, client);
        await this.#bus.presence.claim(ONLINE_SET, client.name, session);
      }
      if (announce) client.send(idFrame(client.id, session));
      client.send(resumedFrame({ session, id: client.id, name: client.name, rooms: [...client.rooms], topics: [...client.topics], seq: after, missed: missed.length }));
      for (const m of missed) client.send(m.frame);
      client.release((h) => h.seq === 0 || h.seq > cutNow);
    } finally {
      client.release();
    }
    await this.#bus.signal(RESUMED_CHANNEL, session + '\n' + client.connId);
    await this.#publishUserlist();
  }

  /** The session's state on this instance: detached, or still attached to an older socket. */
  #takeSession(session: string): { state: DetachedSession; trusted: boolean } | undefined {
    const detached = this.#detached.take(session);
    if (detached) return { state: detached, trusted: true };
    const older = this.#live.get(session);
    if (!older) return undefined;
    older.superseded = true;
    older.peer.close(4000, 'session resumed on another connection');
    this.#live.delete(session);
    if (older.name !== undefined && this.#byName.get(older.name) === older) this.#byName.delete(older.name);
    return { state: snapshot(older), trusted: true };
  }

  /** A session held by another instance: the client says what it had; the name must still be its own. */
  #fromHints(client: ChatClient, session: string, hints: ResumeHints): { state: DetachedSession; trusted: boolean } | undefined {
    if (hints.name === undefined && hints.rooms === undefined && hints.topics === undefined) return undefined;
    const rooms = (hints.rooms ?? [DEFAULT_ROOM]).filter(validRoom);
    const topics = (hints.topics ?? []).filter((t) => TOPIC_PATTERN.test(t) && (!this.tokenRequired || client.authorized));
    const name = hints.name === undefined ? undefined : normalizeName(hints.name);
    // Targeted messages are replayed only from a session this instance knew: a name alone proves nothing.
    return { state: { session, id: client.id, name, rooms, topics }, trusted: false };
  }

  /** `<session>\n<connId>`: a session resumed by connection connId, maybe on another instance. */
  #onResumedElsewhere(data: string): void {
    const [session = '', connId = ''] = data.split('\n');
    this.#detached.drop(session);
    const older = this.#live.get(session);
    if (older && String(older.connId) !== connId) {
      older.superseded = true;
      older.peer.close(4000, 'session resumed on another connection');
      this.#live.delete(session);
    }
  }

  async #disconnect(client: ChatClient): Promise<void> {
    this.#channels.leave(ALL_CHANNEL, client);
    for (const room of client.rooms) this.#channels.leave(roomChannel(room), client);
    for (const topic of client.topics) this.#channels.leave(topicChannel(topic), client);
    const name = client.name;
    if (name !== undefined && this.#byName.get(name) === client) {
      this.#byName.delete(name);
      this.#calls.forget(name);
    }
    if (client.superseded || client.session === '') return;
    if (this.#live.get(client.session) === client) this.#live.delete(client.session);
    if (name !== undefined) {
      await this.#bus.presence.release(ONLINE_SET, name, client.session);
      await this.#publishUserlist();
    }
    this.#detached.add(snapshot(client));
  }

  #background(task: Promise<unknown>): void {
    task.catch((err: unknown) => this.options.logger.error({ err }, 'chat background task failed'));
  }
}

function snapshot(client: ChatClient): DetachedSession {
  return { session: client.session, id: client.id, name: client.name, rooms: [...client.rooms], topics: [...client.topics] };
}

function digest(value: string): Buffer {
  return createHash('sha256').update(value).digest();
}
