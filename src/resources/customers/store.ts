import { sql, type Kysely, type Selectable } from 'kysely';
import type { CustomersTable, Database } from '../../store/database.js';
import type { Dialect } from '../../store/store.js';
import { asUnavailable, isUniqueViolation } from '../../store/errors.js';
import { UniqueViolationError } from '../../errors.js';
import type { ListParams } from '../../http/list-query.js';
import type { CustomerSortField } from './schema.js';
import { ordersOfCustomer, type OrderRecord } from '../orders/store.js';

export type CustomerRow = Selectable<CustomersTable>;

export interface CustomerFields {
  name: string;
  email: string;
}

export interface CustomerFilters {
  email?: string | undefined;
  name?: string | undefined;
}

const COLUMN: Record<CustomerSortField, 'id' | 'name' | 'email_key' | 'created_at' | 'updated_at'> = {
  id: 'id',
  name: 'name',
  email: 'email_key',
  createdAt: 'created_at',
  updatedAt: 'updated_at',
};

export type Stale = 'stale';

/** `%` and `_` are literal in a search, not wildcards. */
export const likePattern = (q: string): string => '%' + q.toLowerCase().replace(/[\\%_]/g, (c) => '\\' + c) + '%';

/** Customers' SQL, the same on SQLite and PostgreSQL through Kysely. */
export class CustomerStore {
  constructor(private readonly db: Kysely<Database>, readonly dialect: Dialect) {}

  async get(id: number): Promise<CustomerRow | undefined> {
    return guard(() => this.db.selectFrom('customers').selectAll().where('id', '=', id).executeTakeFirst());
  }

  async list(params: ListParams<CustomerSortField, CustomerFilters>): Promise<{ rows: CustomerRow[]; total: number }> {
    return guard(async () => {
      let query = this.db.selectFrom('customers');
      const { email, name } = params.filters;
      if (email !== undefined) query = query.where('email_key', '=', email.toLowerCase());
      if (name !== undefined) query = query.where('name', '=', name);
      if (params.q !== undefined) {
        const pattern = likePattern(params.q);
        query = query.where(sql<boolean>`(lower(name) like ${pattern} escape '\\' or email_key like ${pattern} escape '\\')`);
      }
      const counted = await query.select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
      let page = query.selectAll();
      for (const key of params.sort) page = page.orderBy(COLUMN[key.field], key.descending ? 'desc' : 'asc');
      if (!params.sort.some((k) => k.field === 'id')) page = page.orderBy('id', 'asc');
      const rows = await page.limit(params.perPage).offset((params.page - 1) * params.perPage).execute();
      return { rows, total: Number(counted.n) };
    });
  }

  async create(fields: CustomerFields, now = new Date().toISOString()): Promise<CustomerRow> {
    return guard(() =>
      this.db
        .insertInto('customers')
        .values({ name: fields.name, email: fields.email, email_key: fields.email.toLowerCase(), version: 1, created_at: now, updated_at: now })
        .returningAll()
        .executeTakeFirstOrThrow(),
    );
  }

  /**
   * Writes the given fields when the row is still at `expectedVersion` (if given). Undefined when
   * the customer does not exist, 'stale' when someone else wrote first.
   */
  async update(id: number, fields: Partial<CustomerFields>, expectedVersion?: number): Promise<CustomerRow | Stale | undefined> {
    return guard(async () => {
      const row = await this.db
        .updateTable('customers')
        .set((eb) => ({
          ...(fields.name !== undefined ? { name: fields.name } : {}),
          ...(fields.email !== undefined ? { email: fields.email, email_key: fields.email.toLowerCase() } : {}),
          version: eb('version', '+', 1),
          updated_at: new Date().toISOString(),
        }))
        .where('id', '=', id)
        .$if(expectedVersion !== undefined, (qb) => qb.where('version', '=', expectedVersion!))
        .returningAll()
        .executeTakeFirst();
      if (row) return row;
      if (expectedVersion === undefined) return undefined;
      return (await this.get(id)) ? 'stale' : undefined;
    });
  }

  /** Deletes the customer and its orders in one transaction; returns what was deleted. */
  async delete(id: number, expectedVersion?: number): Promise<{ customer: CustomerRow; orders: OrderRecord[] } | Stale | undefined> {
    return guard(() =>
      this.db.transaction().execute(async (trx) => {
        // Locked on PostgreSQL so a concurrent update cannot slip between the version check and the delete.
        const customer = await trx
          .selectFrom('customers')
          .selectAll()
          .where('id', '=', id)
          .$if(this.dialect === 'postgres', (qb) => qb.forUpdate())
          .executeTakeFirst();
        if (!customer) return undefined;
        if (expectedVersion !== undefined && customer.version !== expectedVersion) return 'stale' as const;
        const orders = await ordersOfCustomer(trx, id);
        const orderIds = orders.map((o) => o.id);
        if (orderIds.length > 0) {
          await trx.deleteFrom('order_items').where('order_id', 'in', orderIds).execute();
          await trx.deleteFrom('orders').where('customer_id', '=', id).execute();
        }
        await trx.deleteFrom('customers').where('id', '=', id).execute();
        return { customer, orders };
      }),
    );
  }

  async count(): Promise<number> {
    const r = await guard(() => this.db.selectFrom('customers').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow());
    return Number(r.n);
  }
}

async function guard<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (err) {
    if (isUniqueViolation(err)) throw new UniqueViolationError('email');
    throw asUnavailable(err);
  }
}
