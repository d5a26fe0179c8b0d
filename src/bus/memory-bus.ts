import type { Bus, BusListener, BusMessage, Presence } from './bus.js';

/** How many messages a resume may read back from one channel (the Redis bus trims each channel's stream to this). */
export const DEFAULT_LOG_SIZE = 1000;
/** The in-process bus keeps one log for all channels: the last this many messages of the shop. */
export const DEFAULT_RING_SIZE = 20_000;
/** …and at most this many bytes of payload: 20,000 frames of 64 KiB would otherwise hold 1.3 GB. */
export const DEFAULT_RING_BYTES = 64 * 1024 * 1024;

/**
 * The in-process bus: one instance, no network. Delivery is synchronous and in seq order,
 * which is what a single process needs and what the Redis bus reproduces across processes.
 *
 * The resume log is one ring of the shop's last messages rather than a log per channel: every
 * customer has topics of its own (`customers/7`), and a log per channel would keep memory for
 * each customer ever written. The ring's memory is fixed; seqs in it are increasing, so `since`
 * finds its starting point by binary search.
 */
export class MemoryBus implements Bus {
  #seq = 0;
  readonly #listeners = new Map<string, Set<BusListener>>();
  readonly #ring: (BusMessage | undefined)[];
  /** Index of the oldest message in the ring, and how many it holds. */
  #start = 0;
  #count = 0;
  #bytes = 0;
  readonly presence: Presence = new MemoryPresence();

  /** `startSeq`: the first seq is the one after it (see src/store/seq-blocks.ts). */
  constructor(ringSize = DEFAULT_RING_SIZE, private readonly ringBytes = DEFAULT_RING_BYTES, startSeq = 0) {
    this.#seq = startSeq;
    this.#ring = new Array<BusMessage | undefined>(ringSize);
  }

  async publish(channel: string, data: string): Promise<BusMessage> {
    const message: BusMessage = { seq: ++this.#seq, channel, data };
    const size = this.#ring.length;
    if (this.#count === size) this.#dropOldest();
    this.#ring[(this.#start + this.#count) % size] = message;
    this.#count++;
    // Strings are UTF-16 in memory: two bytes a character is the honest estimate.
    this.#bytes += data.length * 2;
    while (this.#bytes > this.ringBytes && this.#count > 1) this.#dropOldest();
    this.#deliver(message);
    return message;
  }

  async signal(channel: string, data: string): Promise<void> {
    this.#deliver({ seq: 0, channel, data });
  }

  subscribe(channel: string, listener: BusListener): () => void {
    let set = this.#listeners.get(channel);
    if (!set) this.#listeners.set(channel, (set = new Set()));
    set.add(listener);
    return () => {
      set.delete(listener);
      if (set.size === 0 && this.#listeners.get(channel) === set) this.#listeners.delete(channel);
    };
  }

  #dropOldest(): void {
    const oldest = this.#ring[this.#start]!;
    this.#bytes -= oldest.data.length * 2;
    this.#ring[this.#start] = undefined;
    this.#start = (this.#start + 1) % this.#ring.length;
    this.#count--;
  }

  async since(channel: string, after: number, limit: number): Promise<BusMessage[]> {
    const size = this.#ring.length;
    const at = (i: number) => this.#ring[(this.#start + i) % size]!;
    let lo = 0;
    let hi = this.#count;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (at(mid).seq <= after) lo = mid + 1;
      else hi = mid;
    }
    const out: BusMessage[] = [];
    for (let i = lo; i < this.#count && out.length < limit; i++) {
      const m = at(i);
      if (m.channel === channel) out.push(m);
    }
    return out;
  }

  async lastSeq(): Promise<number> {
    return this.#seq;
  }

  async ping(): Promise<void> {}

  async close(): Promise<void> {
    this.#listeners.clear();
  }

  #deliver(message: BusMessage): void {
    const set = this.#listeners.get(message.channel);
    if (!set) return;
    for (const listener of set) listener(message);
  }
}

class MemoryPresence implements Presence {
  readonly #sets = new Map<string, Map<string, string>>();

  async claim(set: string, member: string, owner: string): Promise<boolean> {
    let members = this.#sets.get(set);
    if (!members) this.#sets.set(set, (members = new Map()));
    const holder = members.get(member);
    if (holder !== undefined && holder !== owner) return false;
    members.set(member, owner);
    return true;
  }

  async release(set: string, member: string, owner: string): Promise<void> {
    const members = this.#sets.get(set);
    if (members?.get(member) === owner) members.delete(member);
  }

  async members(set: string): Promise<string[]> {
    return [...(this.#sets.get(set)?.keys() ?? [])];
  }

  /** One process: members leave only by release, so there is never anything to announce. */
  watch(_set: string, _listener: () => void): () => void {
    return () => {};
  }
}
