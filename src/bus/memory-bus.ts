import type { Bus, BusListener, BusMessage, Presence } from './bus.js';

/** How many messages each channel's log keeps for resume. */
export const DEFAULT_LOG_SIZE = 1000;

/**
 * The in-process bus: one instance, no network. Delivery is synchronous and in seq order,
 * which is what a single process needs and what the Redis bus reproduces across processes.
 */
export class MemoryBus implements Bus {
  #seq = 0;
  readonly #listeners = new Map<string, Set<BusListener>>();
  readonly #logs = new Map<string, BusMessage[]>();
  readonly presence: Presence = new MemoryPresence();

  constructor(private readonly logSize = DEFAULT_LOG_SIZE) {}

  async publish(channel: string, data: string): Promise<BusMessage> {
    const message: BusMessage = { seq: ++this.#seq, channel, data };
    let log = this.#logs.get(channel);
    if (!log) this.#logs.set(channel, (log = []));
    log.push(message);
    if (log.length > this.logSize) log.splice(0, log.length - this.logSize);
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

  async since(channel: string, after: number, limit: number): Promise<BusMessage[]> {
    const log = this.#logs.get(channel) ?? [];
    const out: BusMessage[] = [];
    for (const m of log) {
      if (m.seq > after) {
        out.push(m);
        if (out.length >= limit) break;
      }
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
