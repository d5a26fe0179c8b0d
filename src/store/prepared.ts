import { sql, type CompiledQuery, type Compilable, type QueryResult, type SelectQueryBuilder } from 'kysely';

/**
 * Runs a query Kysely has already compiled. Each backend provides one (src/store/sqlite.ts,
 * src/store/postgres.ts): on PostgreSQL it is `db.executeQuery`; on SQLite it runs the cached
 * better-sqlite3 statement directly when no transaction is open, so a hot read or insert skips
 * Kysely's per-query machinery (connection mutex, logging wrapper, result plugins).
 */
export type QueryRunner = <R>(query: CompiledQuery<R>) => Promise<QueryResult<R>>;

/** Stands for the n-th argument of a prepared query while Kysely compiles it. */
class Slot {
  constructor(readonly index: number) {}
}

/**
 * A query built and compiled by Kysely once (per store instance), executed many times with new
 * arguments: "prepared statements; no per-request work that could happen at
 * boot". Kysely stays the source of the SQL, so the same builder gives `?` placeholders on
 * SQLite and `$1` on PostgreSQL.
 *
 *     const byId = prepare((id: number) => db.selectFrom('customers').selectAll().where('id', '=', id));
 *     const rows = (await run(byId.bind(7))).rows;
 *
 * The builder receives placeholders, not values: it must pass each argument straight to Kysely
 * as a value (where, values, limit, offset, sql`${…}`), never compute with it. Constants in the
 * builder stay constants. Every argument must end up as a parameter; `prepare` checks that.
 */
export class PreparedQuery<A extends unknown[], R> {
  readonly #compiled: CompiledQuery<R>;
  /** Parameter positions filled from arguments, and which argument each takes. */
  readonly #positions: number[] = [];
  readonly #arguments: number[] = [];

  /** `arity` is the number of arguments: the builder's own parameter count unless it takes a rest array. */
  constructor(build: (...args: A) => Compilable<R>, arity = build.length) {
    const slots = Array.from({ length: arity }, (_, i) => new Slot(i));
    this.#compiled = build(...(slots as unknown as A)).compile();
    const used = new Set<number>();
    this.#compiled.parameters.forEach((p, position) => {
      if (p instanceof Slot) {
        this.#positions.push(position);
        this.#arguments.push(p.index);
        used.add(p.index);
      }
    });
    if (used.size !== slots.length) {
      throw new Error(`prepared query uses ${used.size} of its ${slots.length} arguments as parameters: ${this.#compiled.sql}`);
    }
  }

  get sql(): string {
    return this.#compiled.sql;
  }

  /** The compiled query with these arguments in place of the placeholders. */
  bind(...args: A): CompiledQuery<R> {
    const parameters = this.#compiled.parameters.slice();
    for (let i = 0; i < this.#positions.length; i++) parameters[this.#positions[i]!] = args[this.#arguments[i]!];
    return { query: this.#compiled.query, queryId: this.#compiled.queryId, sql: this.#compiled.sql, parameters };
  }
}

export const prepare = <A extends unknown[], R>(build: (...args: A) => Compilable<R>): PreparedQuery<A, R> => new PreparedQuery(build);

/**
 * Prepared queries of dynamic shape (a list with optional filters and a sort), compiled once
 * per shape. The number of shapes is bounded by the query options a route accepts; the cache
 * is bounded anyway so no client can grow it without limit.
 */
export class PreparedShapes<Q> {
  readonly #cache = new Map<string, Q>();

  constructor(private readonly limit = 256) {}

  get(key: string, build: () => Q): Q {
    let query = this.#cache.get(key);
    if (query === undefined) {
      if (this.#cache.size >= this.limit) this.#cache.clear();
      query = build();
      this.#cache.set(key, query);
    }
    return query;
  }
}

/** The two queries of one shape of list: how many rows match, and one page of them. */
export interface ListQueries<R> {
  count: PreparedQuery<unknown[], { n: number }>;
  page: PreparedQuery<unknown[], R>;
}

/**
 * Compiles one shape of list from its filtered query: the rows counted, and the same rows sorted
 * by `order` (ties broken by id, so pages never overlap) with a limit and offset. The arguments of
 * both are the filter values in order; the page's then take limit and offset.
 */
export function prepareList<DB, TB extends keyof DB, R>(
  filtered: (values: unknown[]) => SelectQueryBuilder<DB, TB, object>,
  order: readonly { column: string; descending: boolean }[],
  filters: number,
): ListQueries<R> {
  const count = new PreparedQuery((...values: unknown[]) => filtered(values).select((eb) => eb.fn.countAll<number>().as('n')), filters);
  const page = new PreparedQuery((...values: unknown[]) => {
    let query = filtered(values).selectAll();
    for (const key of order) query = query.orderBy(sql.ref(key.column), key.descending ? 'desc' : 'asc');
    if (!order.some((key) => key.column === 'id')) query = query.orderBy(sql.ref('id'), 'asc');
    return query.limit(values[filters] as number).offset(values[filters + 1] as number);
  }, filters + 2);
  return { count: count as unknown as ListQueries<R>['count'], page: page as unknown as ListQueries<R>['page'] };
}

/** Runs a list's count and page: `page` is 1-based. */
export async function runList<R>(run: QueryRunner, queries: ListQueries<R>, values: readonly unknown[], page: number, perPage: number): Promise<{ rows: R[]; total: number }> {
  const counted = (await run(queries.count.bind(...values))).rows[0]!;
  const rows = (await run(queries.page.bind(...values, perPage, (page - 1) * perPage))).rows;
  return { rows, total: Number(counted.n) };
}
