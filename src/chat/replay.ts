import type { Bus } from '../bus/bus.js';
import { withSeq } from '../bus/frame.js';
import type { ChatStore } from './store.js';
import { DIRECT_CHANNEL, roomChannel } from './channels.js';
import type { Missed } from '../live/gate.js';

/** Most frames read back from one channel's bus log on resume (the memory bus keeps 1000). */
export const REPLAY_LIMIT = 1000;

/**
 * The last `limit` frames of a room: the store (survives restarts) completed by the bus log
 * (a message is published before it is stored, so the newest may be in the log only).
 * Payloads are compared as strings: a seq alone is not unique across restarts of a memory bus.
 */
export async function roomHistory(bus: Bus, store: ChatStore, room: string, limit: number, cut: number): Promise<string[]> {
  if (limit <= 0) return [];
  const stored = (await store.recent(room, limit)).map((m) => m.payload);
  const logged = (await bus.since(roomChannel(room), 0, REPLAY_LIMIT)).filter((m) => m.seq <= cut).map((m) => withSeq(m.data, m.seq));
  // What the log has past the newest stored message; all of it when the log does not hold that
  // message (the log is of a bus newer than the store's messages).
  const newest = stored.length > 0 ? logged.lastIndexOf(stored[stored.length - 1]!) : -1;
  const seen = new Set(stored);
  const unstored = newest >= 0 ? logged.slice(newest + 1) : logged.filter((frame) => !seen.has(frame));
  return [...stored, ...unstored].slice(-limit);
}

/** Frames of `channels` (and targeted ones for `name`) with after < seq ≤ cut, in seq order. */
export async function missedFrames(bus: Bus, channels: readonly string[], name: string | undefined, after: number, cut: number): Promise<Missed[]> {
  const out: Missed[] = [];
  for (const channel of channels) {
    for (const m of await bus.since(channel, after, REPLAY_LIMIT)) {
      if (m.seq <= cut) out.push({ seq: m.seq, frame: withSeq(m.data, m.seq) });
    }
  }
  if (name !== undefined) {
    for (const m of await bus.since(DIRECT_CHANNEL, after, REPLAY_LIMIT)) {
      const direct = splitDirect(m.data);
      if (m.seq <= cut && direct.target === name) out.push({ seq: m.seq, frame: withSeq(direct.frame, m.seq) });
    }
  }
  return out.sort((a, b) => a.seq - b.seq);
}

export const joinDirect = (target: string, frame: string): string => target + '\n' + frame;

export function splitDirect(data: string): { target: string; frame: string } {
  const i = data.indexOf('\n');
  return { target: data.slice(0, i), frame: data.slice(i + 1) };
}
