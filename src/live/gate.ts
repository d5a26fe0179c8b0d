/** A frame as the fan-out hands it to a receiver: its channel (for the gate), its seq (0: not logged) and its text. */
export interface Held {
  channel: string;
  seq: number;
  frame: string;
}

/** Something on this instance that fanned-out frames are delivered to: a chat connection, an event stream. */
export interface Receiver {
  deliver(channel: string, seq: number, frame: string): void;
  /** A frame that supersedes the previous one on `channel` of its kind (a user list). */
  deliverLatest?(channel: string, frame: string): void;
}

/** A frame a replay sends: one the receiver missed, with the seq it had when it was first sent. */
export interface Missed {
  seq: number;
  frame: string;
}

/**
 * A receiver that can hold live frames back while a replay (history on join, missed frames on
 * resume, events after a client's position) is being sent, so that the replay comes first and
 * nothing is sent twice. Both live transports extend it: WebSocket connections and SSE streams.
 */
export abstract class Gate implements Receiver {
  #held: Held[] | null = null;

  /** Writes a frame to the client now. */
  protected abstract write(frame: string): void;

  deliver(channel: string, seq: number, frame: string): void {
    if (this.#held) this.#held.push({ channel, seq, frame });
    else this.write(frame);
  }

  /** A state frame (a user list): when the receiver is still busy with the previous one, only the newest counts. */
  deliverLatest(channel: string, frame: string): void {
    if (this.#held) this.#held.push({ channel, seq: 0, frame });
    else this.writeLatest(frame);
  }

  /** Writes a state frame; a transport that can tell a busy client sends only the newest (ChatClient). */
  protected writeLatest(frame: string): void {
    this.write(frame);
  }

  /** Sends a frame past the gate (answers, replayed frames). */
  send(frame: string): void {
    this.write(frame);
  }

  hold(): void {
    this.#held ??= [];
  }

  /** Sends the held frames that `keep` accepts, in arrival order, and delivers live again. */
  release(keep: (held: Held) => boolean = () => true): void {
    const held = this.#held;
    this.#held = null;
    if (!held) return;
    for (const h of held) if (keep(h)) this.write(h.frame);
  }
}

export interface Replay<M extends Missed> {
  /** Joins the receiver to the live fan-out of what is replayed; runs while live frames are held. */
  attach(): void;
  /** The position the replay runs to: every later frame reaches the receiver live. */
  cut(): Promise<number>;
  /** What the receiver missed up to `cut`, in seq order. */
  missed(cut: number): Promise<readonly M[]>;
  /** Sent before the missed frames (a `joined` or `resumed` frame), given the cut and the frames. */
  lead?(cut: number, missed: readonly M[]): void;
  /** Sent after the missed frames, before the held live ones (a `subscribed` frame: caught up to the cut). */
  trail?(cut: number): void;
  /** Held frames on these channels up to the cut were replayed; frames of other channels pass. */
  channels: ReadonlySet<string> | 'all';
}

/**
 * The one replay-then-live sequence: hold live frames, attach, read the cut, send what was missed
 * up to it, then release the held frames past the cut — nothing lost between the replay and the
 * live stream, nothing twice. On failure everything held is released (and the error thrown).
 */
export async function replayThenLive<M extends Missed>(gate: Gate, replay: Replay<M>): Promise<{ cut: number; missed: readonly M[] }> {
  gate.hold();
  try {
    replay.attach();
    const cut = await replay.cut();
    const missed = await replay.missed(cut);
    replay.lead?.(cut, missed);
    for (const m of missed) gate.send(m.frame);
    replay.trail?.(cut);
    const channels = replay.channels;
    gate.release((h) => h.seq === 0 || h.seq > cut || (channels !== 'all' && !channels.has(h.channel)));
    return { cut, missed };
  } finally {
    gate.release();
  }
}
