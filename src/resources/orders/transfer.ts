import type { Connection } from '../../store/types.js';
import type { WriteTx } from '../../store/write-path.js';
import type { TransferFormat, TransferLine } from '../resource.js';
import { EXPORT_PAGE, IMPORT_ROWS, TransferError, fieldsOf, isInt, isText, isTime } from '../transfer-fields.js';
import { ORDER_STATUSES, type OrderItem, type OrderStatus } from './schema.js';

export type OrderLine = {
  type: 'order';
  id: number;
  customerId: number;
  status: OrderStatus;
  total: number;
  items: OrderItem[];
  version: number;
  createdAt: string;
  updatedAt: string;
};

/** An order per line with its items, after every customer (an order needs its customer). */
export const orderTransfer: TransferFormat = {
  line: 'order',

  async *export(connection: Connection): AsyncGenerator<TransferLine> {
    const { db } = connection;
    for (let after = 0; ; ) {
      const rows = await db.selectFrom('orders').selectAll().where('id', '>', after).orderBy('id').limit(EXPORT_PAGE).execute();
      const items = rows.length === 0 ? [] : await db
        .selectFrom('order_items')
        .selectAll()
        .where('order_id', '>=', rows[0]!.id)
        .where('order_id', '<=', rows[rows.length - 1]!.id)
        .orderBy('order_id')
        .orderBy('position')
        .execute();
      const byOrder = new Map<number, OrderItem[]>();
      for (const i of items) {
        let list = byOrder.get(i.order_id);
        if (!list) byOrder.set(i.order_id, (list = []));
        list.push({ sku: i.sku, quantity: i.quantity, unitPrice: Number(i.unit_price) });
      }
      for (const o of rows) {
        const line: OrderLine = {
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
        yield line;
      }
      if (rows.length < EXPORT_PAGE) break;
      after = rows[rows.length - 1]!.id;
    }
  },

  parse(record, lineNo): TransferLine {
    const field = fieldsOf(record, lineNo);
    const id = field('id', isInt);
    const customerId = field('customerId', isInt);
    const status = field('status', (v): v is OrderStatus => ORDER_STATUSES.includes(v as OrderStatus));
    const total = field('total', (v): v is number => isInt(v, 0));
    const raw = field('items', Array.isArray);
    const items = (raw as unknown[]).map((item, n) => {
      const i = item as Record<string, unknown> | null;
      if (i === null || typeof i !== 'object' || !isText(i.sku) || !isInt(i.quantity) || !isInt(i.unitPrice, 0)) {
        throw new TransferError(`line ${lineNo}: items[${n}] is missing or invalid`);
      }
      return { sku: i.sku, quantity: i.quantity, unitPrice: i.unitPrice };
    });
    const line: OrderLine = { type: 'order', id, customerId, status, total, items, version: field('version', isInt), createdAt: field('createdAt', isTime), updatedAt: field('updatedAt', isTime) };
    return line;
  },

  async write(tx: WriteTx, lines: readonly TransferLine[]): Promise<void> {
    if (lines.length === 0) return;
    const orders = lines as unknown as readonly OrderLine[];
    await tx.db
      .insertInto('orders')
      .values(orders.map((o) => ({ id: o.id, customer_id: o.customerId, status: o.status, total: o.total, version: o.version, created_at: o.createdAt, updated_at: o.updatedAt })))
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
    await tx.db.deleteFrom('order_items').where('order_id', 'in', orders.map((o) => o.id)).execute();
    const items = orders.flatMap((o) => o.items.map((i, position) => ({ order_id: o.id, position, sku: i.sku, quantity: i.quantity, unit_price: i.unitPrice })));
    for (let i = 0; i < items.length; i += IMPORT_ROWS * 2) await tx.db.insertInto('order_items').values(items.slice(i, i + IMPORT_ROWS * 2)).execute();
  },
};
