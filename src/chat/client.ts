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
  #tail: Promise<void> = Promise.resolve();

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

  /** Runs `task` after every earlier one of this connection: messages are handled in order. */
  run(task: () => Promise<void>): Promise<void> {
    const next = this.#tail.then(task);
    this.#tail = next.catch(() => {});
    return next;
  }
}
