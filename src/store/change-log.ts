import type { CompiledQuery, Kysely } from 'kysely';
import type { Database } from './database.js';
import type { SyncQueryRunner, TxContext } from './types.js';
import { PreparedQuery, PreparedShapes, prepare, type QueryRunner } from './prepared.js';

/** One entry of the change log, as stored and as the live side delivers it. */
export interface LogEntry {
  readonly position: number;
  readonly channel: string;
  readonly recipient: string | null;
  readonly action: string | null;
  readonly data: string;
  readonly previous: string | null;
  readonly createdAt: number;
}

/** What a write appends; the log gives it its position and time. */
export type NewLogEntry = Omit<LogEntry, 'position' | 'createdAt'>;

/** What a replay asks for: entries of these channels, and direct entries for this recipient. */
export interface LogFilter {
  channels: readonly string[];
  recipient?: string | undefined;
}

/** How long entries are kept: the newest `count`, none older than `maxAgeMs`. */
export interface Retention {
  maxAgeMs: number;
  count: number;
}

/** The bus_state row counting data loads that bypass the log (src/resources/transfer.ts). */
const UNLOGGED = 'unlogged-loads';

/**
 * Records, in `tx`, that it writes rows without log entries (an import): a running server's
 * caches on PostgreSQL read this with the log's head (ChangeLog.marks) and forget what they kept.
 */
export async function markUnlogged(tx: Pick<TxContext, 'db'>): Promise<void> {
  await tx.db
    .insertInto('bus_state')
    .values({ name: UNLOGGED, value: 1 })
    .onConflict((oc) => oc.column('name').doUpdateSet((eb) => ({ value: eb('bus_state.value', '+', 1) })))
    .execute();
}

/** Rows per INSERT: far under both databases' limits on bound parameters (7 per row). */
const INSERT_ROWS = 500;

type LogRow = Database['change_log'];

/** `entries` with their positions, the last at `last`. */
const positioned = (entries: readonly NewLogEntry[], last: number, now: number): LogEntry[] => {
  const first = last - entries.length + 1;
  return entries.map((e, i): LogEntry => ({ ...e, position: first + i, createdAt: now }));
};

const entryOf = (row: LogRow): LogEntry => ({
  position: Number(row.position),
  channel: row.channel,
  recipient: row.recipient,
  action: row.action,
  data: row.data,
  previous: row.previous,
  createdAt: Number(row.created_at),
});

/**
 * The change log: every change and every logged chat frame, written in the same transaction as
 * the data it describes (append, inside a write's transaction). Positions come from the counter
 * row `log-head` of bus_state, incremented in that transaction: on PostgreSQL its row lock makes
 * concurrent writers commit in position order (a writer takes the next positions only once the
 * one before has committed or rolled back), and a rollback gives its positions back. So
 * positions are dense and in commit order on both databases: whoever has seen position N has
 * seen, or can still read, every position below it.
 */
export class ChangeLog {
  readonly #bump: PreparedQuery<[count: number], { value: number }>;
  readonly #state: PreparedQuery<[name: string], { value: number }>;
  readonly #marks: PreparedQuery<[], { name: string; value: number }>;
  /** The INSERT of n entries, compiled once per n: a batch is usually a handful, the same few sizes again and again. */
  readonly #shapes = new PreparedShapes<PreparedQuery<unknown[], unknown>>(INSERT_ROWS);

  constructor(private readonly db: Kysely<Database>) {
    this.#bump = prepare((count: number) => db.updateTable('bus_state').set((eb) => ({ value: eb('value', '+', count) })).where('name', '=', 'log-head').returning('value'));
    this.#state = prepare((name: string) => db.selectFrom('bus_state').select('value').where('name', '=', name));
    this.#marks = prepare(() => db.selectFrom('bus_state').select(['name', 'value']).where('name', 'in', ['log-head', UNLOGGED]));
  }

  /** Appends `entries` in `tx` and returns them with their positions (the last is the new head). */
  async append(tx: Pick<TxContext, 'db' | 'run'>, entries: readonly NewLogEntry[], now = Date.now()): Promise<LogEntry[]> {
    if (entries.length === 0) return [];
    const last = Number((await tx.run(this.#bump.bind(entries.length))).rows[0]!.value);
    const appended = positioned(entries, last, now);
    for (const insert of this.#insertsOf(appended)) await tx.run(insert);
    return appended;
  }

  /** `append` with a synchronous runner (Connection.transactNow): the same statements, run at once. */
  appendNow(run: SyncQueryRunner, entries: readonly NewLogEntry[], now = Date.now()): LogEntry[] {
    if (entries.length === 0) return [];
    const last = Number(run(this.#bump.bind(entries.length)).rows[0]!.value);
    const appended = positioned(entries, last, now);
    for (const insert of this.#insertsOf(appended)) run(insert);
    return appended;
  }

  /** The INSERTs that store `appended`, INSERT_ROWS rows at most each. */
  #insertsOf(appended: readonly LogEntry[]): CompiledQuery<unknown>[] {
    const queries: CompiledQuery<unknown>[] = [];
    for (let i = 0; i < appended.length; i += INSERT_ROWS) {
      const rows = appended.slice(i, i + INSERT_ROWS);
      const insert = this.#shapes.get(String(rows.length), () => this.#insertOf(rows.length));
      const values: unknown[] = [];
      for (const e of rows) values.push(e.position, e.channel, e.recipient, e.action, e.data, e.previous, e.createdAt);
      queries.push(insert.bind(...values));
    }
    return queries;
  }

  #insertOf(count: number): PreparedQuery<unknown[], unknown> {
    return new PreparedQuery(
      (...v: unknown[]) =>
        this.db.insertInto('change_log').values(
          Array.from({ length: count }, (_, r) => ({
            position: v[r * 7] as number,
            channel: v[r * 7 + 1] as string,
            recipient: v[r * 7 + 2] as string | null,
            action: v[r * 7 + 3] as string | null,
            data: v[r * 7 + 4] as string,
            previous: v[r * 7 + 5] as string | null,
            created_at: v[r * 7 + 6] as number,
          })),
        ),
      count * 7,
    );
  }

  /** The last position assigned (0 for an empty log). */
  async head(run: QueryRunner): Promise<number> {
    return this.#read(run, 'log-head');
  }

  /**
   * The head, and the count of data loads that wrote rows without logging them (`boutique
   * import` and `seed`, markUnlogged): together, what a cache needs to know that nothing changed.
   */
  async marks(run: QueryRunner): Promise<{ head: number; unlogged: number }> {
    const rows = (await run(this.#marks.bind())).rows;
    const value = (name: string) => Number(rows.find((r) => r.name === name)?.value ?? 0);
    return { head: value('log-head'), unlogged: value(UNLOGGED) };
  }

  /** The highest position retention has deleted: a replay from below it may have a gap. */
  async prunedThrough(run: QueryRunner): Promise<number> {
    return this.#read(run, 'log-pruned');
  }

  /** Entries with after < position ≤ cut matching `filter`, oldest first, at most `limit`. */
  async read(after: number, cut: number, filter: LogFilter, limit: number): Promise<LogEntry[]> {
    if (after >= cut || (filter.channels.length === 0 && filter.recipient === undefined)) return [];
    const rows = await this.db
      .selectFrom('change_log')
      .selectAll()
      .where('position', '>', after)
      .where('position', '<=', cut)
      .where((eb) => {
        const ors = [];
        if (filter.channels.length > 0) ors.push(eb('channel', 'in', [...filter.channels]));
        if (filter.recipient !== undefined) ors.push(eb.and([eb('channel', '=', 'chat:direct'), eb('recipient', '=', filter.recipient)]));
        return eb.or(ors);
      })
      .orderBy('position')
      .limit(limit)
      .execute();
    return rows.map(entryOf);
  }

  /** Every entry after `after`, oldest first, at most `limit`: what a lagging live tail catches up with. */
  async readAll(after: number, limit: number): Promise<LogEntry[]> {
    const rows = await this.db.selectFrom('change_log').selectAll().where('position', '>', after).orderBy('position').limit(limit).execute();
    return rows.map(entryOf);
  }

  /**
   * Deletes what retention no longer keeps (older than maxAgeMs, or beyond the newest `count`)
   * and records the highest position deleted, so replays from before it answer with a reset
   * instead of a silent gap. Returns that position.
   */
  async prune(retention: Retention, now = Date.now()): Promise<number> {
    return this.db.transaction().execute(async (trx) => {
      const head = Number((await trx.selectFrom('bus_state').select('value').where('name', '=', 'log-head').executeTakeFirst())?.value ?? 0);
      const byCount = head - retention.count;
      const oldest = await trx.selectFrom('change_log').select((eb) => eb.fn.max('position').as('p')).where('created_at', '<', now - retention.maxAgeMs).executeTakeFirst();
      const through = Math.max(byCount, Number(oldest?.p ?? 0));
      const pruned = Number((await trx.selectFrom('bus_state').select('value').where('name', '=', 'log-pruned').executeTakeFirst())?.value ?? 0);
      if (through <= pruned) return pruned;
      await trx.deleteFrom('change_log').where('position', '<=', through).execute();
      await trx.updateTable('bus_state').set({ value: through }).where('name', '=', 'log-pruned').where('value', '<', through).execute();
      return through;
    });
  }

  /** How far publishing to the bus got (src/live/relay.ts), and recording it. */
  async publishedThrough(): Promise<number> {
    return Number((await this.db.selectFrom('bus_state').select('value').where('name', '=', 'log-published').executeTakeFirst())?.value ?? 0);
  }

  async recordPublished(position: number): Promise<void> {
    await this.db.updateTable('bus_state').set({ value: position }).where('name', '=', 'log-published').where('value', '<', position).execute();
  }

  async #read(run: QueryRunner, name: string): Promise<number> {
    return Number((await run(this.#state.bind(name))).rows[0]?.value ?? 0);
  }
}
