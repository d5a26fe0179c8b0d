/**
 * The whole shop as records, one JSON line each: every resource's records in registry order
 * (customers, then orders with their items), ids/versions/timestamps/statuses kept. Export reads
 * through keyset pages; import writes batches in transactions and upserts by id, so it loads an
 * empty or an existing database and running it twice changes nothing. The same on SQLite and
 * PostgreSQL; on PostgreSQL the identity sequences are then moved past the imported ids.
 * Each resource says how its lines look (its TransferFormat); this file only orders and batches.
 */
import { sql } from 'kysely';
import type { Connection } from '../store/types.js';
import { markUnlogged } from '../store/change-log.js';
import type { Registry } from './registry.js';
import type { TransferFormat, TransferLine } from './resource.js';
import { IMPORT_ROWS, TransferError } from './transfer-fields.js';

export { TransferError };

export interface ImportCounts {
  [line: string]: number;
}

function formats(registry: Registry): TransferFormat[] {
  return registry.resources.flatMap((r) => (r.transfer ? [r.transfer] : []));
}

/** Every record of the shop, resource by resource in registry order, each ascending by id. */
export async function* exportShop(connection: Connection, registry: Registry): AsyncGenerator<TransferLine> {
  for (const format of formats(registry)) yield* format.export(connection);
}

/** One line of an export file, as written: keys in a fixed order so files compare byte for byte. */
export function formatLine(line: TransferLine): string {
  return JSON.stringify(line);
}

/** Parses and checks one line; the error names the line number and the field. */
export function parseLine(text: string, lineNo: number, registry: Registry): TransferLine {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new TransferError(`line ${lineNo}: not JSON`);
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) throw new TransferError(`line ${lineNo}: record is missing or invalid`);
  const record = value as Record<string, unknown>;
  const format = formats(registry).find((f) => f.line === record.type);
  if (!format) throw new TransferError(`line ${lineNo}: type is missing or invalid`);
  return format.parse(record, lineNo);
}

/**
 * Writes `lines` in transactions of a few hundred records (within a batch, each resource's lines
 * in registry order — customers before their orders — so an order may follow its customer
 * anywhere later in the stream). Calls `onProgress` after each batch. Advances the identity
 * sequences at the end.
 */
export async function importShop(
  connection: Connection,
  registry: Registry,
  lines: AsyncIterable<TransferLine> | Iterable<TransferLine>,
  onProgress: (counts: ImportCounts) => void = () => {},
): Promise<ImportCounts> {
  const all = formats(registry);
  const counts: ImportCounts = Object.fromEntries(all.map((f) => [f.line, 0]));
  let batch = new Map<TransferFormat, TransferLine[]>();
  let size = 0;
  const flush = async () => {
    if (size === 0) return;
    const current = batch;
    batch = new Map();
    size = 0;
    try {
      await connection.transact(async (tx) => {
        for (const format of all) await format.write(tx, current.get(format) ?? []);
        await markUnlogged(tx);
        return { value: undefined, head: undefined };
      });
    } catch (err) {
      throw explain(err, current);
    }
    for (const [format, written] of current) counts[format.line] = (counts[format.line] ?? 0) + written.length;
    onProgress({ ...counts });
  };
  for await (const line of lines) {
    const format = all.find((f) => f.line === line.type);
    if (!format) throw new TransferError(`a record of type ${JSON.stringify(line.type)} belongs to no resource`);
    let list = batch.get(format);
    if (!list) batch.set(format, (list = []));
    list.push(line);
    if (++size >= IMPORT_ROWS) await flush();
  }
  await flush();
  // Imported rows are acknowledged (the command reports them) once on disk, as the API's writes are.
  await connection.durable();
  await advanceSequences(connection, registry);
  return counts;
}

function explain(err: unknown, batch: Map<TransferFormat, TransferLine[]>): Error {
  const code = (err as { code?: unknown } | null)?.code;
  const message = err instanceof Error ? err.message : String(err);
  const range = (line: string): string => {
    const lines = [...batch].find(([f]) => f.line === line)?.[1] ?? [];
    return `${String(lines[0]?.id ?? '?')}–${String(lines.at(-1)?.id ?? '?')}`;
  };
  if (code === 'SQLITE_CONSTRAINT_UNIQUE' || code === '23505') {
    return new TransferError(`an e-mail address in customers ${range('customer')} already belongs to another customer (${message})`);
  }
  if (code === 'SQLITE_CONSTRAINT_FOREIGNKEY' || code === '23503') {
    return new TransferError(`an order in ${range('order')} names a customer that is neither in the file before it nor in the database`);
  }
  return err instanceof Error ? err : new Error(message);
}

/**
 * PostgreSQL identity columns do not notice explicit ids: move each sequence past the highest id
 * so the next INSERT gets a fresh one. SQLite's AUTOINCREMENT already tracks the highest rowid.
 */
export async function advanceSequences(connection: Pick<Connection, 'db' | 'dialect'>, registry: Registry): Promise<void> {
  if (connection.dialect !== 'postgres') return;
  const tables = [...registry.tables.filter((t) => t.identity).map((t) => t.name), 'chat_messages'];
  for (const table of tables) {
    await sql`select setval(pg_get_serial_sequence(${table}, 'id'), coalesce((select max(id) from ${sql.table(table)}), 0) + 1, false)`.execute(connection.db);
  }
}

/** The highest id of `table` (0 when empty): where generated records start. */
export async function highestId(connection: Pick<Connection, 'db'>, table: string): Promise<number> {
  const row = await sql<{ max: number | null }>`select max(id) as max from ${sql.table(table)}`.execute(connection.db);
  return Number(row.rows[0]?.max ?? 0);
}
