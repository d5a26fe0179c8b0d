import type { Bus, BusListener, Presence } from './bus.js';

/**
 * The in-process bus: one instance, no network. Delivery is synchronous and in the order sent,
 * which is what a single process needs and what the Redis bus reproduces across processes.
 */
export class MemoryBus implements Bus {
  readonly shared = false;
  readonly #listeners = new Map<string, Set<BusListener>>();
  readonly presence: Presence = new MemoryPresence();

  async signal(channel: string, data: string): Promise<void> {
    const set = this.#listeners.get(channel);
    if (!set) return;
    const message = { channel, data };
    for (const listener of set) listener(message);
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

  async ping(): Promise<void> {}

  async close(): Promise<void> {
    this.#listeners.clear();
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

  async owner(set: string, member: string): Promise<string | undefined> {
    return this.#sets.get(set)?.get(member);
  }

  /** One process: members leave only by release, so there is never anything to announce. */
  watch(_set: string, _listener: () => void): () => void {
    return () => {};
  }
}
