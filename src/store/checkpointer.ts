import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';

/** How often the checkpointer copies the write-ahead log into the database file. */
export const CHECKPOINT_EVERY_MS = 1000;

/**
 * The worker's code: its own connection to the file, a PASSIVE checkpoint every `everyMs` (it
 * copies what it can without waiting for readers or writers, so it never holds up a commit),
 * and a last one when told to close. Given as a string so it runs the same from dist/ and from
 * the TypeScript sources the tests import; `driver` is better-sqlite3's resolved path.
 */
const WORKER = `
const { parentPort, workerData } = require('node:worker_threads');
const Database = require(workerData.driver);
const db = new Database(workerData.path, { fileMustExist: true });
db.pragma('busy_timeout = 5000');
const checkpoint = () => {
  try {
    db.pragma('wal_checkpoint(PASSIVE)');
  } catch (err) {
    parentPort.postMessage({ error: err instanceof Error ? err.message : String(err) });
  }
};
const timer = setInterval(checkpoint, workerData.everyMs);
parentPort.on('message', (message) => {
  if (message !== 'close') return;
  clearInterval(timer);
  checkpoint();
  db.close();
  parentPort.postMessage({ closed: true });
});
`;

export interface Checkpointer {
  /** Runs a last checkpoint, closes the worker's connection and ends the worker. */
  close(): Promise<void>;
}

/**
 * Checkpoints of a WAL-mode database file, on a worker thread. SQLite's own (wal_autocheckpoint)
 * run inside the COMMIT that crosses 1,000 pages of log: the copy and its two fsyncs held the
 * event loop 7–11 ms once every few hundred chat messages or creates, ahead of every delivery
 * and answer queued behind that commit. The connection that writes turns them off; this worker
 * keeps the log from growing without bound instead. `onError` hears a checkpoint that failed (the
 * log then grows until one succeeds; nothing is lost).
 */
export function startCheckpointer(path: string, options: { everyMs?: number; onError?: (err: Error) => void } = {}): Checkpointer {
  const driver = createRequire(import.meta.url).resolve('better-sqlite3');
  const worker = new Worker(WORKER, { eval: true, workerData: { path, driver, everyMs: options.everyMs ?? CHECKPOINT_EVERY_MS } });
  worker.unref();
  let closed: (() => void) | undefined;
  worker.on('message', (message: { error?: string; closed?: boolean }) => {
    if (message.error !== undefined) options.onError?.(new Error(`SQLite checkpoint failed: ${message.error}`));
    if (message.closed) closed?.();
  });
  worker.on('error', (err) => options.onError?.(err));
  let closing: Promise<void> | undefined;
  return {
    close() {
      closing ??= new Promise<void>((resolve) => {
        closed = resolve;
        worker.once('exit', () => resolve());
        worker.postMessage('close');
      }).then(() => worker.terminate().then(() => undefined));
      return closing;
    },
  };
}
