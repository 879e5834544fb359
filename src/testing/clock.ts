/**
 * A clock a test moves by hand, for stores and anything else that takes a `clock: () => number`:
 * time stands still until the test calls `advance` or `set`, so timing assertions are exact.
 */
import { invalidArgument } from '../runtime/validate.js';

/**
 * A manual clock, ms since the epoch. Pass `() => clock.now()` (or `clock.now`, which is bound)
 * where a clock function is wanted.
 * @example
 * const clock = new ManualClock(1_000);
 * const store = createMemoryStore({ clock: clock.now });
 * clock.advance(500); // store.now() === 1_500
 */
export class ManualClock {
  #ms: number;

  /** Starts at `start` ms. @default 1_700_000_000_000 (a fixed, realistic epoch time) */
  constructor(start = 1_700_000_000_000) {
    checkTime('start', start);
    this.#ms = start;
  }

  /** The current time, ms (bound, so it can be passed as a clock function). */
  readonly now = (): number => this.#ms;

  /** Moves time forward by `ms` (a non-negative integer) and returns the new time. */
  advance(ms: number): number {
    if (typeof ms !== 'number' || !Number.isSafeInteger(ms) || ms < 0) {
      throw invalidArgument('ms', 'a non-negative integer number of milliseconds', ms);
    }
    this.#ms += ms;
    return this.#ms;
  }

  /** Sets the time to `ms` (an integer; it may go backwards, to test clock skew) and returns it. */
  set(ms: number): number {
    checkTime('ms', ms);
    this.#ms = ms;
    return this.#ms;
  }
}

function checkTime(name: string, ms: unknown): asserts ms is number {
  if (typeof ms !== 'number' || !Number.isSafeInteger(ms) || ms < 0) {
    throw invalidArgument(name, 'a non-negative integer time in ms since the epoch', ms);
  }
}
