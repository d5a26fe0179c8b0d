import type { Generated } from 'kysely';

/**
 * The tables as Kysely sees them. Timestamps are ISO-8601 strings in UTC (`…Z`) on every
 * backend so that rows compare, sort and present the same way on SQLite and PostgreSQL.
 */
export interface Database {
  customers: CustomersTable;
  orders: OrdersTable;
  order_items: OrderItemsTable;
  chat_messages: ChatMessagesTable;
  bus_state: BusStateTable;
}

/** Counters that must survive a restart, such as the in-process bus's seq (src/store/seq-blocks.ts). */
export interface BusStateTable {
  name: string;
  value: number;
}

export interface CustomersTable {
  id: Generated<number>;
  name: string;
  email: string;
  /** lower(email): the unique key, so "A@x.org" and "a@x.org" collide (SPEC: unique ignoring case). */
  email_key: string;
  /** Incremented on every write; the ETag is built from it, so two writes in one millisecond still differ. */
  version: number;
  created_at: string;
  updated_at: string;
}

export interface OrdersTable {
  id: Generated<number>;
  customer_id: number;
  status: string;
  total: number;
  version: number;
  created_at: string;
  updated_at: string;
}

export interface OrderItemsTable {
  order_id: number;
  position: number;
  sku: string;
  quantity: number;
  unit_price: number;
}

export interface ChatMessagesTable {
  id: Generated<number>;
  room: string;
  seq: number;
  /** The delivered frame, serialized once, replayed as-is to clients that join later. */
  payload: string;
  created_at: string;
}
