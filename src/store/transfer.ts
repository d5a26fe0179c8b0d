/**
 * The whole shop as records, one JSON line each: every customer, then every order with its
 * items, ids/versions/timestamps/statuses kept. Export reads through keyset pages; import writes
 * batches in transactions and upserts by id, so it loads an empty or an existing database and
 * running it twice changes nothing. Works the same on SQLite and PostgreSQL; on PostgreSQL the
 * identity sequences are then moved past the imported ids so new rows get fresh ones.
 */
import { sql, type Kysely, type Transaction } from 'kysely';
import type { Database } from './database.js';
import type { Dialect } from './store.js';
import { ORDER_STATUSES, type OrderStatus } from '../resources/orders/schema.js';

export interface CustomerLine {
  type: 'customer';
  id: number;
  name: string;
  email: string;
  version: number;
  createdAt: string;
  updatedAt: string;
}

export interface OrderLine {
  type: 'order';
  id: number;
  customerId: number;
  status: OrderStatus;
  total: number;
  items: { sku: string; quantity: number; unitPrice: number }[];
  version: number;
  createdAt: string;
  updatedAt: string;
}

export type ShopLine = CustomerLine | OrderLine;

export interface TransferTarget {
  readonly dialect: Dialect;
  readonly db: Kysely<Database>;
}

export interface ImportCounts {
  customers: number;
  orders: number;
}

const PAGE = 1000;
/** Rows per INSERT: far under SQLite's and PostgreSQL's limits on bound parameters. */
const BATCH = 500;

export class TransferError extends Error {
  override name = 'TransferError';
}

/** Every record of the shop, customers first (ascending id), then orders with items. */
export async function* exportShop(target: TransferTarget): AsyncGenerator<ShopLine> {
  const { db } = target;
  for (let after = 0; ; ) {
    const rows = await db.selectFrom('customers').selectAll().where('id', '>', after).orderBy('id').limit(PAGE).execute();
    for (const c of rows) {
      yield { type: 'customer', id: c.id, name: c.name, email: c.email, version: c.version, createdAt: c.created_at, updatedAt: c.updated_at };
    }
    if (rows.length < PAGE) break;
    after = rows[rows.length - 1]!.id;
  }
  for (let after = 0; ; ) {
    const rows = await db.selectFrom('orders').selectAll().where('id', '>', after).orderBy('id').limit(PAGE).execute();
    const items = rows.length === 0 ? [] : await db
      .selectFrom('order_items')
      .selectAll()
      .where('order_id', '>=', rows[0]!.id)
      .where('order_id', '<=', rows[rows.length - 1]!.id)
      .orderBy('order_id')
      .orderBy('position')
      .execute();
    const byOrder = new Map<number, OrderLine['items']>();
    for (const i of items) {
      let list = byOrder.get(i.order_id);
      if (!list) byOrder.set(i.order_id, (list = []));
      list.push({ sku: i.sku, quantity: i.quantity, unitPrice: Number(i.unit_price) });
    }
    for (const o of rows) {
      yield {
        type: 'order',
        id: o.id,
        customerId: o.customer_id,
        status: o.status as OrderStatus,
        total: Number(o.total),
        items: byOrder.get(o.id) ?? [],
        version: o.version,
        createdAt: o.created_at,
        updatedAt: o.updated_at,
      };
    }
    if (rows.length < PAGE) break;
    after = rows[rows.length - 1]!.id;
  }
}

/** One line of an export file, as written: keys in a fixed order so files compare byte for byte. */
export function formatLine(line: ShopLine): string {
  return JSON.stringify(line);
}

const isInt = (v: unknown, min = 1): v is number => typeof v === 'number' && Number.isSafeInteger(v) && v >= min;
const isText = (v: unknown): v is string => typeof v === 'string' && v.length > 0;
const isTime = (v: unknown): v is string => typeof v === 'string' && !Number.isNaN(Date.parse(v));

/** Parses and checks one line; the error names the line number and the field. */
export function parseLine(text: string, lineNo: number): ShopLine {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new TransferError(`line ${lineNo}: not JSON`);
  }
  const r = value as Record<string, unknown> | null;
  const bad = (field: string): never => {
    throw new TransferError(`line ${lineNo}: ${field} is missing or invalid`);
  };
  if (r === null || typeof r !== 'object') return bad('record');
  if (!isInt(r.id)) bad('id');
  if (!isInt(r.version)) bad('version');
  if (!isTime(r.createdAt)) bad('createdAt');
  if (!isTime(r.updatedAt)) bad('updatedAt');
  if (r.type === 'customer') {
    if (!isText(r.name)) bad('name');
    if (!isText(r.email) || !r.email.includes('@')) bad('email');
    return { type: 'customer', id: r.id as number, name: r.name as string, email: r.email as string, version: r.version as number, createdAt: r.createdAt as string, updatedAt: r.updatedAt as string };
  }
  if (r.type === 'order') {
    if (!isInt(r.customerId)) bad('customerId');
    if (!ORDER_STATUSES.includes(r.status as OrderStatus)) bad('status');
    if (!isInt(r.total, 0)) bad('total');
    if (!Array.isArray(r.items)) bad('items');
    const items = (r.items as unknown[]).map((item, n) => {
      const i = item as Record<string, unknown> | null;
      if (i === null || typeof i !== 'object' || !isText(i.sku) || !isInt(i.quantity) || !isInt(i.unitPrice, 0)) return bad(`items[${n}]`);
      return { sku: i.sku, quantity: i.quantity, unitPrice: i.unitPrice };
    });
    return {
      type: 'order',
      id: r.id as number,
      customerId: r.customerId as number,
      status: r.status as OrderStatus,
      total: r.total as number,
      items,
      version: r.version as number,
      createdAt: r.createdAt as string,
      updatedAt: r.updatedAt as string,
    };
  }
  return bad('type');
}

async function writeCustomers(trx: Transaction<Database>, lines: CustomerLine[]): Promise<void> {
  if (lines.length === 0) return;
  await trx
    .insertInto('customers')
    .values(lines.map((c) => ({ id: c.id, name: c.name, email: c.email, email_key: c.email.toLowerCase(), version: c.version, created_at: c.createdAt, updated_at: c.updatedAt })))
    .onConflict((oc) =>
      oc.column('id').doUpdateSet((eb) => ({
        name: eb.ref('excluded.name'),
        email: eb.ref('excluded.email'),
        email_key: eb.ref('excluded.email_key'),
        version: eb.ref('excluded.version'),
        created_at: eb.ref('excluded.created_at'),
        updated_at: eb.ref('excluded.updated_at'),
      })),
    )
    .execute();
}

async function writeOrders(trx: Transaction<Database>, lines: OrderLine[]): Promise<void> {
  if (lines.length === 0) return;
  await trx
    .insertInto('orders')
    .values(lines.map((o) => ({ id: o.id, customer_id: o.customerId, status: o.status, total: o.total, version: o.version, created_at: o.createdAt, updated_at: o.updatedAt })))
    .onConflict((oc) =>
      oc.column('id').doUpdateSet((eb) => ({
        customer_id: eb.ref('excluded.customer_id'),
        status: eb.ref('excluded.status'),
        total: eb.ref('excluded.total'),
        version: eb.ref('excluded.version'),
        created_at: eb.ref('excluded.created_at'),
        updated_at: eb.ref('excluded.updated_at'),
      })),
    )
    .execute();
  // Items are replaced, not merged: the file is the truth for the orders it names.
  await trx.deleteFrom('order_items').where('order_id', 'in', lines.map((o) => o.id)).execute();
  const items = lines.flatMap((o) => o.items.map((i, position) => ({ order_id: o.id, position, sku: i.sku, quantity: i.quantity, unit_price: i.unitPrice })));
  for (let i = 0; i < items.length; i += BATCH * 2) await trx.insertInto('order_items').values(items.slice(i, i + BATCH * 2)).execute();
}

/**
 * Writes `lines` in transactions of a few hundred records (customers of a batch before its
 * orders, so an order may follow its customer anywhere later in the stream). Calls
 * `onProgress` after each batch. Advances the identity sequences at the end.
 */
export async function importShop(
  target: TransferTarget,
  lines: AsyncIterable<ShopLine> | Iterable<ShopLine>,
  onProgress: (counts: ImportCounts) => void = () => {},
): Promise<ImportCounts> {
  const counts: ImportCounts = { customers: 0, orders: 0 };
  let customers: CustomerLine[] = [];
  let orders: OrderLine[] = [];
  const flush = async () => {
    if (customers.length + orders.length === 0) return;
    const [c, o] = [customers, orders];
    customers = [];
    orders = [];
    try {
      await target.db.transaction().execute(async (trx) => {
        await writeCustomers(trx, c);
        await writeOrders(trx, o);
      });
    } catch (err) {
      throw explain(err, c, o);
    }
    counts.customers += c.length;
    counts.orders += o.length;
    onProgress({ ...counts });
  };
  for await (const line of lines) {
    if (line.type === 'customer') customers.push(line);
    else orders.push(line);
    if (customers.length + orders.length >= BATCH) await flush();
  }
  await flush();
  await advanceSequences(target);
  return counts;
}

function explain(err: unknown, customers: CustomerLine[], orders: OrderLine[]): Error {
  const code = (err as { code?: unknown } | null)?.code;
  const message = err instanceof Error ? err.message : String(err);
  if (code === 'SQLITE_CONSTRAINT_UNIQUE' || code === '23505') {
    return new TransferError(`an e-mail address in customers ${customers[0]?.id ?? '?'}–${customers.at(-1)?.id ?? '?'} already belongs to another customer (${message})`);
  }
  if (code === 'SQLITE_CONSTRAINT_FOREIGNKEY' || code === '23503') {
    return new TransferError(`an order in ${orders[0]?.id ?? '?'}–${orders.at(-1)?.id ?? '?'} names a customer that is neither in the file before it nor in the database`);
  }
  return err instanceof Error ? err : new Error(message);
}

/**
 * PostgreSQL identity columns do not notice explicit ids: move each sequence past the highest id
 * so the next INSERT gets a fresh one. SQLite's AUTOINCREMENT already tracks the highest rowid.
 */
export async function advanceSequences(target: TransferTarget): Promise<void> {
  if (target.dialect !== 'postgres') return;
  for (const table of ['customers', 'orders', 'chat_messages'] as const) {
    await sql`select setval(pg_get_serial_sequence(${table}, 'id'), coalesce((select max(id) from ${sql.table(table)}), 0) + 1, false)`.execute(target.db);
  }
}

/** The highest ids in use (0 when empty): where seeded records start. */
export async function highestIds(target: TransferTarget): Promise<{ customer: number; order: number }> {
  const [c, o] = await Promise.all([
    target.db.selectFrom('customers').select((eb) => eb.fn.max('id').as('max')).executeTakeFirst(),
    target.db.selectFrom('orders').select((eb) => eb.fn.max('id').as('max')).executeTakeFirst(),
  ]);
  return { customer: Number(c?.max ?? 0), order: Number(o?.max ?? 0) };
}
