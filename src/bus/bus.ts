/**
 * The bus carries what must reach every instance at once and need not survive: user lists,
 * presence, session handovers, and — between instances — the change-log entries each instance
 * committed (src/live/relay.ts), so the others deliver them without waiting for the database.
 * What must survive is in the change log, in the database: the bus may drop a message (Redis
 * restarting empty) and nothing is lost, only later. The chat and the live side talk to this
 * interface only; `createBus(config)` picks the in-process or the Redis implementation.
 */
export interface BusMessage {
  channel: string;
  /** Opaque payload, serialized once by the sender. */
  data: string;
}

export type BusListener = (message: BusMessage) => void;

export interface Bus {
  /** True when other instances listen too (Redis); false for the in-process bus. */
  readonly shared: boolean;
  /** Delivers `data` to every listener of `channel` on every instance (this one included), in the order sent. */
  signal(channel: string, data: string): Promise<void>;
  /** Listens to a channel; returns the function that stops listening. */
  subscribe(channel: string, listener: BusListener): () => void;
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
  /**
   * Removes `member` from `set` if `owner` holds it. Not failed by an outage (Redis away): the
   * release is then made once Redis answers again, unless this owner claimed the member back
   * meanwhile or another instance took it over; watchers hear of it then.
   */
  release(set: string, member: string, owner: string): Promise<void>;
  /** Members of `set`, in the order they were claimed. */
  members(set: string): Promise<string[]>;
  /** The owner that holds `member` of `set`, if any. */
  owner(set: string, member: string): Promise<string | undefined>;
  /**
   * Calls `listener` when members of `set` changed without a claim or release on any
   * instance: an instance died and its members expired, or an instance that lost Redis put
   * its members back. Not called for claim/release (their callers announce those). The chat
   * re-reads `members()` and re-broadcasts its user list. Returns the function that stops.
   * The in-process presence never expires anything, so it never calls the listener.
   */
  watch(set: string, listener: () => void): () => void;
}
