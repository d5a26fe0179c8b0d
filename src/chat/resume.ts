import type { Bus } from '../bus/bus.js';
import { replayThenLive, type Missed } from '../live/gate.js';
import type { Subscriptions } from '../live/subscriptions.js';
import type { ChatClient } from './client.js';
import { ALL_CHANNEL, ONLINE_SET, RESUMED_CHANNEL, roomChannel, type LocalChannels } from './channels.js';
import { DetachedSessions, type DetachedSession } from './sessions.js';
import type { Names } from './names.js';
import type { Rooms } from './rooms.js';
import type { TopicRequests } from './topic-requests.js';
import { socketError } from './errors.js';
import { DEFAULT_ROOM, normalizeName, validRoom, type ResumeHints } from './protocol.js';
import { idFrame, resumedFrame } from './frames.js';
import { missedFrames } from './replay.js';

/** A session to resume, and whether this instance knew it (only then are private messages replayed). */
interface Found {
  state: DetachedSession;
  trusted: boolean;
}

/**
 * Sessions and their resume: a connection's session outlives its socket for a grace period
 * (its name stays reserved); a client that comes back with the session and its last seq gets
 * its name, rooms and topics back and every frame it missed, in seq order, before live ones.
 */
export class Sessions {
  /** Sessions with a socket on this instance. */
  readonly #live = new Map<string, ChatClient>();
  readonly #detached: DetachedSessions;
  readonly #stop: () => void;

  constructor(
    private readonly bus: Bus,
    private readonly channels: LocalChannels,
    private readonly names: Names,
    private readonly rooms: Rooms,
    private readonly topics: TopicRequests,
    private readonly subscriptions: Subscriptions,
    graceMs: number,
    onBackgroundError: (err: unknown) => void,
  ) {
    this.#detached = new DetachedSessions(graceMs, (state) => {
      if (state.name !== undefined) names.release(state.name, state.session).catch(onBackgroundError);
    });
    this.#stop = bus.subscribe(RESUMED_CHANNEL, (m) => this.#onResumedElsewhere(m.data));
  }

  /** A new connection's session. */
  register(client: ChatClient, session: string): void {
    client.session = session;
    this.#live.set(session, client);
  }

  /**
   * The socket is gone: its session waits `graceMs` for a resume (unless another connection took
   * it over already).
   */
  detach(client: ChatClient): boolean {
    if (client.superseded || client.session === '') return false;
    if (this.#live.get(client.session) === client) this.#live.delete(client.session);
    this.#detached.add(snapshot(client));
    return true;
  }

  close(): void {
    this.#stop();
    this.#detached.close();
  }

  /** `resume` (or `?session=&seq=` at the handshake, when `announce` sends the `id` frame first). */
  async resume(client: ChatClient, session: string, after: number, hints: ResumeHints, announce = false): Promise<void> {
    if (session === client.session) return;
    const found = this.#take(session) ?? this.#fromHints(client, session, hints);
    if (!found) throw socketError('RESUME_FAILED', 'Unknown or expired session.');
    const { state, trusted } = found;
    const cut = await this.bus.lastSeq();
    if (after > cut) {
      // The bus restarted (a memory bus starts again at 0): the seq means nothing any more.
      this.#detached.add(state);
      throw socketError('RESUME_FAILED', 'The server restarted since; start a new session.');
    }
    if (state.name !== undefined && !(await this.names.reclaim(state.name, session))) {
      throw socketError('RESUME_FAILED', 'The name was given to someone else.');
    }
    // Let go of what this connection had under the session from its `id` frame.
    await this.names.drop(client);
    this.#live.delete(client.session);
    this.register(client, session);
    client.id = state.id || client.id;

    const topics = state.topics.flatMap((name) => {
      const topic = this.subscriptions.grammar.parse(name);
      return topic ? [topic] : [];
    });
    await replayThenLive<Missed>(client, {
      attach: () => {
        this.channels.join(ALL_CHANNEL, client);
        for (const room of [...client.rooms]) if (!state.rooms.includes(room)) this.rooms.exit(client, room);
        for (const room of state.rooms) this.rooms.enter(client, room);
        for (const topic of topics) this.topics.add(client, topic);
      },
      cut: () => this.bus.lastSeq(),
      missed: async (cutNow) => {
        const chat = await missedFrames(this.bus, [ALL_CHANNEL, ...client.rooms.map(roomChannel)], trusted ? state.name : undefined, after, cutNow);
        const events = await this.subscriptions.missed(topics, after, cutNow);
        return [...chat, ...events].sort((a, b) => a.seq - b.seq);
      },
      lead: (_cut, missed) => {
        if (state.name !== undefined) this.names.attach(client, state.name);
        if (announce) client.send(idFrame(client.id, session));
        client.send(resumedFrame({ session, id: client.id, name: client.name, rooms: [...client.rooms], topics: [...client.topics.keys()], seq: after, missed: missed.length }));
      },
      channels: 'all',
    });
    if (client.name !== undefined) await this.bus.presence.claim(ONLINE_SET, client.name, session);
    await this.bus.signal(RESUMED_CHANNEL, session + '\n' + client.connId);
    await this.names.publishUserlist();
  }

  /** The session's state on this instance: detached, or still attached to an older socket. */
  #take(session: string): Found | undefined {
    const detached = this.#detached.take(session);
    if (detached) return { state: detached, trusted: true };
    const older = this.#live.get(session);
    if (!older) return undefined;
    older.superseded = true;
    older.peer.close(4000, 'session resumed on another connection');
    this.#live.delete(session);
    this.names.detach(older);
    return { state: snapshot(older), trusted: true };
  }

  /** A session held by another instance: the client says what it had; the name must still be its own. */
  #fromHints(client: ChatClient, session: string, hints: ResumeHints): Found | undefined {
    if (hints.name === undefined && hints.rooms === undefined && hints.topics === undefined) return undefined;
    const rooms = (hints.rooms ?? [DEFAULT_ROOM]).filter(validRoom);
    const topics = (hints.topics ?? []).filter((t) => this.subscriptions.grammar.parse(t) !== undefined && this.topics.mayRestore(client));
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
}

function snapshot(client: ChatClient): DetachedSession {
  return { session: client.session, id: client.id, name: client.name, rooms: [...client.rooms], topics: [...client.topics.keys()] };
}
