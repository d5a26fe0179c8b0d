/**
 * The change log as the fault tests' reference: what a subscriber received, and what the
 * database committed, reduced to the same comparable lines (position, channel, action, key), and
 * a comparison that says where two such lists first part and what is missing, doubled or out
 * of order.
 */
import { createHash } from 'node:crypto';

/** A change_log row as both databases return it (PostgreSQL's bigint comes back as a string). */
export interface LogRow {
  position: number | string;
  channel: string;
  recipient: string | null;
  action: string | null;
  data: string;
}

/** One logged thing as a subscriber saw it, or as the log holds it. */
export interface Seen {
  seq: number;
  channel: string;
  action: string;
  /** The resource's id for a change; the name (and text) for a chat frame. */
  key: string;
}

export const CHANGE_CHANNELS = ['customers', 'orders'] as const;
export const LOBBY = 'chat:room:lobby';
export const SIGN_INS = 'chat:all';

/** Frame types that are change-log entries (they carry their position as `seq`). */
export const LOGGED_TYPES = new Set(['event', 'message', 'username']);

const chatKey = (frame: Record<string, unknown>): string =>
  frame.type === 'message' ? `${String(frame.name)}|${String(frame.text)}` : String(frame.name);

/** A logged frame as received: `event`, `message` or `username`, with its seq. */
export function seenOfFrame(frame: Record<string, unknown>): Seen {
  const seq = Number(frame.seq);
  if (frame.type === 'event') {
    const data = frame.data as { id: unknown };
    // Collection topics (customers, orders) are named after their resource, the log's channel.
    return { seq, channel: String(frame.topic), action: String(frame.action), key: String(data.id) };
  }
  if (frame.type === 'message') {
    if (frame.target !== undefined) return { seq, channel: 'chat:direct', action: 'message', key: chatKey(frame) };
    return { seq, channel: `chat:room:${String(frame.room)}`, action: 'message', key: chatKey(frame) };
  }
  return { seq, channel: SIGN_INS, action: String(frame.type), key: chatKey(frame) };
}

/** A log row as a subscriber would see it. */
export function seenOfRow(row: LogRow): Seen {
  const data = JSON.parse(row.data) as Record<string, unknown>;
  const seq = Number(row.position);
  if (row.channel.startsWith('chat:')) return { seq, channel: row.channel, action: String(data.type), key: chatKey(data) };
  return { seq, channel: row.channel, action: String(row.action), key: String(data.id) };
}

export const line = (s: Seen): string => `${s.seq} ${s.channel} ${s.action} ${s.key}`;

/** Who a direct message in the log is for: the SHA-256 of the recipient's session (src/chat/log.ts). */
export const recipientOf = (session: string): string => createHash('sha256').update(session).digest('base64url');

export interface Filter {
  channels: readonly string[];
  /** A session whose direct messages count too. */
  session?: string | undefined;
  /** Only entries after this position. */
  after?: number;
}

/** What a subscriber with `filter` must have received of `rows`, in position order. */
export function expectedOf(rows: readonly LogRow[], filter: Filter): Seen[] {
  const digest = filter.session === undefined ? undefined : recipientOf(filter.session);
  return rows
    .filter((r) => Number(r.position) > (filter.after ?? 0))
    .filter((r) => filter.channels.includes(r.channel) || (digest !== undefined && r.channel === 'chat:direct' && r.recipient === digest))
    .map(seenOfRow)
    .sort((a, b) => a.seq - b.seq);
}

/**
 * Undefined when `got` is exactly `expected`; otherwise a readable account: counts, the first
 * place they differ, and which positions are missing, doubled or out of order.
 */
export function difference(label: string, expected: readonly Seen[], got: readonly Seen[]): string | undefined {
  const want = expected.map(line);
  const have = got.map(line);
  if (want.length === have.length && want.every((l, i) => l === have[i])) return undefined;
  const wanted = new Set(expected.map((s) => s.seq));
  const counts = new Map<number, number>();
  for (const s of got) counts.set(s.seq, (counts.get(s.seq) ?? 0) + 1);
  const missing = expected.filter((s) => !counts.has(s.seq)).map((s) => s.seq);
  const doubled = [...counts].filter(([, n]) => n > 1).map(([seq]) => seq);
  const unexpected = got.filter((s) => !wanted.has(s.seq)).map((s) => s.seq);
  const backwards = got.flatMap((s, i) => (i > 0 && s.seq <= got[i - 1]!.seq ? [`${got[i - 1]!.seq}→${s.seq}`] : []));
  let first = 0;
  while (first < want.length && want[first] === have[first]) first++;
  const around = (list: string[]) => list.slice(Math.max(0, first - 2), first + 3).join(' / ') || '(end)';
  const few = (list: readonly unknown[]) => (list.length > 12 ? `${list.slice(0, 12).join(', ')}, … (${list.length})` : list.join(', ') || 'none');
  return [
    `${label}: received ${got.length}, the log has ${expected.length}; first difference at index ${first}`,
    `  expected: ${around(want)}`,
    `  received: ${around(have)}`,
    `  missing: ${few(missing)}; doubled: ${few(doubled)}; not in the log: ${few(unexpected)}; out of order: ${few(backwards)}`,
    // A reordering, or an entry whose content differs, shows in none of the sets above.
  ].join('\n');
}
