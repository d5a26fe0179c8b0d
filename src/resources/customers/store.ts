import { sql, type Kysely, type QueryResult, type Selectable } from 'kysely';
import type { CustomersTable, Database } from '../../store/database.js';
import type { Dialect } from '../../store/store.js';
import { PreparedShapes, prepare, prepareList, runList, type ListQueries, type PreparedQuery, type QueryRunner } from '../../store/prepared.js';
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

/**
 * Customers' SQL, the same on SQLite and PostgreSQL through Kysely. The hot queries (get by id,
 * a list page and its count, insert) are built and compiled once per store and run with new
 * parameters (src/store/prepared.ts); the rarer writes build theirs per call.
 */
export class CustomerStore {
  readonly #byId: PreparedQuery<[id: number], CustomerRow>;
  readonly #insert: PreparedQuery<[name: string, email: string, emailKey: string, now: string], CustomerRow>;
  readonly #count: PreparedQuery<[], { n: number }>;
  readonly #lists = new PreparedShapes<ListQueries<CustomerRow>>();

  constructor(private readonly db: Kysely<Database>, readonly dialect: Dialect, private readonly run: QueryRunner) {
    this.#byId = prepare((id: number) => db.selectFrom('customers').selectAll().where('id', '=', id));
    this.#insert = prepare((name: string, email: string, emailKey: string, now: string) =>
      db.insertInto('customers').values({ name, email, email_key: emailKey, version: 1, created_at: now, updated_at: now }).returningAll(),
    );
    this.#count = prepare(() => db.selectFrom('customers').select((eb) => eb.fn.countAll<number>().as('n')));
  }

  /** One promise, no async wrappers: this is the hottest read (see docs/benchmarks.md). */
  get(id: number): Promise<CustomerRow | undefined> {
    return this.run(this.#byId.bind(id)).then(firstRow, storeError);
  }

  async list(params: ListParams<CustomerSortField, CustomerFilters>): Promise<{ rows: CustomerRow[]; total: number }> {
    const { email, name } = params.filters;
    const q = params.q;
    const values: unknown[] = [];
    if (email !== undefined) values.push(email.toLowerCase());
    if (name !== undefined) values.push(name);
    if (q !== undefined) values.push(likePattern(q));
    let shape = `${email !== undefined ? 'e' : ''}${name !== undefined ? 'n' : ''}${q !== undefined ? 'q' : ''}`;
    for (const key of params.sort) shape += `,${key.field}${key.descending ? '-' : '+'}`;
    const queries = this.#lists.get(shape, () => this.#listQueries(email !== undefined, name !== undefined, q !== undefined, params.sort, values.length));
    return guard(() => runList(this.run, queries, values, params.page, params.perPage));
  }

  /** The queries of one list shape; their arguments are the filter values in order, then limit and offset for the page. */
  #listQueries(byEmail: boolean, byName: boolean, bySearch: boolean, sort: ListParams<CustomerSortField, CustomerFilters>['sort'], filters: number): ListQueries<CustomerRow> {
    const filtered = (values: unknown[]) => {
      let query = this.db.selectFrom('customers');
      let i = 0;
      if (byEmail) query = query.where('email_key', '=', values[i++] as string);
      if (byName) query = query.where('name', '=', values[i++] as string);
      if (bySearch) {
        const pattern = values[i++];
        query = query.where(sql<boolean>`(lower(name) like ${pattern} escape '\\' or email_key like ${pattern} escape '\\')`);
      }
      return query;
    };
    return prepareList(filtered, sort.map((key) => ({ column: COLUMN[key.field], descending: key.descending })), filters);
  }

  create(fields: CustomerFields, now = new Date().toISOString()): Promise<CustomerRow> {
    return this.run(this.#insert.bind(fields.name, fields.email, fields.email.toLowerCase(), now)).then(insertedRow, storeError);
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
    const r = await guard(async () => (await this.run(this.#count.bind())).rows[0]!);
    return Number(r.n);
  }
}

/** A store failure as the routes see it: a taken email, an unreachable database (503), or the error itself. */
function storeError(err: unknown): never {
  if (isUniqueViolation(err)) throw new UniqueViolationError('email');
  throw asUnavailable(err);
}

async function guard<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (err) {
    return storeError(err);
  }
}

const firstRow = <R>(result: QueryResult<R>): R | undefined => result.rows[0];
const insertedRow = <R>(result: QueryResult<R>): R => result.rows[0]!;
