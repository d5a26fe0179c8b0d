import type { Customer } from './schema.js';
import type { CustomerRow } from './table.js';

/**
 * The one public shape of a customer: what GET returns is what a
 * WebSocket or SSE subscriber receives.
 */
export function presentCustomer(row: CustomerRow): Customer {
  return { id: row.id, name: row.name, email: row.email, createdAt: row.created_at, updatedAt: row.updated_at };
}

/** The state a validator names: two writes in the same millisecond still differ by version. */
export const customerVersion = (row: Pick<CustomerRow, 'id' | 'version'>): string => `c${row.id}-${row.version}`;
