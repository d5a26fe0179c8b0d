/**
 * Checks shared by every resource's export lines (src/resources/<name>/transfer.ts): each throws
 * TransferError naming the line number and the field, which `boutique import` prints as one line.
 */
export class TransferError extends Error {
  override name = 'TransferError';
}

export type LineRecord = Readonly<Record<string, unknown>>;

export const isInt = (v: unknown, min = 1): v is number => typeof v === 'number' && Number.isSafeInteger(v) && v >= min;
export const isText = (v: unknown): v is string => typeof v === 'string' && v.length > 0;
export const isTime = (v: unknown): v is string => typeof v === 'string' && !Number.isNaN(Date.parse(v));

/** The reader of one line's fields: `field(name, check)` returns the value or throws naming it. */
export function fieldsOf(record: LineRecord, lineNo: number) {
  return <T>(name: string, check: (v: unknown) => v is T): T => {
    const value = record[name];
    if (!check(value)) throw new TransferError(`line ${lineNo}: ${name} is missing or invalid`);
    return value;
  };
}

/** Rows per page of an export, and per INSERT of an import: far under both databases' limits on bound parameters. */
export const EXPORT_PAGE = 1000;
export const IMPORT_ROWS = 500;
