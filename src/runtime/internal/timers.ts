/**
 * One-shot timers for the whole runtime. `setTimeout` is read at call time (not
 * captured at load) so vitest fake timers control it.
 */

import { setImmediate as realSetImmediate } from 'node:timers';

/** Node fires a longer delay at once (with a warning), so anything longer counts as "never" (~24.8 days). */
export const MAX_DELAY = 2_147_483_647;

/** Calls `fn` after `ms` (Infinity, or beyond MAX_DELAY: never); returns the function that cancels it. */
export function after(ms: number, fn: () => void): () => void {
  if (!(ms <= MAX_DELAY)) return noop;
  const timer = setTimeout(fn, ms);
  return () => clearTimeout(timer);
}

function noop(): void {}

/**
 * Runs `fn` once the event loop turns (its check phase), through `node:timers`' own setImmediate,
 * which fake timers leave alone. Batching on a turn rather than on `process.nextTick` matters
 * twice: every timer callback that ends a job joins one batch (Node drains nextTicks after each
 * timer callback, so a nextTick batch holds one job), and a chain of awaited calls yields to
 * timers and I/O between batches instead of starving them.
 */
export function nextTurn(fn: () => void): void {
  realSetImmediate(fn);
}
