import { sql, type Kysely, type Selectable, type Transaction } from 'kysely';
import type { Database, OrdersTable } from '../../store/database.js';
import type { Dialect } from '../../store/store.js';
import { PreparedQuery, PreparedShapes, prepare, prepareList, runList, type ListQueries, type QueryRunner } from '../../store/prepared.js';
import { asUnavailable } from '../../store/errors.js';
import { validationFailed } from '../../errors.js';
import type { ListParams } from '../../http/list-query.js';
import { likePattern } from '../customers/store.js';
import { TRANSITIONS, type OrderItem, type OrderSortField, type OrderStatus } from './schema.js';

export type OrderRow = Selectable<OrdersTable>;
export interface OrderRecord extends OrderRow {
  items: OrderItem[];
}

export interface OrderFilters {
  customerId?: number | undefined;
  status?: OrderStatus | undefined;
}

export interface OrderChanges {
  items?: OrderItem[] | undefined;
  status?: OrderStatus | undefined;
}

type Db = Kysely<Database> | Transaction<Database>;

const COLUMN: Record<OrderSortField, 'id' | 'total' | 'status' | 'created_at' | 'updated_at'> = {
  id: 'id',
  total: 'total',
  status: 'status',
  createdAt: 'created_at',
  updatedAt: 'updated_at',
};

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

type ItemRow = Pick<Database['order_items'], 'order_id' | 'sku' | 'quantity' | 'unit_price'>;

/** The items of the orders whose ids are given, by order then position. */
const itemsQuery = (db: Db, ids: readonly number[]) =>
  db.selectFrom('order_items').select(['order_id', 'sku', 'quantity', 'unit_price']).where('order_id', 'in', ids).orderBy('order_id').orderBy('position');

/** Attaches items to orders with one query for the whole page. */
export async function withItems(db: Db, orders: OrderRow[]): Promise<OrderRecord[]> {
  if (orders.length === 0) return [];
  return attachItems(orders, await itemsQuery(db, orders.map((o) => o.id)).execute());
}

function attachItems(orders: OrderRow[], rows: readonly ItemRow[]): OrderRecord[] {
  const byOrder = new Map<number, OrderItem[]>();
  for (const r of rows) {
    let list = byOrder.get(r.order_id);
    if (!list) byOrder.set(r.order_id, (list = []));
    list.push({ sku: r.sku, quantity: r.quantity, unitPrice: Number(r.unit_price) });
  }
  return orders.map((o) => ({ ...o, total: Number(o.total), items: byOrder.get(o.id) ?? [] }));
}

/** The orders of a customer, with items; used when a customer's deletion takes its orders along. */
export async function ordersOfCustomer(db: Db, customerId: number): Promise<OrderRecord[]> {
  const orders = await db.selectFrom('orders').selectAll().where('customer_id', '=', customerId).orderBy('id').execute();
  return withItems(db, orders);
}

async function insertItems(db: Db, orderId: number, items: readonly OrderItem[]): Promise<void> {
  await db
    .insertInto('order_items')
    .values(items.map((item, position) => ({ order_id: orderId, position, sku: item.sku, quantity: item.quantity, unit_price: item.unitPrice })))
    .execute();
}

/**
 * Orders' SQL: an order and its items are always written in one transaction. The reads (get, a
 * list page and its count, the items of a page) are compiled once per store and run with new
 * parameters (src/store/prepared.ts); writes build theirs per call.
 */
export class OrderStore {
  readonly #byId: PreparedQuery<[orderId: number, customerId: number], OrderRow>;
  readonly #lists = new PreparedShapes<ListQueries<OrderRow>>();
  /** Items of n orders, by n (a page holds at most per_page orders). */
  readonly #items = new PreparedShapes<PreparedQuery<number[], ItemRow>>();

  constructor(private readonly db: Kysely<Database>, readonly dialect: Dialect, private readonly run: QueryRunner) {
    this.#byId = prepare((orderId: number, customerId: number) => db.selectFrom('orders').selectAll().where('id', '=', orderId).where('customer_id', '=', customerId));
  }

  async get(customerId: number, orderId: number): Promise<OrderRecord | undefined> {
    return guard(async () => {
      const order = (await this.run(this.#byId.bind(orderId, customerId))).rows[0];
      return order ? (await this.#withItems([order]))[0] : undefined;
    });
  }

  async list(params: ListParams<OrderSortField, OrderFilters>): Promise<{ rows: OrderRecord[]; total: number }> {
    const { customerId, status } = params.filters;
    const q = params.q;
    const values: unknown[] = [];
    if (customerId !== undefined) values.push(customerId);
    if (status !== undefined) values.push(status);
    if (q !== undefined) values.push(likePattern(q));
    let shape = `${customerId !== undefined ? 'c' : ''}${status !== undefined ? 's' : ''}${q !== undefined ? 'q' : ''}`;
    for (const key of params.sort) shape += `,${key.field}${key.descending ? '-' : '+'}`;
    const queries = this.#lists.get(shape, () => this.#listQueries(customerId !== undefined, status !== undefined, q !== undefined, params.sort, values.length));
    return guard(async () => {
      const { rows, total } = await runList(this.run, queries, values, params.page, params.perPage);
      return { rows: await this.#withItems(rows), total };
    });
  }

  /** The queries of one list shape; their arguments are the filter values in order, then limit and offset for the page. */
  #listQueries(byCustomer: boolean, byStatus: boolean, bySearch: boolean, sort: ListParams<OrderSortField, OrderFilters>['sort'], filters: number): ListQueries<OrderRow> {
    const filtered = (values: unknown[]) => {
      let query = this.db.selectFrom('orders');
      let i = 0;
      if (byCustomer) query = query.where('customer_id', '=', values[i++] as number);
      if (byStatus) query = query.where('status', '=', values[i++] as string);
      if (bySearch) {
        const pattern = values[i++];
        query = query.where(sql<boolean>`exists (select 1 from order_items i where i.order_id = orders.id and lower(i.sku) like ${pattern} escape '\\')`);
      }
      return query;
    };
    return prepareList(filtered, sort.map((key) => ({ column: COLUMN[key.field], descending: key.descending })), filters);
  }

  /** withItems outside a transaction, with the items query compiled once per page size. */
  async #withItems(orders: OrderRow[]): Promise<OrderRecord[]> {
    if (orders.length === 0) return [];
    const items = this.#items.get(String(orders.length), () => new PreparedQuery((...ids: number[]) => itemsQuery(this.db, ids), orders.length));
    return attachItems(orders, (await this.run(items.bind(...orders.map((o) => o.id)))).rows);
  }

  /** Undefined when the customer does not exist. */
  async create(customerId: number, items: OrderItem[], now = new Date().toISOString()): Promise<OrderRecord | undefined> {
    return guard(() =>
      this.db.transaction().execute(async (trx) => {
        // KEY SHARE on PostgreSQL: a concurrent deletion of the customer waits for this order (or wins, and this is a 404).
        const customer = await trx
          .selectFrom('customers')
          .select('id')
          .where('id', '=', customerId)
          .$if(this.dialect === 'postgres', (qb) => qb.forKeyShare())
          .executeTakeFirst();
        if (!customer) return undefined;
        const order = await trx
          .insertInto('orders')
          .values({ customer_id: customerId, status: 'pending', total: totalOf(items), version: 1, created_at: now, updated_at: now })
          .returningAll()
          .executeTakeFirstOrThrow();
        await insertItems(trx, order.id, items);
        return { ...order, total: Number(order.total), items };
      }),
    );
  }

  /**
   * Applies `changes` if the order is still at `expectedVersion` and the status transition is
   * allowed (422 otherwise). Items change only while the order is pending.
   */
  async update(customerId: number, orderId: number, changes: OrderChanges, expectedVersion?: number): Promise<OrderRecord | 'stale' | undefined> {
    return guard(() =>
      this.db.transaction().execute(async (trx) => {
        const current = await this.#lockOrder(trx, customerId, orderId);
        if (!current) return undefined;
        if (expectedVersion !== undefined && current.version !== expectedVersion) return 'stale' as const;
        const from = current.status as OrderStatus;
        const to = changes.status ?? from;
        if (to !== from && !TRANSITIONS[from].includes(to)) {
          const allowed = TRANSITIONS[from];
          throw validationFailed([{ field: 'status', message: `cannot change from ${from} to ${to}${allowed.length ? `; allowed: ${allowed.join(', ')}` : `; ${from} is final`}` }]);
        }
        if (changes.items !== undefined && from !== 'pending') {
          throw validationFailed([{ field: 'items', message: `can only change while the order is pending (it is ${from})` }]);
        }
        const [existing] = await withItems(trx, [current]);
        const items = changes.items ?? existing!.items;
        if (changes.items !== undefined) {
          await trx.deleteFrom('order_items').where('order_id', '=', orderId).execute();
          await insertItems(trx, orderId, items);
        }
        const order = await trx
          .updateTable('orders')
          .set({ status: to, total: totalOf(items), version: current.version + 1, updated_at: new Date().toISOString() })
          .where('id', '=', orderId)
          .returningAll()
          .executeTakeFirstOrThrow();
        return { ...order, total: Number(order.total), items };
      }),
    );
  }

  async delete(customerId: number, orderId: number, expectedVersion?: number): Promise<OrderRecord | 'stale' | undefined> {
    return guard(() =>
      this.db.transaction().execute(async (trx) => {
        const current = await this.#lockOrder(trx, customerId, orderId);
        if (!current) return undefined;
        if (expectedVersion !== undefined && current.version !== expectedVersion) return 'stale' as const;
        const [record] = await withItems(trx, [current]);
        await trx.deleteFrom('order_items').where('order_id', '=', orderId).execute();
        await trx.deleteFrom('orders').where('id', '=', orderId).execute();
        return record;
      }),
    );
  }

  /**
   * Reads the order to check its version and transition, locking the row on PostgreSQL so that
   * a concurrent writer with the same If-Match waits and then sees the new version (stale)
   * instead of overwriting it. SQLite runs one write transaction at a time already.
   */
  #lockOrder(trx: Transaction<Database>, customerId: number, orderId: number): Promise<OrderRow | undefined> {
    return trx
      .selectFrom('orders')
      .selectAll()
      .where('id', '=', orderId)
      .where('customer_id', '=', customerId)
      .$if(this.dialect === 'postgres', (qb) => qb.forUpdate())
      .executeTakeFirst();
  }
}

async function guard<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (err) {
    throw asUnavailable(err);
  }
}
