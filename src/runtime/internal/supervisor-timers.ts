/**
 * Timers for Supervisor and its child helpers. `setTimeout` is read at call time
 * (not captured at load) so vitest fake timers control it, and every timer is
 * cleared as soon as it is no longer needed so a stopped tree leaves none behind.
 */

import { after } from './timers.js';

export { after };

/** The outcome of `settleWithin`: the promise's value, or a note that time ran out first. */
export type Settled<T> = { readonly settled: true; readonly value: T } | { readonly settled: false };

/** Waits for `promise` (which must not reject) at most `ms`; the timer is cleared either way. */
export function settleWithin<T>(promise: Promise<T>, ms: number): Promise<Settled<T>> {
  return new Promise((resolve) => {
    const cancel = after(ms, () => resolve({ settled: false }));
    void promise.then((value) => {
      cancel();
      resolve({ settled: true, value });
    });
  });
}

/** The backoff before the `n`-th restart within the window: `initialMs * 2^(n-1)`, capped at `maxMs`. */
export function backoffDelay(n: number, initialMs: number, maxMs: number): number {
  if (initialMs === 0 || n < 1) return 0;
  return Math.min(maxMs, initialMs * 2 ** (n - 1));
}
