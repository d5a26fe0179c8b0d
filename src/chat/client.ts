import type { Receiver } from './channels.js';

/** The hub's view of a socket: the transport implements it (no `ws` import here). */
export interface Peer {
  send(frame: string): void;
  close(code: number, reason: string): void;
}

interface Held {
  channel: string;
  seq: number;
  frame: string;
}

/**
 * One connection's chat state. While the hub answers a `join` or `resume` it holds live frames
 * back, so the history or replay it sends comes first and nothing is sent twice.
 */
export class ChatClient implements Receiver {
  /** The id shown to others (kept across a resume). */
  id = 0;
  /** Unique per connection, cluster-wide. */
  connId = 0;
  session = '';
  name: string | undefined;
  readonly rooms = new Set<string>();
  readonly topics = new Set<string>();
  closed = false;
  /** Set when a resume on another connection took this session over: its close must not release anything. */
  superseded = false;
  #held: Held[] | null = null;
  /** Settles after the last task given to `run` has settled. */
  #tail: Promise<void> = Promise.resolve();
  /** Tasks given to `run` that have not settled yet. */
  #inFlight = 0;

  constructor(readonly peer: Peer, public authorized: boolean) {}

  deliver(channel: string, seq: number, frame: string): void {
    if (this.closed) return;
    if (this.#held) this.#held.push({ channel, seq, frame });
    else this.peer.send(frame);
  }

  send(frame: string): void {
    if (!this.closed) this.peer.send(frame);
  }

  hold(): void {
    this.#held ??= [];
  }

  /** Sends the frames held back that `keep` accepts, in arrival order, and delivers live again. */
  release(keep: (held: Held) => boolean = () => true): void {
    const held = this.#held;
    this.#held = null;
    if (!held) return;
    for (const h of held) if (keep(h)) this.send(h.frame);
  }

  /**
   * Runs `task` after every earlier one of this connection: messages are handled in order. When
   * nothing is in flight it starts at once, in the socket's own event: a chat message then reaches
   * the fan-out before this tick ends, not a promise hop later (the paced p99 of issue 6 counts
   * every microsecond between a frame's arrival and its first write).
   */
  run(task: () => Promise<void>): Promise<void> {
    const next = this.#inFlight === 0 ? start(task) : this.#tail.then(task);
    this.#inFlight++;
    const settled = (): void => {
      this.#inFlight--;
    };
    this.#tail = next.then(settled, settled);
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
