import type { Bus } from '../bus/bus.js';
import { withSeq } from '../live/frame.js';
import { replayThenLive, type Missed } from '../live/gate.js';
import { isChatChannel } from '../live/change.js';
import type { LogTail } from '../live/log-tail.js';
import type { Replayer } from '../live/replay.js';
import type { Subscriptions } from '../live/subscriptions.js';
import type { Topic } from '../live/topics.js';
import type { LogEntry, LogFilter } from '../store/change-log.js';
import type { ChatClient } from './client.js';
import { ALL_CHANNEL, RESUMED_CHANNEL, roomChannel, type LocalChannels } from './channels.js';
import { DetachedSessions, type DetachedSession } from './sessions.js';
import type { Names } from './names.js';
import type { Rooms } from './rooms.js';
import type { TopicRequests } from './topic-requests.js';
import { sessionDigest } from './log.js';
import { socketError } from './errors.js';
import { UnavailableError } from '../errors.js';
import { DEFAULT_ROOM, validRoom, type ResumeHints } from './protocol.js';
import { normalizeName } from './name-rules.js';
import { idFrame, resumedFrame } from './frames.js';

/** How long a resume's announcement waits before it is tried again while Redis is away. */
const ANNOUNCE_RETRY_MS = 500;

const GONE = 'Messages after your position are no longer kept (or never were); start a new session and read what you need again.';

/**
 * Sessions and their resume: a connection's session outlives its socket for a grace period
 * (its name stays reserved); a client that comes back with the session and its last seq gets
 * its name, rooms and topics back and every frame it missed — read from the change log, so on
 * any instance and after any restart — in seq order, before live ones; or RESUME_FAILED when
 * the log no longer holds all of them. Never a `missed` count that hides a gap.
 */
export class Sessions {
  /** Sessions with a socket on this instance, by session and by the digest direct messages name. */
  readonly #live = new Map<string, ChatClient>();
  readonly #byDigest = new Map<string, ChatClient>();
  readonly #detached: DetachedSessions;
  readonly #stop: () => void;
  /** Announcements of resumes waiting for a backing service to come back. */
  readonly #retries = new Set<NodeJS.Timeout>();

  constructor(
    private readonly bus: Bus,
    private readonly channels: LocalChannels,
    private readonly tail: LogTail,
    private readonly replayer: Replayer,
    private readonly names: Names,
    private readonly rooms: Rooms,
    private readonly topics: TopicRequests,
    private readonly subscriptions: Subscriptions,
    graceMs: number,
    private readonly onBackgroundError: (err: unknown) => void,
  ) {
    this.#detached = new DetachedSessions(graceMs, (state) => {
      if (state.name !== undefined) names.release(state.name, state.session).catch(onBackgroundError);
    });
    this.#stop = bus.subscribe(RESUMED_CHANNEL, (m) => this.#onResumedElsewhere(m.data));
  }

  /** The connection on this instance holding the session with this digest (a direct message's recipient). */
  byDigest(digest: string): ChatClient | undefined {
    return this.#byDigest.get(digest);
  }

  /** A connection takes `session` (a new one, or a resumed one). */
  register(client: ChatClient, session: string): void {
    this.#unregister(client);
    client.session = session;
    this.#live.set(session, client);
    this.#byDigest.set(sessionDigest(session), client);
  }

  /**
   * The socket is gone: its session waits `graceMs` for a resume (unless another connection took
   * it over already). False when there is nothing to wait for.
   */
  detach(client: ChatClient): boolean {
    if (client.superseded || client.session === '') return false;
    this.#unregister(client);
    this.#detached.add(snapshot(client));
    return true;
  }

  close(): void {
    this.#stop();
    this.#detached.close();
    for (const timer of this.#retries) clearTimeout(timer);
    this.#retries.clear();
  }

  /** `resume` (or `?session=&seq=` at the handshake, when `announce` sends the `id` frame first). */
  async resume(client: ChatClient, session: string, after: number, hints: ResumeHints, announce = false): Promise<void> {
    if (session === client.session) return;
    const held = this.#take(session);
    let prepared: Prepared;
    try {
      prepared = await this.#prepare(client, session, after, hints, held);
    } catch (err) {
      // Nothing changed yet: a session this instance held waits out the rest of its grace period
      // for the next attempt (Redis may be back by then). What a client merely claimed (hints)
      // is not kept, so a failed attempt leaves nothing behind to resume later.
      if (held) this.#detached.add(held);
      throw err;
    }
    const { state, topics, filter, early, before } = prepared;
    this.register(client, session);
    client.id = state.id || client.id;

    await replayThenLive<Missed>(client, {
      attach: () => {
        this.channels.join(ALL_CHANNEL, client);
        for (const room of [...client.rooms]) if (!state.rooms.includes(room)) this.rooms.exit(client, room);
        for (const room of state.rooms) this.rooms.enter(client, room);
        for (const topic of topics) this.topics.add(client, topic);
      },
      cut: async () => this.tail.position,
      missed: async (cut) => {
        const rest = (await this.replayer.entries(early, cut, filter)) ?? [];
        return this.#frames([...before, ...rest], topics);
      },
      lead: (_cut, missed) => {
        if (state.name !== undefined) this.names.attach(client, state.name);
        if (announce) client.send(idFrame(client.id, session));
        client.send(resumedFrame({ session, id: client.id, name: client.name, rooms: [...client.rooms], topics: [...client.topics.keys()], seq: after, missed: missed.length }));
      },
      channels: 'all',
    });
    await this.#announce(client, session);
  }

  /**
   * What is left once the client has its `resumed`: its name online again, the other instances
   * told the session moved (they drop their copy of it, which would otherwise release the name
   * when its grace period ends), everyone the new user list. The resume itself succeeded, so a
   * backing service that is away now does not fail it: the announcement is tried again until the
   * service is back or the connection is gone.
   */
  async #announce(client: ChatClient, session: string): Promise<void> {
    try {
      await this.names.rejoin(client);
      await this.bus.signal(RESUMED_CHANNEL, session + '\n' + client.connId);
      await this.names.publishUserlist();
    } catch (err) {
      if (!(err instanceof UnavailableError)) throw err;
      this.#announceLater(client, session);
    }
  }

  #announceLater(client: ChatClient, session: string): void {
    const timer = setTimeout(() => {
      this.#retries.delete(timer);
      if (client.closed || client.session !== session) return;
      this.#announce(client, session).catch(this.onBackgroundError);
    }, ANNOUNCE_RETRY_MS);
    timer.unref();
    this.#retries.add(timer);
  }

  /**
   * Everything a resume checks and reads before it changes anything: the session's state, what
   * was missed up to where this instance is (so a client too far behind is refused with its
   * connection as it was), and its name back from the shared registry. Throws RESUME_FAILED, or
   * what a backing service threw.
   */
  async #prepare(client: ChatClient, session: string, after: number, hints: ResumeHints, held: DetachedSession | undefined): Promise<Prepared> {
    const state = held ? this.#withHints(client, held, hints) : this.#fromHints(client, session, hints);
    if (!state) throw socketError('RESUME_FAILED', 'Unknown or expired session.');
    const topics = state.topics.flatMap((name) => {
      const topic = this.subscriptions.restore(name);
      return topic ? [topic] : [];
    });
    const filter = { channels: [ALL_CHANNEL, ...state.rooms.map(roomChannel), ...new Set(topics.map((t) => t.resource))], recipient: sessionDigest(session) };
    const reached = await this.subscriptions.reach(after);
    const early = reached ? this.tail.position : after;
    const before = reached ? await this.replayer.entries(after, early, filter) : undefined;
    if (before === undefined) throw socketError('RESUME_FAILED', GONE);
    if (state.name !== undefined && !(await this.names.reclaim(state.name, session))) {
      throw socketError('RESUME_FAILED', 'The name was given to someone else.');
    }
    // Let go of what this connection had under the session from its `id` frame.
    await this.names.drop(client);
    return { state, topics, filter, early, before };
  }

  /** The frames a client with `topics` gets for these log entries, in seq order. */
  #frames(entries: readonly LogEntry[], topics: readonly Topic[]): Missed[] {
    const out: Missed[] = [];
    for (const entry of entries) {
      if (isChatChannel(entry.channel)) out.push({ seq: entry.position, frame: withSeq(entry.data, entry.position) });
      else out.push(...this.subscriptions.framesOf(topics, [entry]));
    }
    return out;
  }

  /** The session's state on this instance: detached, or still attached to an older socket. */
  #take(session: string): DetachedSession | undefined {
    const detached = this.#detached.take(session);
    if (detached) return detached;
    const older = this.#live.get(session);
    if (!older) return undefined;
    older.superseded = true;
    older.peer.close(4000, 'session resumed on another connection');
    this.#unregister(older);
    this.names.detach(older);
    return snapshot(older);
  }

  /**
   * A session this instance does not hold (another instance does, or this one restarted): the
   * client says what it had. Rooms and topics are what anyone may join; the name must still be
   * free or its own; direct messages are replayed only to the session they were sent to, which
   * the client proves by presenting it.
   */
  #fromHints(client: ChatClient, session: string, hints: ResumeHints): DetachedSession | undefined {
    if (hints.name === undefined && hints.rooms === undefined && hints.topics === undefined) return undefined;
    const rooms = (hints.rooms ?? [DEFAULT_ROOM]).filter(validRoom);
    const topics = (hints.topics ?? []).filter((t) => this.#mayRestore(client, t));
    return { session, id: client.id, name: hintedName(hints), rooms, topics };
  }

  /** A topic or query key the client names that it may have back: one that still parses, with read-auth as for a `subscribe`. */
  #mayRestore(client: ChatClient, key: string): boolean {
    return this.subscriptions.restore(key) !== undefined && this.topics.mayRestore(client);
  }

  /**
   * A session this instance holds, with what the client says it had: the rooms and topics it
   * sends are the ones it gets back, and a name it chose is taken when the session has none. The
   * client's word counts because a `join`, `subscribe` or `username` sent just before its
   * connection dropped may never have been read (a connection's unread requests end with it):
   * the session here would lack it while the client rightly believes it asked. A topic the
   * session did not have needs the read-auth of a `subscribe`; the name must still be free.
   */
  #withHints(client: ChatClient, held: DetachedSession, hints: ResumeHints): DetachedSession {
    const rooms = hints.rooms === undefined ? held.rooms : hints.rooms.filter(validRoom);
    const topics = hints.topics === undefined ? held.topics : hints.topics.filter((t) => held.topics.includes(t) || this.#mayRestore(client, t));
    return { ...held, name: held.name ?? hintedName(hints), rooms, topics };
  }

  #unregister(client: ChatClient): void {
    if (client.session === '' || this.#live.get(client.session) !== client) return;
    this.#live.delete(client.session);
    this.#byDigest.delete(sessionDigest(client.session));
  }

  /** `<session>\n<connId>`: a session resumed by connection connId, maybe on another instance. */
  #onResumedElsewhere(data: string): void {
    const [session = '', connId = ''] = data.split('\n');
    this.#detached.drop(session);
    const older = this.#live.get(session);
    if (older && String(older.connId) !== connId) {
      older.superseded = true;
      older.peer.close(4000, 'session resumed on another connection');
      this.#unregister(older);
    }
  }
}

interface Prepared {
  state: DetachedSession;
  topics: Topic[];
  filter: LogFilter;
  /** Where this instance's tail was when `before` was read. */
  early: number;
  before: LogEntry[];
}

function snapshot(client: ChatClient): DetachedSession {
  return { session: client.session, id: client.id, name: client.name, rooms: [...client.rooms], topics: [...client.topics.keys()] };
}

/** The name a resume's hints claim, as `username` would normalize it. */
const hintedName = (hints: ResumeHints): string | undefined => (hints.name === undefined ? undefined : normalizeName(hints.name));
