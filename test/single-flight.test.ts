import { test } from 'node:test';
import assert from 'node:assert/strict';
import { singleFlight } from '../src/store/single-flight.js';

// singleFlight is what makes the PostgreSQL read fence and the WAL fsync correct: a caller must
// get a run that *started after its call* — the fence must read a head that includes every commit
// acknowledged before the read arrived, the fsync must cover the caller's commit — while callers
// that arrive together share one run.

/** A task whose runs are counted and finished by hand; each run resolves to its number. */
function manual() {
  const runs: { n: number; finish: (fail?: Error) => void }[] = [];
  const task = () =>
    new Promise<number>((resolve, reject) => {
      const n = runs.length + 1;
      runs.push({ n, finish: (fail) => (fail ? reject(fail) : resolve(n)) });
    });
  return { runs, task };
}

const settle = () => new Promise((resolve) => setImmediate(resolve));

test('a call while a run is in flight gets the next run, never the one already running', async () => {
  const { runs, task } = manual();
  const call = singleFlight(task);
  const first = call();
  assert.equal(runs.length, 1);
  const second = call();
  const third = call();
  await settle();
  assert.equal(runs.length, 1, 'the next run waits for the one in flight');
  runs[0]!.finish();
  assert.equal(await first, 1);
  await settle();
  assert.equal(runs.length, 2, 'the callers that arrived meanwhile share one more run');
  runs[1]!.finish();
  assert.deepEqual(await Promise.all([second, third]), [2, 2]);
});

test('a call after a run ended starts a new run at once', async () => {
  const { runs, task } = manual();
  const call = singleFlight(task);
  const first = call();
  runs[0]!.finish();
  await first;
  await settle();
  const again = call();
  assert.equal(runs.length, 2);
  runs[1]!.finish();
  assert.equal(await again, 2);
});

test('a failed run fails its own callers only; the callers waiting behind it still get their run', async () => {
  const { runs, task } = manual();
  const call = singleFlight(task);
  const failing = call();
  const waiting = call();
  runs[0]!.finish(new Error('disk full'));
  await assert.rejects(failing, /disk full/);
  await settle();
  assert.equal(runs.length, 2);
  runs[1]!.finish();
  assert.equal(await waiting, 2);
});
