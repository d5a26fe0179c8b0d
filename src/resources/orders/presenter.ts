import type { Order, OrderStatus } from './schema.js';
import type { OrderRecord } from './table.js';

/** The one public shape of an order: REST bodies and pushed events alike. */
export function presentOrder(record: OrderRecord): Order {
  return {
    id: record.id,
    customerId: record.customer_id,
    items: record.items,
    total: record.total,
    status: record.status as OrderStatus,
    createdAt: record.created_at,
    updatedAt: record.updated_at,
  };
}

export const orderVersion = (record: Pick<OrderRecord, 'id' | 'version'>): string => `o${record.id}-${record.version}`;

export const formatCents = (cents: number): string => (cents / 100).toFixed(2);
