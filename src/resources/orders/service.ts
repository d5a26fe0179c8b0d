import { notFound, validationFailed } from '../../errors.js';
import type { Change } from '../../store/change.js';
import type { ListParams } from '../../store/list.js';
import { requireCurrent, type Precondition } from '../../store/precondition.js';
import type { Committed, WritePath, WriteTx } from '../../store/write-path.js';
import type { Connection, Positioned } from '../../store/types.js';
import type { Versioned } from '../resource.js';
import { TRANSITIONS, type Order, type OrderItem, type OrderSortField, type OrderStatus } from './schema.js';
import type { OrderRecord } from './table.js';
import { orderVersion, presentOrder } from './presenter.js';
import type { OrderFilters, OrderRepository } from './repository.js';

export const ORDERS = 'orders';

export interface OrderChanges {
  items?: OrderItem[] | undefined;
  status?: OrderStatus | undefined;
}

/**
 * The order's total in cents. Each line is exact (the schema bounds quantity and unit price), but
 * 500 of them can pass 2^53 − 1, past which a JavaScript number, and the JSON a client parses,
 * no longer counts every cent: such an order is refused as invalid rather than stored wrong.
 */
export function totalOf(items: readonly OrderItem[]): number {
  const total = items.reduce((sum, i) => sum + i.quantity * i.unitPrice, 0);
  if (!Number.isSafeInteger(total)) {
    throw validationFailed([{ field: 'items', message: `must not add up to more than ${Number.MAX_SAFE_INTEGER} cents` }]);
  }
  return total;
}

const versioned = (record: OrderRecord): Versioned<Order> => ({ value: presentOrder(record), version: orderVersion(record) });
const change = (action: Change['action'], data: Order, previous?: Order): Change => ({ resource: ORDERS, action, data, previous });
const missing = (customerId: number, orderId: number): string => `No order ${orderId} for customer ${customerId}.`;

/**
 * Orders' rules for every transport: an order belongs to a customer (one under another
 * customer's path is a 404), starts pending, moves along pending → paid → shipped or to
 * cancelled before shipping, and its items change only while pending. Each write locks the
 * order, checks it and its If-Match once (requireCurrent), writes, presents and says what changed.
 */
export class OrderService {
  constructor(
    private readonly storage: Pick<Connection, 'readAt'>,
    private readonly repository: OrderRepository,
    private readonly writes: WritePath,
  ) {}

  /** The order as of the change-log position returned with it (undefined: no such order under this customer). */
  async get(customerId: number, orderId: number): Promise<Positioned<Versioned<Order> | undefined>> {
    const { value: record, position } = await this.storage.readAt((run) => this.repository.get(customerId, orderId, run));
    return { value: record === undefined ? undefined : versioned(record), position };
  }

  /**
   * A page of orders as of the position returned with it; with `customerOf`, the orders of that
   * customer, or undefined when the customer does not exist (its nested list is a 404).
   */
  async list(params: ListParams<OrderSortField, OrderFilters>, customerOf?: number): Promise<Positioned<{ items: Order[]; total: number } | undefined>> {
    return this.storage.readAt(async (run) => {
      if (customerOf !== undefined && !(await this.repository.customerExists(customerOf, run))) return undefined;
      const { rows, total } = await this.repository.list(params, run);
      return { items: rows.map(presentOrder), total };
    });
  }

  create(customerId: number, items: OrderItem[]): Promise<Committed<Versioned<Order>>> {
    return this.writes.write(async (tx) => {
      if (!(await this.repository.holdCustomer(tx, customerId))) throw notFound(`No customer with id ${customerId}.`);
      const record = await this.repository.insert(tx, customerId, items, totalOf(items), now());
      const result = versioned(record);
      return { value: result, changes: [change('created', result.value)] };
    });
  }

  /**
   * PUT and PATCH alike: `changes.items` replaces the items (only while pending), `changes.status`
   * moves the status (when the transition is allowed); what is not given stays.
   */
  update(customerId: number, orderId: number, changes: OrderChanges, precondition?: Precondition): Promise<Committed<Versioned<Order>>> {
    return this.writes.write(async (tx) => {
      const current = requireCurrent(await this.repository.lock(tx, customerId, orderId), orderVersion, precondition, 'order', missing(customerId, orderId));
      const from = current.status as OrderStatus;
      const to = changes.status ?? from;
      if (to !== from && !TRANSITIONS[from].includes(to)) {
        const allowed = TRANSITIONS[from];
        throw validationFailed([{ field: 'status', message: `cannot change from ${from} to ${to}${allowed.length ? `; allowed: ${allowed.join(', ')}` : `; ${from} is final`}` }]);
      }
      if (changes.items !== undefined && from !== 'pending') {
        throw validationFailed([{ field: 'items', message: `can only change while the order is pending (it is ${from})` }]);
      }
      const items = changes.items ?? current.items;
      const record = await this.repository.update(tx, current, { status: to, total: totalOf(items), items: changes.items }, now());
      const result = versioned(record);
      return { value: result, changes: [change('updated', result.value, presentOrder(current))] };
    });
  }

  delete(customerId: number, orderId: number, precondition?: Precondition): Promise<Committed<undefined>> {
    return this.writes.write(async (tx) => {
      const current = requireCurrent(await this.repository.lock(tx, customerId, orderId), orderVersion, precondition, 'order', missing(customerId, orderId));
      await this.repository.delete(tx, [current.id]);
      return { value: undefined, changes: [change('deleted', presentOrder(current))] };
    });
  }

  /** A customer is being deleted (in `tx`): its orders go with it, each a `deleted` change. */
  async removeOfCustomer(tx: WriteTx, customerId: number): Promise<Change[]> {
    const orders = await this.repository.lockOfCustomer(tx, customerId);
    await this.repository.delete(tx, orders.map((o) => o.id));
    return orders.map((o) => change('deleted', presentOrder(o)));
  }
}

const now = (): string => new Date().toISOString();
