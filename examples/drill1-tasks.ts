/**
 * Drill 1 — awaited tasks. Five one-second computations run one after another, then
 * as five Tasks at once; then a Task that outlives its `await` limit, and one that
 * crashes, whose error reaches the caller that awaits it (Elixir's linked task).
 *
 * Run: npx tsx examples/drill1-tasks.ts
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { Task, TaskTimeoutError } from '../src/runtime/index.js';
import { isMain } from './support/is-main.js';

/** The seed's slow_computation: sleeps, then squares; it stops early when aborted. */
export async function slowComputation(n: number, ms: number, signal?: AbortSignal): Promise<number> {
  await sleep(ms, undefined, { signal });
  return n * n;
}

/** Runs the computations one after another. */
export async function sequentialWork(count = 5, ms = 1000): Promise<number[]> {
  const results: number[] = [];
  for (let i = 1; i <= count; i++) results.push(await slowComputation(i, ms));
  return results;
}

/** Runs the computations as concurrent Tasks and awaits them all. */
export async function parallelWork(count = 5, ms = 1000, compute = slowComputation): Promise<number[]> {
  const tasks = Array.from({ length: count }, (_, i) => Task.async((signal) => compute(i + 1, ms, signal)));
  return Task.awaitMany(tasks, ms * 5);
}

/** Awaits a task for less time than it needs: the await rejects with TaskTimeoutError and the task is aborted. */
export async function timeoutDemo(
  limitMs = 500,
  workMs = 1000,
): Promise<{ error: TaskTimeoutError; aborted: boolean }> {
  let seen: AbortSignal | undefined;
  const task = Task.async((signal) => {
    seen = signal;
    return slowComputation(7, workMs, signal);
  });
  try {
    await task.await(limitMs);
    throw new Error('expected a timeout');
  } catch (err) {
    if (!(err instanceof TaskTimeoutError)) throw err;
    return { error: err, aborted: seen?.aborted ?? false };
  }
}

/** A task that crashes: the error reaches whoever awaits it. */
export async function crashDemo(): Promise<Error> {
  const task = Task.async(async () => {
    await sleep(10);
    throw new Error('boom');
  });
  try {
    await task.await();
    throw new Error('expected the task to crash');
  } catch (err) {
    return err as Error;
  }
}

/** Times a function, in milliseconds. */
async function timed<T>(fn: () => Promise<T>): Promise<[T, number]> {
  const start = performance.now();
  const value = await fn();
  return [value, Math.round(performance.now() - start)];
}

/** Prints the drill's four experiments. */
export async function main(ms = 1000): Promise<void> {
  const [seq, seqMs] = await timed(() => sequentialWork(5, ms));
  console.log(`sequential: ${JSON.stringify(seq)} in ${seqMs} ms`);
  const [par, parMs] = await timed(() => parallelWork(5, ms));
  console.log(`parallel:   ${JSON.stringify(par)} in ${parMs} ms (speed-up ${(seqMs / parMs).toFixed(1)}x)`);
  const timeout = await timeoutDemo(ms / 2, ms);
  console.log(`timeout:    ${timeout.error.message}; task aborted: ${timeout.aborted}`);
  const crash = await crashDemo();
  console.log(`crash:      the awaiting caller got "${crash.message}"`);
}

if (isMain(import.meta.url)) await main();
