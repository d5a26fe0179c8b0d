import { UnavailableError } from '../errors.js';

/** SQLite and PostgreSQL name a unique-constraint violation differently; stores ask this instead. */
export function isUniqueViolation(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  return code === 'SQLITE_CONSTRAINT_UNIQUE' || code === '23505';
}

const CONNECTION_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND', '57P01', '57P02', '57P03', '08000', '08003', '08006', '08001', '08004']);

/** Errors meaning "the database is not reachable right now" become UnavailableError (503), everything else passes through. */
export function asUnavailable(err: unknown): unknown {
  const e = err as { code?: unknown; message?: unknown } | null;
  if (e && typeof e.code === 'string' && CONNECTION_CODES.has(e.code)) return new UnavailableError('database unavailable');
  if (e && typeof e.message === 'string' && /Connection terminated|connection timeout|Client has encountered a connection error/i.test(e.message)) {
    return new UnavailableError('database unavailable');
  }
  return err;
}

/** The transaction a write batch runs in is gone (its connection broke, or the database rolled it back): nothing of it committed. */
export class TransactionAborted extends Error {
  override name = 'TransactionAborted';
  constructor(readonly reason: unknown) {
    super('the transaction was aborted', { cause: reason });
  }
}
