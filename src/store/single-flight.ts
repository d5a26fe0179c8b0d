/**
 * `task`, shared by the callers that arrive together: a call gets the result of a run that
 * started after the call (never of one already in flight, which may have begun before whatever
 * the caller wants covered: a commit to be fsynced, a write to be seen), and every call made
 * while a run is in flight shares the one run that starts when it ends. So at most one runs and
 * one waits, however many callers.
 *
 * Used for the fsync of SQLite's log (src/store/sqlite.ts) and the read fence of the
 * representation caches (src/http/data-clock.ts).
 */
export function singleFlight<T>(task: () => Promise<T>): () => Promise<T> {
  let running: Promise<T> | undefined;
  let next: Promise<T> | undefined;
  const start = (): Promise<T> => {
    const started = task().finally(() => {
      if (running === started) running = undefined;
    });
    running = started;
    return started;
  };
  return () => {
    if (running === undefined) return start();
    next ??= running.then(
      () => undefined,
      () => undefined,
    ).then(() => {
      next = undefined;
      return start();
    });
    return next;
  };
}
