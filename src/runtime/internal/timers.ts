/**
 * One-shot timers for the whole runtime. `setTimeout` is read at call time (not
 * captured at load) so vitest fake timers control it.
 */

/** Node fires a longer delay at once (with a warning), so anything longer counts as "never" (~24.8 days). */
export const MAX_DELAY = 2_147_483_647;

/** Calls `fn` after `ms` (Infinity, or beyond MAX_DELAY: never); returns the function that cancels it. */
export function after(ms: number, fn: () => void): () => void {
  if (!(ms <= MAX_DELAY)) return noop;
  const timer = setTimeout(fn, ms);
  return () => clearTimeout(timer);
}

function noop(): void {}
