import { sql, type Kysely, type RawBuilder, type Transaction } from 'kysely';
import type { Database } from '../../store/database.js';
import type { Connection, Dialect } from '../../store/types.js';
import type { WriteTx } from '../../store/write-path.js';
import { PreparedQuery, PreparedShapes, prepare, prepareList, runList, type ListQueries, type QueryRunner } from '../../store/prepared.js';
import { asUnavailable } from '../../store/errors.js';
import { likePattern, searchKey, searchKeyOf, type ListParams } from '../../store/list.js';
import type { Presented } from '../../store/change.js';
import type { OrderItem, OrderSortField, OrderStatus } from './schema.js';
import type { OrderRecord, OrderRow } from './table.js';

export interface OrderFilters {
  customerId?: number | undefined;
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

/** The most order ids one items query takes: a page's worth (per_page is at most 100). */
const ITEMS_CHUNK = 100;

type ItemRow = Pick<Database['order_items'], 'order_id' | 'sku' | 'quantity' | 'unit_price'>;

/** The items of the orders whose ids are given, by order then position. */
const itemsQuery = (db: Db, ids: readonly number[]) =>
  db.selectFrom('order_items').select(['order_id', 'sku', 'quantity', 'unit_price']).where('order_id', 'in', ids).orderBy('order_id').orderBy('position');

function attachItems(orders: readonly OrderRow[], rows: readonly ItemRow[]): OrderRecord[] {
  const byOrder = new Map<number, OrderItem[]>();
  for (const r of rows) {
    let list = byOrder.get(r.order_id);
    if (!list) byOrder.set(r.order_id, (list = []));
    list.push({ sku: r.sku, quantity: r.quantity, unitPrice: Number(r.unit_price) });
  }
  return orders.map((o) => ({ ...o, total: Number(o.total), items: byOrder.get(o.id) ?? [] }));
}

/**
 * Orders' SQL: an order and its items are always written in one transaction (the write
 * operation's, passed as `tx`; this class never opens one). The reads (get, a list page and its
 * count, the items of a page) are compiled once and run with new parameters (src/store/prepared.ts).
 */
export class OrderRepository {
  readonly #byId: PreparedQuery<[orderId: number, customerId: number], OrderRow>;
  readonly #customer: PreparedQuery<[customerId: number], { id: number }>;
  readonly #lists = new PreparedShapes<ListQueries<OrderRow>>();
  /** Items of n orders, by n (a page holds at most per_page orders). */
  readonly #items = new PreparedShapes<PreparedQuery<number[], ItemRow>>();
  readonly #db: Kysely<Database>;
  readonly #run: QueryRunner;
  readonly #dialect: Dialect;

  /**
   * An item's SKU as a search compares it: lower case. SKUs are ASCII (the schema says so), where
   * SQLite's lower() and JavaScript agree; PostgreSQL's lower() follows the database's locale (a
   * Turkish one lowers "I" to "ı"), so there the ASCII letters are mapped explicitly.
   */
  readonly #skuKey: RawBuilder<string>;

  constructor(connection: Pick<Connection, 'db' | 'run' | 'dialect'>) {
    const db = (this.#db = connection.db);
    this.#run = connection.run;
    this.#dialect = connection.dialect;
    this.#skuKey = this.#dialect === 'postgres' ? sql<string>`translate(i.sku, 'ABCDEFGHIJKLMNOPQRSTUVWXYZ', 'abcdefghijklmnopqrstuvwxyz')` : sql<string>`lower(i.sku)`;
    this.#byId = prepare((orderId: number, customerId: number) => db.selectFrom('orders').selectAll().where('id', '=', orderId).where('customer_id', '=', customerId));
    this.#customer = prepare((customerId: number) => db.selectFrom('customers').select('id').where('id', '=', customerId));
  }

  /** Orders belong to customers: a nested path names one, which must exist. */
  async customerExists(customerId: number, run: QueryRunner = this.#run): Promise<boolean> {
    return guard(async () => (await run(this.#customer.bind(customerId))).rows.length > 0);
  }

  async get(customerId: number, orderId: number, run: QueryRunner = this.#run): Promise<OrderRecord | undefined> {
    return guard(async () => {
      const order = (await run(this.#byId.bind(orderId, customerId))).rows[0];
      return order ? (await this.#withItems(run, [order]))[0] : undefined;
    });
  }

  async list(params: ListParams<OrderSortField, OrderFilters>, run: QueryRunner = this.#run): Promise<{ rows: OrderRecord[]; total: number }> {
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
      const { rows, total } = await runList(run, queries, values, params.page, params.perPage);
      return { rows: await this.#withItems(run, rows), total };
    });
  }

  /** The queries of one list shape; their arguments are the filter values in order, then limit and offset for the page. */
  #listQueries(byCustomer: boolean, byStatus: boolean, bySearch: boolean, sort: ListParams<OrderSortField, OrderFilters>['sort'], filters: number): ListQueries<OrderRow> {
    const filtered = (values: unknown[]) => {
      let query = this.#db.selectFrom('orders');
      let i = 0;
      if (byCustomer) query = query.where('customer_id', '=', values[i++] as number);
      if (byStatus) query = query.where('status', '=', values[i++] as string);
      if (bySearch) {
        const pattern = values[i++];
        query = query.where(sql<boolean>`exists (select 1 from order_items i where i.order_id = orders.id and ${this.#skuKey} like ${pattern} escape '\\')`);
      }
      return query;
    };
    return prepareList(filtered, sort.map((key) => ({ column: COLUMN[key.field], descending: key.descending })), filters);
  }

  /**
   * Items for a page of orders, the items query compiled once per page size; a longer list (a
   * live query's snapshot) is read in pages' worth, so no query has more than ITEMS_CHUNK ids.
   */
  async #withItems(run: QueryRunner, orders: OrderRow[]): Promise<OrderRecord[]> {
    if (orders.length === 0) return [];
    const rows: ItemRow[] = [];
    for (let at = 0; at < orders.length; at += ITEMS_CHUNK) {
      const chunk = orders.slice(at, at + ITEMS_CHUNK);
      const items = this.#items.get(String(chunk.length), () => new PreparedQuery((...ids: number[]) => itemsQuery(this.#db, ids), chunk.length));
      rows.push(...(await run(items.bind(...chunk.map((o) => o.id)))).rows);
    }
    return attachItems(orders, rows);
  }

  // --- inside a write operation's transaction ----------------------------------------------

  /**
   * Whether the customer exists, holding it (KEY SHARE on PostgreSQL) until `tx` ends: a
   * concurrent deletion of the customer waits for this order, or wins and this is a 404.
   */
  async holdCustomer(tx: WriteTx, customerId: number): Promise<boolean> {
    const row = await tx.db
      .selectFrom('customers')
      .select('id')
      .where('id', '=', customerId)
      .$if(this.#dialect === 'postgres', (qb) => qb.forKeyShare())
      .executeTakeFirst();
    return row !== undefined;
  }

  /**
   * The order with its items, locked on PostgreSQL so that a concurrent writer with the same
   * If-Match waits and then sees the new version (stale) instead of overwriting it. SQLite runs
   * one write transaction at a time already.
   */
  async lock(tx: WriteTx, customerId: number, orderId: number): Promise<OrderRecord | undefined> {
    const row = await tx.db
      .selectFrom('orders')
      .selectAll()
      .where('id', '=', orderId)
      .where('customer_id', '=', customerId)
      .$if(this.#dialect === 'postgres', (qb) => qb.forUpdate())
      .executeTakeFirst();
    return row === undefined ? undefined : (await this.#withItems(tx.run, [row]))[0];
  }

  /** Every order of a customer with its items, locked like `lock`. */
  async lockOfCustomer(tx: WriteTx, customerId: number): Promise<OrderRecord[]> {
    const rows = await tx.db
      .selectFrom('orders')
      .selectAll()
      .where('customer_id', '=', customerId)
      .orderBy('id')
      .$if(this.#dialect === 'postgres', (qb) => qb.forUpdate())
      .execute();
    return this.#withItems(tx.run, rows);
  }

  async insert(tx: WriteTx, customerId: number, items: readonly OrderItem[], total: number, now: string): Promise<OrderRecord> {
    const order = await tx.db
      .insertInto('orders')
      .values({ customer_id: customerId, status: 'pending', total, version: 1, created_at: now, updated_at: now })
      .returningAll()
      .executeTakeFirstOrThrow();
    await insertItems(tx, order.id, items);
    return { ...order, total: Number(order.total), items: [...items] };
  }

  /** Writes status, total and (when given) items over `current`, bumping its version. */
  async update(tx: WriteTx, current: OrderRecord, changes: { status: OrderStatus; total: number; items?: readonly OrderItem[] | undefined }, now: string): Promise<OrderRecord> {
    if (changes.items !== undefined) {
      await tx.db.deleteFrom('order_items').where('order_id', '=', current.id).execute();
      await insertItems(tx, current.id, changes.items);
    }
    const order = await tx.db
      .updateTable('orders')
      .set({ status: changes.status, total: changes.total, version: current.version + 1, updated_at: now })
      .where('id', '=', current.id)
      .returningAll()
      .executeTakeFirstOrThrow();
    return { ...order, total: Number(order.total), items: [...(changes.items ?? current.items)] };
  }

  async delete(tx: WriteTx, orderIds: readonly number[]): Promise<void> {
    if (orderIds.length === 0) return;
    await tx.db.deleteFrom('order_items').where('order_id', 'in', orderIds).execute();
    await tx.db.deleteFrom('orders').where('id', 'in', orderIds).execute();
  }
}

/**
 * What list()'s WHERE selects, in JavaScript, for a presented order: a live query decides with it
 * which changes concern it. Keep the two in step — test/live-query-property.test.ts checks them
 * against each other on SQLite and PostgreSQL. SKUs are ASCII, lower-cased alike everywhere.
 */
export function orderMatches(filters: OrderFilters, q: string | undefined): (order: Presented) => boolean {
  const { customerId, status } = filters;
  const search = q === undefined ? undefined : searchKey(q);
  return (order) => {
    if (customerId !== undefined && order.customerId !== customerId) return false;
    if (status !== undefined && order.status !== status) return false;
    if (search === undefined) return true;
    // The order's SKUs, folded and joined by a line break, which no SKU holds: a search without
    // one finds the joined text exactly when it finds one of the SKUs.
    return !search.includes('\n') && searchKeyOf(order, 'skus', (order.items as readonly OrderItem[]).map((item) => item.sku).join('\n')).includes(search);
  };
}

async function insertItems(tx: WriteTx, orderId: number, items: readonly OrderItem[]): Promise<void> {
  await tx.db
    .insertInto('order_items')
    .values(items.map((item, position) => ({ order_id: orderId, position, sku: item.sku, quantity: item.quantity, unit_price: item.unitPrice })))
    .execute();
}

async function guard<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (err) {
    throw asUnavailable(err);
  }
}
