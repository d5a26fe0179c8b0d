import type { Bus } from '../bus/bus.js';
import { withSeq } from '../bus/frame.js';
import { replayThenLive } from '../live/gate.js';
import type { ChatClient } from './client.js';
import type { LocalChannels } from './channels.js';
import { roomChannel } from './channels.js';
import type { ChatStore } from './store.js';
import type { ChatLogger } from './metrics.js';
import type { Names } from './names.js';
import { socketError } from './errors.js';
import { DEFAULT_ROOM, escapeHtml, type ClientMessage } from './protocol.js';
import { joinedFrame, leftFrame, messageFrame } from './frames.js';
import { roomHistory } from './replay.js';

/** Rooms: membership, messages (published, then kept in the store) and history on join. */
export class Rooms {
  constructor(
    private readonly bus: Bus,
    private readonly channels: LocalChannels,
    private readonly store: ChatStore,
    private readonly names: Names,
    private readonly logger: ChatLogger,
    /** Messages of a room sent on join. */
    private readonly historySize: number,
  ) {}

  /** Puts the client in `room`'s fan-out (no history: a connection's default room, a resume). */
  enter(client: ChatClient, room: string): void {
    client.addRoom(room);
    this.channels.join(roomChannel(room), client);
  }

  exit(client: ChatClient, room: string): void {
    client.removeRoom(room);
    this.channels.leave(roomChannel(room), client);
  }

  /** `leave`. */
  leave(client: ChatClient, room: string): void {
    this.exit(client, room);
    client.send(leftFrame(room));
  }

  /** `message`: to every member of the room, from the name the server knows for this socket. */
  async message(client: ChatClient, m: Extract<ClientMessage, { type: 'message' }>): Promise<void> {
    const room = m.room ?? defaultRoom(client);
    if (!client.rooms.includes(room)) throw socketError('NOT_IN_ROOM', `Join "${room}" before sending to it.`);
    // Signed in already (the usual case): no await, so the fan-out below starts in this tick.
    const name = client.name ?? (await this.names.ensure(client));
    const frame = messageFrame({ name, text: escapeHtml(m.text), id: client.id, date: m.date, room });
    const published = await this.bus.publish(roomChannel(room), frame);
    try {
      await this.store.append({ room, seq: published.seq, payload: withSeq(frame, published.seq) });
    } catch (err) {
      // Delivered already; only the history misses it. Not the sender's problem.
      this.logger.error({ err, room }, 'chat message not stored');
    }
  }

  /** The last messages of `room` up to `cut`, as stored frames. */
  history(room: string, cut: number): Promise<string[]> {
    return roomHistory(this.bus, this.store, room, this.historySize, cut);
  }

  /**
   * `join`: enters the room and answers `joined` with its history up to the cut; live messages
   * after the cut follow it, none twice.
   */
  async join(client: ChatClient, room: string): Promise<void> {
    let history: string[] = [];
    await replayThenLive(client, {
      attach: () => this.enter(client, room),
      cut: async () => {
        const cut = await this.bus.lastSeq();
        history = await this.history(room, cut);
        return cut;
      },
      missed: async () => [],
      lead: (cut) => client.send(joinedFrame(room, cut, history)),
      channels: new Set([roomChannel(room)]),
    });
  }
}

function defaultRoom(client: ChatClient): string {
  if (client.rooms.includes(DEFAULT_ROOM) || client.rooms.length === 0) return DEFAULT_ROOM;
  if (client.rooms.length === 1) return client.rooms[0]!;
  throw socketError('MISSING_FIELD', 'You are in several rooms: say which one with "room".');
}
