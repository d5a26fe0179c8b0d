import type { Transaction } from 'kysely';
import type { Database } from './database.js';
import type { Connection, Dialect } from './types.js';
import type { QueryRunner } from './prepared.js';
import type { Change } from './change.js';
import { asUnavailable } from './errors.js';

/** What a write operation gets: its transaction. Routes and socket handlers never see one. */
export interface WriteTx {
  readonly db: Transaction<Database>;
  readonly dialect: Dialect;
  /** Runs precompiled queries (src/store/prepared.ts) in this transaction. */
  readonly run: QueryRunner;
}

/** A write's result and the changes it made, as the operation returns them inside its transaction. */
export interface Written<T> {
  readonly value: T;
  readonly changes: readonly Change[];
}

/** One write: read → precondition → write → present, all inside `tx`. Throwing rolls it back. */
export type WriteOp<T> = (tx: WriteTx) => Promise<Written<T>>;

/** Told about every commit, in the order the commits completed, with the changes they made. */
export type CommitListener = (changes: readonly Change[]) => void;

/**
 * The one way data changes: every service runs its writes here. Each runs in
 * a transaction; what it changed is handed to `onCommit` only after the commit, so nothing a
 * subscriber sees can still roll back.
 */
export class WritePath {
  #generation = 0;

  constructor(
    private readonly connection: Pick<Connection, 'db' | 'dialect' | 'inTransaction'>,
    private readonly onCommit: CommitListener = () => {},
  ) {}

  /**
   * Changes before a write begins and again once it ended: a cache that read the data between two
   * equal values of this (and of the connection's externalChanges) saw no write of this process
   * in between, committed or not.
   */
  generation(): number {
    return this.#generation;
  }

  async write<T>(op: WriteOp<T>): Promise<Written<T>> {
    this.#generation++;
    let written: Written<T>;
    try {
      written = await this.connection.db.transaction().execute((db) => op({ db, dialect: this.connection.dialect, run: this.connection.inTransaction(db) }));
    } catch (err) {
      throw asUnavailable(err);
    } finally {
      this.#generation++;
    }
    if (written.changes.length > 0) this.onCommit(written.changes);
    return written;
  }
}
