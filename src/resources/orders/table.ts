import type { Generated, Selectable } from 'kysely';
import type { MigrationSet } from '../../store/migrations.js';
import { createTableWithId } from '../../store/migrations.js';
import type { OrderItem } from './schema.js';

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

declare module '../../store/database.js' {
  interface Database {
    orders: OrdersTable;
    order_items: OrderItemsTable;
  }
}

export type OrderRow = Selectable<OrdersTable>;
export interface OrderRecord extends OrderRow {
  items: OrderItem[];
}

/**
 * Orders and their items. Databases made before orders had their own migration got these tables
 * from customers' first one, hence `if not exists`.
 */
export const orderMigrations: MigrationSet = (dialect) => ({
  '0004_orders': {
    async up(db) {
      await createTableWithId(db, dialect, 'orders', { ifNotExists: true })
        .addColumn('customer_id', 'integer', (c) => c.notNull().references('customers.id').onDelete('cascade'))
        .addColumn('status', 'text', (c) => c.notNull())
        .addColumn('total', 'bigint', (c) => c.notNull())
        .addColumn('version', 'integer', (c) => c.notNull().defaultTo(1))
        .addColumn('created_at', 'text', (c) => c.notNull())
        .addColumn('updated_at', 'text', (c) => c.notNull())
        .execute();
      await db.schema.createIndex('orders_customer_id').ifNotExists().on('orders').column('customer_id').execute();
      await db.schema
        .createTable('order_items')
        .ifNotExists()
        .addColumn('order_id', 'integer', (c) => c.notNull().references('orders.id').onDelete('cascade'))
        .addColumn('position', 'integer', (c) => c.notNull())
        .addColumn('sku', 'text', (c) => c.notNull())
        .addColumn('quantity', 'integer', (c) => c.notNull())
        .addColumn('unit_price', 'bigint', (c) => c.notNull())
        .addPrimaryKeyConstraint('order_items_pk', ['order_id', 'position'])
        .execute();
    },
  },
});
