import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';

/** How often the checkpointer reads how much of the write-ahead log is not yet in the database file. */
export const POLL_MS = 250;
/** Pages of log not yet copied that start a checkpoint at once: SQLite's own default (wal_autocheckpoint). */
export const CHECKPOINT_PAGES = 1000;
/** A log left with fewer pages is copied once no commit came for this long. */
export const QUIET_MS = 1000;

/**
 * The worker's code: its own connection to the file and a PASSIVE checkpoint (it copies what it
 * can without waiting for readers or writers, so it never holds up a commit) when CHECKPOINT_PAGES
 * pages of log wait, or when some wait and no commit came for QUIET_MS; a last one when told to
 * close. How many wait it reads from the wal-index header in the -shm file (SQLite's file format,
 * "The WAL-Index Format": mxFrame at byte 16, the checkpoint's nBackfill at byte 96, in the
 * machine's byte order), which costs a read and no lock. Given as a string so it runs the same
 * from dist/ and from the TypeScript sources the tests import; `driver` is better-sqlite3's path.
 */
const WORKER = `
const fs = require('node:fs');
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
const header = Buffer.alloc(100);
let shm;
/** [frames in the log, frames copied], or undefined when the header cannot be read (then: checkpoint). */
const frames = () => {
  try {
    shm ??= fs.openSync(workerData.path + '-shm', 'r');
    if (fs.readSync(shm, header, 0, 100, 0) < 100) return undefined;
    const little = header.readUInt32LE(0) === 3007000;
    const u32 = (at) => (little ? header.readUInt32LE(at) : header.readUInt32BE(at));
    return [u32(16), u32(96)];
  } catch {
    return undefined;
  }
};
let lastFrame = -1;
let lastChange = Date.now();
const poll = () => {
  const seen = frames();
  if (seen === undefined) return checkpoint();
  const [frame, copied] = seen;
  if (frame !== lastFrame) {
    lastFrame = frame;
    lastChange = Date.now();
  }
  const waiting = frame - copied;
  if (waiting >= workerData.pages || (waiting > 0 && Date.now() - lastChange >= workerData.quietMs)) checkpoint();
};
const timer = setInterval(poll, workerData.pollMs);
parentPort.on('message', (message) => {
  if (message !== 'close') return;
  clearInterval(timer);
  checkpoint();
  db.close();
  if (shm !== undefined) fs.closeSync(shm);
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
 * checkpoints as often as SQLite would (every 1,000 pages), and also once writes pause. `onError`
 * hears a checkpoint that failed (the log then grows until one succeeds; nothing is lost).
 */
export function startCheckpointer(path: string, options: { onError?: (err: Error) => void } = {}): Checkpointer {
  const driver = createRequire(import.meta.url).resolve('better-sqlite3');
  const worker = new Worker(WORKER, { eval: true, workerData: { path, driver, pollMs: POLL_MS, pages: CHECKPOINT_PAGES, quietMs: QUIET_MS } });
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
