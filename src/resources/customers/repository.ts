import { sql, type Kysely, type QueryResult } from 'kysely';
import type { Database } from '../../store/database.js';
import type { Connection } from '../../store/types.js';
import type { WriteTx } from '../../store/write-path.js';
import { PreparedShapes, prepare, prepareList, runList, type ListQueries, type PreparedQuery, type QueryRunner } from '../../store/prepared.js';
import { asUnavailable, isUniqueViolation } from '../../store/errors.js';
import { likePattern, searchKey, searchKeyOf, type ListParams } from '../../store/list.js';
import type { Presented } from '../../store/change.js';
import { UniqueViolationError } from '../../errors.js';
import type { CustomerSortField } from './schema.js';
import type { CustomerRow } from './table.js';

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

/**
 * Customers' SQL, the same on SQLite and PostgreSQL through Kysely. The hot queries (get by id,
 * a list page and its count, insert) are built and compiled once and run with new parameters
 * (src/store/prepared.ts). Reads run on their own; writes run inside the transaction of a write
 * operation (the `tx` they take), which the service owns — this class never opens one.
 */
export class CustomerRepository {
  readonly #byId: PreparedQuery<[id: number], CustomerRow>;
  readonly #lockById: PreparedQuery<[id: number], CustomerRow>;
  readonly #insert: PreparedQuery<[name: string, email: string, emailKey: string, nameKey: string, now: string], CustomerRow>;
  readonly #count: PreparedQuery<[], { n: number }>;
  readonly #lists = new PreparedShapes<ListQueries<CustomerRow>>();
  readonly #db: Kysely<Database>;
  readonly #run: QueryRunner;

  constructor(connection: Pick<Connection, 'db' | 'run' | 'dialect'>) {
    const db = (this.#db = connection.db);
    this.#run = connection.run;
    this.#byId = prepare((id: number) => db.selectFrom('customers').selectAll().where('id', '=', id));
    // Locked on PostgreSQL so a concurrent write waits, then sees the new version (stale) instead of overwriting it.
    this.#lockById = prepare((id: number) => db.selectFrom('customers').selectAll().where('id', '=', id).$if(connection.dialect === 'postgres', (qb) => qb.forUpdate()));
    this.#insert = prepare((name: string, email: string, emailKey: string, nameKey: string, now: string) =>
      db.insertInto('customers').values({ name, email, email_key: emailKey, name_key: nameKey, version: 1, created_at: now, updated_at: now }).returningAll(),
    );
    this.#count = prepare(() => db.selectFrom('customers').select((eb) => eb.fn.countAll<number>().as('n')));
  }

  /** One promise, no async wrappers: this is the hottest read (see docs/benchmarks.md). `run` defaults to the pool's. */
  get(id: number, run: QueryRunner = this.#run): Promise<CustomerRow | undefined> {
    return run(this.#byId.bind(id)).then(firstRow, storeError);
  }

  async list(params: ListParams<CustomerSortField, CustomerFilters>, run: QueryRunner = this.#run): Promise<{ rows: CustomerRow[]; total: number }> {
    const { email, name } = params.filters;
    const q = params.q;
    const values: unknown[] = [];
    if (email !== undefined) values.push(searchKey(email));
    if (name !== undefined) values.push(name);
    if (q !== undefined) values.push(likePattern(q));
    let shape = `${email !== undefined ? 'e' : ''}${name !== undefined ? 'n' : ''}${q !== undefined ? 'q' : ''}`;
    for (const key of params.sort) shape += `,${key.field}${key.descending ? '-' : '+'}`;
    const queries = this.#lists.get(shape, () => this.#listQueries(email !== undefined, name !== undefined, q !== undefined, params.sort, values.length));
    return guard(() => runList(run, queries, values, params.page, params.perPage));
  }

  /** The queries of one list shape; their arguments are the filter values in order, then limit and offset for the page. */
  #listQueries(byEmail: boolean, byName: boolean, bySearch: boolean, sort: ListParams<CustomerSortField, CustomerFilters>['sort'], filters: number): ListQueries<CustomerRow> {
    const filtered = (values: unknown[]) => {
      let query = this.#db.selectFrom('customers');
      let i = 0;
      if (byEmail) query = query.where('email_key', '=', values[i++] as string);
      if (byName) query = query.where('name', '=', values[i++] as string);
      if (bySearch) {
        const pattern = values[i++];
        query = query.where(sql<boolean>`(name_key like ${pattern} escape '\\' or email_key like ${pattern} escape '\\')`);
      }
      return query;
    };
    return prepareList(filtered, sort.map((key) => ({ column: COLUMN[key.field], descending: key.descending })), filters);
  }

  async count(): Promise<number> {
    const r = await guard(async () => (await this.#run(this.#count.bind())).rows[0]!);
    return Number(r.n);
  }

  // --- inside a write operation's transaction ----------------------------------------------

  /** The row as it is now, locked against concurrent writers until `tx` ends (PostgreSQL; SQLite has one writer). */
  lock(tx: WriteTx, id: number): Promise<CustomerRow | undefined> {
    return tx.run(this.#lockById.bind(id)).then(firstRow, storeError);
  }

  insert(tx: WriteTx, fields: CustomerFields, now: string): Promise<CustomerRow> {
    const keys = keysOf(fields);
    return tx.run(this.#insert.bind(fields.name, fields.email, keys.email_key, keys.name_key, now)).then(insertedRow, storeError);
  }

  /** Writes `fields` over `current` and bumps its version. */
  async update(tx: WriteTx, current: CustomerRow, fields: Partial<CustomerFields>, now: string): Promise<CustomerRow> {
    try {
      return await tx.db
        .updateTable('customers')
        .set({
          ...(fields.name !== undefined ? { name: fields.name, name_key: searchKey(fields.name) } : {}),
          ...(fields.email !== undefined ? { email: fields.email, email_key: searchKey(fields.email) } : {}),
          version: current.version + 1,
          updated_at: now,
        })
        .where('id', '=', current.id)
        .returningAll()
        .executeTakeFirstOrThrow();
    } catch (err) {
      return storeError(err);
    }
  }

  async delete(tx: WriteTx, id: number): Promise<void> {
    await tx.db.deleteFrom('customers').where('id', '=', id).execute();
  }
}

/**
 * What list()'s WHERE selects, in JavaScript, for a presented customer: a live query decides with
 * it which changes concern it. Keep the two in step — test/live-query-property.test.ts checks them
 * against each other on SQLite and PostgreSQL.
 */
export function customerMatches(filters: CustomerFilters, q: string | undefined): (customer: Presented) => boolean {
  const email = filters.email === undefined ? undefined : searchKey(filters.email);
  const name = filters.name;
  // `key LIKE likePattern(q)`: the key holds the folded search.
  const search = q === undefined ? undefined : searchKey(q);
  return (customer) => {
    if (email !== undefined && searchKeyOf(customer, 'email', customer.email as string) !== email) return false;
    if (name !== undefined && customer.name !== name) return false;
    return search === undefined || searchKeyOf(customer, 'name', customer.name as string).includes(search) || searchKeyOf(customer, 'email', customer.email as string).includes(search);
  };
}

/**
 * The keys stored beside a customer's fields, folded by searchKey: `email_key` (unique: emails
 * ignore case) and `name_key` (what a search looks in).
 */
export const keysOf = (fields: CustomerFields): { email_key: string; name_key: string } => ({ email_key: searchKey(fields.email), name_key: searchKey(fields.name) });

/** A store failure as the service sees it: a taken email, an unreachable database (503), or the error itself. */
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
