import { Gate } from '../live/gate.js';
import type { Topic } from '../live/topics.js';

/** The hub's view of a socket: the transport implements it (no `ws` import here). */
export interface Peer {
  send(frame: string): void;
  /** Sends a frame that replaces the previous one of its kind (a user list): a busy socket gets only the newest. */
  sendLatest(frame: string): void;
  close(code: number, reason: string): void;
}

/** What the hub does with a client's frames and its end (ChatHub implements it). */
export interface ClientHandler {
  handle(client: ChatClient, text: string): void;
  disconnect(client: ChatClient): void;
}

/** Every client that never subscribed shares this one: a Map costs ~230 bytes per connection. */
const NO_TOPICS: ReadonlyMap<string, Topic> = new Map();

/**
 * One connection's chat state, behind the live gate (src/live/gate.ts): while the hub answers a
 * `join`, `subscribe` or `resume` it holds live frames back, so the history or replay it sends
 * comes first and nothing is sent twice. It is also what the transport holds for the socket
 * (`receive`, `close`): one object per connection, no closures (memory per idle connection).
 */
export class ChatClient extends Gate {
  /** The id shown to others (kept across a resume). */
  id = 0;
  /** Unique per connection, cluster-wide. */
  connId = 0;
  session = '';
  name: string | undefined;
  /**
   * Rooms joined, in join order. An array replaced on each change, not a Set or a growing array:
   * a client is in one or two rooms, and a Set's table (~280 bytes) or a pushed-to array's spare
   * capacity (~150) would be most of what an idle connection costs beyond ws's own.
   */
  #rooms: readonly string[] = [];
  #topics: Map<string, Topic> | null = null;
  closed = false;
  /** Set when a resume on another connection took this session over: its close must not release anything. */
  superseded = false;
  /** Settles after the last task given to `run` has settled; null when none is in flight. */
  #tail: Promise<void> | null = null;

  constructor(
    readonly peer: Peer,
    public authorized: boolean,
    private readonly handler: ClientHandler,
  ) {
    super();
  }

  /** A text frame from the socket. */
  receive(text: string): void {
    this.handler.handle(this, text);
  }

  /** The socket is gone (closed or terminated). */
  close(): void {
    this.closed = true;
    this.handler.disconnect(this);
  }

  protected write(frame: string): void {
    if (!this.closed) this.peer.send(frame);
  }

  protected override writeLatest(frame: string): void {
    if (!this.closed) this.peer.sendLatest(frame);
  }

  get rooms(): readonly string[] {
    return this.#rooms;
  }

  addRoom(room: string): void {
    if (!this.#rooms.includes(room)) this.#rooms = this.#rooms.concat(room);
  }

  removeRoom(room: string): void {
    if (this.#rooms.includes(room)) this.#rooms = this.#rooms.filter((r) => r !== room);
  }

  /** Subscribed topics by key, in subscription order. */
  get topics(): ReadonlyMap<string, Topic> {
    return this.#topics ?? NO_TOPICS;
  }

  addTopic(topic: Topic): void {
    (this.#topics ??= new Map()).set(topic.key, topic);
  }

  removeTopic(key: string): Topic | undefined {
    const topic = this.#topics?.get(key);
    this.#topics?.delete(key);
    return topic;
  }

  /**
   * Runs `task` after every earlier one of this connection: messages are handled in order. When
   * nothing is in flight it starts at once, in the socket's own event: a chat message then reaches
   * the fan-out before this tick ends, not a promise hop later (the paced p99 counts every
   * microsecond between a frame's arrival and its first write).
   */
  run(task: () => Promise<void>): Promise<void> {
    const next = this.#tail === null ? start(task) : this.#tail.then(task);
    const settled = (): void => {
      // The last task settled, none chained behind it: an idle connection keeps no promise.
      if (this.#tail === tail) this.#tail = null;
    };
    const tail = next.then(settled, settled);
    this.#tail = tail;
    return next;
  }
}

function start(task: () => Promise<void>): Promise<void> {
  try {
    return task();
  } catch (err) {
    return Promise.reject(err);
  }
}
