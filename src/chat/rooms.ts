import { withSeq } from '../live/frame.js';
import { replayThenLive } from '../live/gate.js';
import type { LogTail } from '../live/log-tail.js';
import type { WritePath } from '../store/write-path.js';
import type { ChatClient } from './client.js';
import type { LocalChannels } from './channels.js';
import { roomChannel } from './channels.js';
import type { ChatStore } from './store.js';
import type { ChatLogger } from './metrics.js';
import type { Names } from './names.js';
import { chatEntry } from './log.js';
import { socketError } from './errors.js';
import { DEFAULT_ROOM, escapeHtml, type ClientMessage } from './protocol.js';
import { joinedFrame, leftFrame, messageFrame } from './frames.js';

/**
 * Rooms: membership, messages and history on join. A message is written to the change log (and
 * to its room's history) before it is fanned out: it reaches the room from the live tail, after
 * its commit, so what anyone received is in the log and a crash can delay it but never lose it.
 */
export class Rooms {
  constructor(
    private readonly channels: LocalChannels,
    private readonly tail: LogTail,
    private readonly writes: WritePath,
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

  /**
   * `join`: enters the room and answers `joined` with its history up to the cut; live messages
   * after the cut follow it, none twice.
   */
  async join(client: ChatClient, room: string): Promise<void> {
    let history: string[] = [];
    await replayThenLive(client, {
      attach: () => this.enter(client, room),
      cut: async () => {
        const cut = this.tail.position;
        // History is stored in the same commit as the log entry: a message committed but not yet
        // delivered here (seq > cut) comes live, so it is left out of the history.
        history = this.historySize <= 0 ? [] : (await this.store.recent(room, this.historySize, cut)).map((m) => m.payload);
        return cut;
      },
      missed: async () => [],
      lead: (cut) => client.send(joinedFrame(room, cut, history)),
      channels: new Set([roomChannel(room)]),
    });
  }

  /** `leave`. */
  leave(client: ChatClient, room: string): void {
    this.exit(client, room);
    client.send(leftFrame(room));
  }

  /**
   * `message`: to every member of the room, from the name the server knows for this socket. The
   * write is queued, not awaited: the next frame of the same socket is handled at once and its
   * write queued behind this one (the log keeps their order), so messages that arrive together
   * commit together and reach each receiver in one write. A write that fails is told to the
   * sender with `onFailure`.
   */
  async message(client: ChatClient, m: Extract<ClientMessage, { type: 'message' }>, onFailure: (err: unknown) => void): Promise<void> {
    const room = m.room ?? defaultRoom(client);
    if (!client.rooms.includes(room)) throw socketError('NOT_IN_ROOM', `Join "${room}" before sending to it.`);
    const name = client.name ?? (await this.names.ensure(client));
    const frame = messageFrame({ name, text: escapeHtml(m.text), id: client.id, date: m.date, room });
    this.writes
      .record({
        entries: [chatEntry(roomChannel(room), frame)],
        // Kept in the room's history in the same commit, under the position the log gave it.
        after: ([entry]) => [this.store.insertOf({ room, seq: entry!.position, payload: withSeq(frame, entry!.position) })],
        // Delivered at the commit, acknowledged to nobody: no fsync of its own (README, "Choices").
      }, { durable: false })
      .then(() => {
        if (this.store.counted(room)) this.store.prune(room).catch((err: unknown) => this.logger.error({ err, room }, 'chat history not pruned'));
      }, onFailure);
  }
}

function defaultRoom(client: ChatClient): string {
  if (client.rooms.includes(DEFAULT_ROOM) || client.rooms.length === 0) return DEFAULT_ROOM;
  if (client.rooms.length === 1) return client.rooms[0]!;
  throw socketError('MISSING_FIELD', 'You are in several rooms: say which one with "room".');
}
