/**
 * The tables as Kysely sees them. Timestamps are ISO-8601 strings in UTC (`…Z`) on every
 * backend so that rows compare, sort and present the same way on SQLite and PostgreSQL.
 *
 * The store declares its own tables here; each resource adds its tables to this interface from
 * its own folder (`declare module` in src/resources/<name>/table.ts), so the store never imports
 * a resource and a query against any table is still typed.
 */
export interface Database {
  chat_messages: ChatMessagesTable;
  bus_state: BusStateTable;
  change_log: ChangeLogTable;
}

/**
 * The change log: every change and every logged chat frame, in one sequence of positions. What
 * resume, SSE Last-Event-ID and the live tail read (src/store/change-log.ts).
 */
export interface ChangeLogTable {
  position: number;
  /** A resource's name (`customers`) for changes; `chat:room:<room>`, `chat:all`, `chat:direct` for chat frames. */
  channel: string;
  /** For direct messages: the SHA-256 (base64url) of the recipient's session, so only that session replays it. */
  recipient: string | null;
  /** For changes: created, updated, deleted. */
  action: string | null;
  /** For changes, the presented resource's JSON; for chat, the frame without its seq. */
  data: string;
  /** For updated changes: the resource's JSON before. */
  previous: string | null;
  /** Milliseconds since the epoch: what retention by age compares. */
  created_at: number;
}

/** Counters that must survive a restart, such as blocks of connection ids (src/store/seq-blocks.ts). */
export interface BusStateTable {
  name: string;
  value: number;
}

export interface ChatMessagesTable {
  id: import('kysely').Generated<number>;
  room: string;
  seq: number;
  /** The delivered frame, serialized once, replayed as-is to clients that join later. */
  payload: string;
  created_at: string;
}
