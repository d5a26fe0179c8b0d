import type { Bus, BusMessage } from '../bus/bus.js';
import type { Receiver } from '../live/gate.js';
import { withSeq } from '../bus/frame.js';

interface Local {
  members: Set<Receiver>;
  stop: () => void;
}

/**
 * This instance's side of the fan-out: one bus subscription per channel however many local
 * receivers listen, and one `withSeq` per message, so every receiver gets the same string
 *. Signals (seq 0) pass through unchanged.
 */
export class LocalChannels {
  readonly #channels = new Map<string, Local>();

  constructor(
    private readonly bus: Bus,
    private readonly onFanOut?: (frame: string, receivers: number) => void,
  ) {}

  join(channel: string, receiver: Receiver): void {
    let local = this.#channels.get(channel);
    if (!local) {
      const members = new Set<Receiver>();
      const stop = this.bus.subscribe(channel, (message: BusMessage) => {
        const frame = message.seq > 0 ? withSeq(message.data, message.seq) : message.data;
        for (const member of members) member.deliver(channel, message.seq, frame);
        this.onFanOut?.(frame, members.size);
      });
      this.#channels.set(channel, (local = { members, stop }));
    }
    local.members.add(receiver);
  }

  leave(channel: string, receiver: Receiver): void {
    const local = this.#channels.get(channel);
    if (!local) return;
    local.members.delete(receiver);
    if (local.members.size === 0) {
      local.stop();
      this.#channels.delete(channel);
    }
  }

  size(channel: string): number {
    return this.#channels.get(channel)?.members.size ?? 0;
  }

  close(): void {
    for (const local of this.#channels.values()) local.stop();
    this.#channels.clear();
  }
}

/** Bus channels of the chat. A room's messages, sign-ins and user lists, targeted messages. */
export const ALL_CHANNEL = 'chat:all';
/** Targeted messages of every user: each payload is `<target name>\n<frame>`, delivered to that name only. */
export const DIRECT_CHANNEL = 'chat:direct';
/** Signals `<session>` when a session is resumed, so the instance that held it lets go. */
export const RESUMED_CHANNEL = 'chat:resumed';
export const roomChannel = (room: string): string => `chat:room:${room}`;

/** Presence sets: names reserved (owner: session) and names online (the user list). */
export const NAMES_SET = 'chat:names';
export const ONLINE_SET = 'chat:online';
