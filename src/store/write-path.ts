import type { Change } from './change.js';
import type { ChangeLog, LogEntry, NewLogEntry } from './change-log.js';
import type { CompiledQuery } from 'kysely';
import type { Connection, TxContext } from './types.js';
import { TransactionAborted, asUnavailable } from './errors.js';

/** What a write operation gets: its transaction. Routes and socket handlers never see one. */
export type WriteTx = Omit<TxContext, 'isolated'>;

/** A write's result and what it changed, as the operation returns them inside its transaction. */
export interface Written<T> {
  readonly value: T;
  /** Changes to resources, logged as such (their channel is the resource's name). */
  readonly changes: readonly Change[];
  /** Other entries to log with the write: chat frames (room messages, sign-ins, direct messages). */
  readonly entries?: readonly NewLogEntry[] | undefined;
  /** Runs in the transaction once the write's entries have their positions (chat history keeps them). */
  readonly afterPositions?: ((tx: WriteTx, entries: readonly LogEntry[]) => Promise<void>) | undefined;
}

/** A write once committed: its result, its log entries, and the position its result reflects. */
export interface Committed<T> {
  readonly value: T;
  readonly changes: readonly Change[];
  readonly entries: readonly LogEntry[];
  /** The position of its last entry: the state it returned is the state at this position. */
  readonly position: number;
}

/** One write: read → precondition → write → present, all inside `tx`. Throwing undoes it alone. */
export type WriteOp<T> = (tx: WriteTx) => Promise<Written<T>>;

/** Told about every commit, in position order, with the entries it logged. */
export type CommitListener = (entries: readonly LogEntry[]) => void;

/** How a write is answered. */
export interface WriteOptions {
  /**
   * True (the default): its caller is answered once the commit is on disk (`Connection.durable`).
   * False: at the commit, and the write asks for no fsync of its own — for what nobody is told
   * was stored (a chat message, delivered at the commit anyway); the next durable commit's fsync
   * covers it.
   */
  durable?: boolean;
}

/**
 * A write that only logs (a chat message, a sign-in, a direct message): its entries, and the
 * precompiled queries that store what else it keeps once they have their positions (a room's
 * history). Given as data, not as an operation, so that on SQLite one arriving alone commits
 * synchronously (Connection.transactNow): no connection to wait for, no promise between its
 * statements — about half of what a lone chat message's commit spent around its statements.
 */
export interface LogWrite {
  readonly entries: readonly NewLogEntry[];
  /** Named `after`, not `then`: an object with a `then` method is a thenable, which `await` would call. */
  readonly after?: ((entries: readonly LogEntry[]) => readonly CompiledQuery<unknown>[]) | undefined;
}

interface Pending {
  op: WriteOp<unknown>;
  /** Set for a write made with `record`: what it writes, for the synchronous path. */
  logs?: LogWrite;
  durable: boolean;
  resolve: (committed: Committed<unknown>) => void;
  reject: (err: unknown) => void;
}

/** Writes one batch commits at most; more wait for the next batch. */
export const MAX_BATCH = 256;

/**
 * How long after a commit the write path counts as busy: a write arriving within it waits for
 * the event loop's turn so that the requests read in that turn share its commit (see #schedule).
 */
const BUSY_MS = 2;

/** A change as the log stores it: its resource is its channel. */
export function logEntryOf(change: Change): NewLogEntry {
  return {
    channel: change.resource,
    recipient: null,
    action: change.action,
    data: JSON.stringify(change.data),
    previous: change.previous === undefined ? null : JSON.stringify(change.previous),
  };
}

/**
 * The one way data changes: every service runs its writes here.
 *
 * Group commit: the writes that arrive together (while the previous batch commits) run in one
 * transaction, each under its own savepoint — a write that
 * fails (a 404, a 412, a duplicate email) is undone alone and its neighbours commit — and their
 * log entries are appended in that transaction (src/store/change-log.ts), so a change is logged
 * if and only if it is committed. One commit, hence one fsync, for the whole batch. Each caller
 * is answered only after the commit; what was logged goes to `onCommit` then, in position order.
 */
export class WritePath {
  #generation = 0;
  #queue: Pending[] = [];
  #scheduled = false;
  #running: Promise<void> | undefined;
  #committedAt = -Infinity;
  /** Commits whose callers wait for their fsync (flush waits for them too). */
  readonly #syncing = new Set<Promise<void>>();

  constructor(
    private readonly connection: Pick<Connection, 'transact' | 'durable' | 'transactNow'>,
    private readonly log: ChangeLog,
    private readonly onCommit: CommitListener = () => {},
    /** Told how many writes each commit carried. */
    private readonly onBatch: (writes: number) => void = () => {},
  ) {}

  /**
   * Changes before a batch begins and again once it ended: a cache that read the data between two
   * equal values of this (and of the connection's externalChanges) saw no write of this process
   * in between, committed or not.
   */
  generation(): number {
    return this.#generation;
  }

  write<T>(op: WriteOp<T>, options: WriteOptions = {}): Promise<Committed<T>> {
    return this.#enqueue(op, undefined, options);
  }

  /** A write that only appends to the log (and runs `write.after`'s queries): see LogWrite. */
  record(write: LogWrite, options: WriteOptions = {}): Promise<Committed<undefined>> {
    const after = write.after;
    const op: WriteOp<undefined> = async () => ({
      value: undefined,
      changes: [],
      entries: write.entries,
      afterPositions: after && (async (tx, entries) => {
        for (const query of after(entries)) await tx.run(query);
      }),
    });
    return this.#enqueue(op, write, options);
  }

  #enqueue<T>(op: WriteOp<T>, logs: LogWrite | undefined, options: WriteOptions): Promise<Committed<T>> {
    return new Promise<Committed<T>>((resolve, reject) => {
      this.#queue.push({ op: op as WriteOp<unknown>, ...(logs && { logs }), durable: options.durable ?? true, resolve: resolve as (c: Committed<unknown>) => void, reject });
      this.#schedule();
    });
  }

  /**
   * When a batch starts. A write finding the path idle — nothing committed in the last
   * BUSY_MS — starts its batch once the code that queued it is done (a microtask: a lone chat
   * message pays no wait for the rest of the event loop's turn). Under load that would commit
   * every request alone: Node runs each socket's callback, and its microtasks, before reading the
   * next socket, so the batch would start and commit (on SQLite, synchronously) before the next
   * request of the same turn was even parsed — one fsync per write. So right after a commit the
   * batch waits for the turn instead (setImmediate runs after every socket read in it), and the
   * writes that arrived together commit together.
   */
  #schedule(): void {
    if (this.#scheduled || this.#running !== undefined) return;
    this.#scheduled = true;
    const start = () => {
      this.#scheduled = false;
      this.#running = this.#drain().finally(() => {
        this.#running = undefined;
        this.#committedAt = performance.now();
        // A write queued between the last batch and this moment would otherwise wait for the next one.
        if (this.#queue.length > 0) this.#schedule();
      });
    };
    if (performance.now() - this.#committedAt < BUSY_MS) setImmediate(start);
    else queueMicrotask(start);
  }

  /** Resolves when every write queued so far has committed (and is on disk) or failed. */
  async flush(): Promise<void> {
    while (this.#running !== undefined || this.#scheduled || this.#queue.length > 0 || this.#syncing.size > 0) {
      if (this.#running !== undefined) await this.#running;
      else if (this.#syncing.size > 0) await Promise.all(this.#syncing);
      else await new Promise((resolve) => setImmediate(resolve));
    }
  }

  async #drain(): Promise<void> {
    while (this.#queue.length > 0) await this.#commit(this.#queue.splice(0, MAX_BATCH));
  }

  async #commit(batch: Pending[]): Promise<void> {
    const lone = batch.length === 1 ? batch[0]!.logs : undefined;
    if (lone !== undefined && this.#commitNow(batch[0]!, lone)) return;
    this.#generation++;
    const failed = new Map<Pending, unknown>();
    const done: { pending: Pending; written: Written<unknown>; entries: LogEntry[] }[] = [];
    try {
      await this.connection.transact(async (tx) => {
        const writeTx: WriteTx = { db: tx.db, dialect: tx.dialect, run: tx.run };
        const succeeded: { pending: Pending; written: Written<unknown> }[] = [];
        // A write alone in its batch (a chat message at a paced rate, a request on an idle
        // server) needs no savepoint: if it fails, its transaction is rolled back with it.
        const alone = batch.length === 1;
        for (const pending of batch) {
          try {
            succeeded.push({ pending, written: await (alone ? pending.op(writeTx) : tx.isolated(() => pending.op(writeTx))) });
          } catch (err) {
            if (err instanceof TransactionAborted) throw err.reason;
            failed.set(pending, err);
            if (alone) throw err;
          }
        }
        const newEntries = succeeded.flatMap(({ written }) => [...written.changes.map(logEntryOf), ...(written.entries ?? [])]);
        const appended = await this.log.append(writeTx, newEntries);
        let at = 0;
        for (const { pending, written } of succeeded) {
          const count = written.changes.length + (written.entries?.length ?? 0);
          const entries = appended.slice(at, at + count);
          at += count;
          if (written.afterPositions) await written.afterPositions(writeTx, entries);
          done.push({ pending, written, entries });
        }
        return { value: undefined, head: appended.at(-1)?.position };
      });
    } catch (err) {
      // Nothing of the batch committed: every write in it fails with the batch's error.
      const error = asUnavailable(err);
      for (const pending of batch) pending.reject(failed.get(pending) ?? error);
      return;
    } finally {
      this.#generation++;
    }
    this.#finish(done, failed);
  }

  /**
   * A lone LogWrite on a connection that can commit at once (SQLite, no transaction open):
   * begun, appended and committed in this call. False when the connection cannot; nothing ran.
   */
  #commitNow(pending: Pending, write: LogWrite): boolean {
    if (this.connection.transactNow === undefined) return false;
    let committed: { value: LogEntry[] } | undefined;
    this.#generation++;
    try {
      committed = this.connection.transactNow((run) => {
        const entries = this.log.appendNow(run, write.entries);
        if (write.after) for (const query of write.after(entries)) run(query);
        return { value: entries, head: entries.at(-1)?.position };
      });
    } catch (err) {
      pending.reject(asUnavailable(err));
      return true;
    } finally {
      this.#generation++;
    }
    if (committed === undefined) return false;
    this.#finish([{ pending, written: { value: undefined, changes: [], entries: write.entries }, entries: committed.value }], new Map());
    return true;
  }

  /** After a commit: failures answered, what was logged delivered, the rest answered (once on disk if durable). */
  #finish(done: readonly { pending: Pending; written: Written<unknown>; entries: LogEntry[] }[], failed: ReadonlyMap<Pending, unknown>): void {
    for (const [pending, err] of failed) pending.reject(asUnavailable(err));
    this.onBatch(done.length);
    const logged = done.flatMap((d) => d.entries);
    const head = logged.at(-1)?.position ?? 0;
    // Delivered at once: a crash of the process can no longer lose what was committed. The callers
    // are answered once it is on disk (durable: a power cut cannot lose it either); meanwhile the
    // next batch runs (callers of commits that arrive while an fsync runs share the next one).
    if (logged.length > 0) this.onCommit(logged);
    if (done.length === 0) return;
    const answer = () => {
      for (const { pending, written, entries } of done) {
        pending.resolve({ value: written.value, changes: written.changes, entries, position: entries.at(-1)?.position ?? head });
      }
    };
    // A batch of writes nobody is told were stored needs no fsync (on SQLite a system call that,
    // pinned to the server's core, competes with the fan-out the commit just started).
    if (!done.some(({ pending }) => pending.durable)) return answer();
    const synced = this.connection.durable().then(
      answer,
      (err: unknown) => {
        const error = asUnavailable(err);
        for (const { pending } of done) pending.reject(error);
      },
    ).finally(() => this.#syncing.delete(synced));
    this.#syncing.add(synced);
  }
}
