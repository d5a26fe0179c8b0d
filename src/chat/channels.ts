import type { Receiver } from '../live/gate.js';

/**
 * This instance's side of the chat fan-out: who is in which channel (a room, everyone), and the
 * delivery of a frame — built once — to each of them. Logged frames (messages, sign-ins) come
 * from the live tail in position order; signals (user lists) from the bus with seq 0.
 */
export class LocalChannels {
  readonly #channels = new Map<string, Set<Receiver>>();

  constructor(private readonly onFanOut?: (frame: string, receivers: number) => void) {}

  join(channel: string, receiver: Receiver): void {
    let members = this.#channels.get(channel);
    if (!members) this.#channels.set(channel, (members = new Set()));
    members.add(receiver);
  }

  leave(channel: string, receiver: Receiver): void {
    const members = this.#channels.get(channel);
    if (!members) return;
    members.delete(receiver);
    if (members.size === 0) this.#channels.delete(channel);
  }

  deliver(channel: string, seq: number, frame: string): void {
    const members = this.#channels.get(channel);
    if (!members) return;
    for (const member of members) member.deliver(channel, seq, frame);
    this.onFanOut?.(frame, members.size);
  }

  /** A state frame (a user list) to every member, each of which sends only the newest when busy. */
  deliverLatest(channel: string, frame: string): void {
    const members = this.#channels.get(channel);
    if (!members) return;
    for (const member of members) {
      if (member.deliverLatest) member.deliverLatest(channel, frame);
      else member.deliver(channel, 0, frame);
    }
    this.onFanOut?.(frame, members.size);
  }

  size(channel: string): number {
    return this.#channels.get(channel)?.size ?? 0;
  }

  close(): void {
    this.#channels.clear();
  }
}

/** Channels of the chat, in the change log and on the bus. Sign-ins and user lists go to everyone. */
export const ALL_CHANNEL = 'chat:all';
/** Targeted messages: each logged with the SHA-256 of its recipient's session, delivered to that session only. */
export const DIRECT_CHANNEL = 'chat:direct';
/** Signals `<session>\n<connId>` when a session is resumed, so the instance that held it lets go. */
export const RESUMED_CHANNEL = 'chat:resumed';
export const roomChannel = (room: string): string => `chat:room:${room}`;

/** Presence sets: names reserved (owner: session) and names online (the user list). */
export const NAMES_SET = 'chat:names';
export const ONLINE_SET = 'chat:online';
