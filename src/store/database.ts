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
