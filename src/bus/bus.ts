/**
 * The bus carries everything that must reach clients on every instance: chat messages,
 * user lists, change events. The chat hub and the change feed talk to
 * this interface only; `createBus(config)` picks the in-process or the Redis implementation.
 *
 * Ordering: `seq` is one counter per shop, strictly increasing across all channels, so a
 * client needs to remember one number to resume. Each channel keeps an ordered log of its
 * recent messages (`since`) so a client that reconnects — on this instance or another — gets
 * exactly what it missed.
 */
export interface BusMessage {
  seq: number;
  channel: string;
  /** Opaque payload, serialized once by the publisher. */
  data: string;
}

export type BusListener = (message: BusMessage) => void;

export interface Bus {
  /** Assigns the next seq, appends to the channel's log, and delivers to every subscriber on every instance, in seq order. */
  publish(channel: string, data: string): Promise<BusMessage>;
  /** Delivers what is sent to `channel` without logging it or assigning a seq (presence pings, targeted messages). */
  signal(channel: string, data: string): Promise<void>;
  /** Listens to a channel (published and signalled messages); returns the function that stops listening. */
  subscribe(channel: string, listener: BusListener): () => void;
  /** Logged messages of `channel` with seq > `after`, oldest first, at most `limit`. */
  since(channel: string, after: number, limit: number): Promise<BusMessage[]>;
  /** The highest seq assigned so far (0 when none). */
  lastSeq(): Promise<number>;
  readonly presence: Presence;
  /** Resolves when the bus can serve; rejects with UnavailableError when it cannot. */
  ping(): Promise<void>;
  close(): Promise<void>;
}

/**
 * Shared sets of members with owners, for user lists and name uniqueness across instances.
 * A member added by an instance that dies without removing it disappears within the
 * implementation's expiry (Redis: a few heartbeats).
 */
export interface Presence {
  /** Adds `member` to `set` unless another owner holds it; true when this owner now holds it. */
  claim(set: string, member: string, owner: string): Promise<boolean>;
  release(set: string, member: string, owner: string): Promise<void>;
  /** Members of `set`, in the order they were claimed. */
  members(set: string): Promise<string[]>;
  /**
   * Calls `listener` when members of `set` changed without a claim or release on any
   * instance: an instance died and its members expired, or an instance that lost Redis put
   * its members back. Not called for claim/release (their callers announce those). The chat
   * re-reads `members()` and re-broadcasts its user list. Returns the function that stops.
   * The in-process presence never expires anything, so it never calls the listener.
   */
  watch(set: string, listener: () => void): () => void;
}
