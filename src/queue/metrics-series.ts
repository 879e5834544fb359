/**
 * The per-second series behind charts: a ring of the last few minutes, one slot per
 * second, each counting jobs enqueued, started, completed and failed in that second, plus
 * the queue depth the monitor last reported in it. Fixed arrays, no allocation per event:
 * a slot is found once per batch of events and reset when its second comes round again.
 */
import type { MetricsPoint } from './types.js';

/** Seconds kept. */
export const SERIES_SECONDS = 300;

/** A ring of per-second counters, indexed by whole seconds of the store's clock. */
export class SecondRing {
  readonly size: number;
  /** The second each slot holds (-1: never used). */
  readonly #second: Float64Array;
  readonly enqueued: Float64Array;
  readonly started: Float64Array;
  readonly completed: Float64Array;
  readonly failed: Float64Array;
  /** Jobs not yet final at the last monitor report of the second (NaN: no report). */
  readonly queued: Float64Array;

  /** A ring of `size` seconds. @default 300 */
  constructor(size = SERIES_SECONDS) {
    this.size = size;
    this.#second = new Float64Array(size).fill(-1);
    this.enqueued = new Float64Array(size);
    this.started = new Float64Array(size);
    this.completed = new Float64Array(size);
    this.failed = new Float64Array(size);
    this.queued = new Float64Array(size).fill(NaN);
  }

  /** The slot of the second holding time `at` (ms), cleared first if it held an older second. */
  slot(at: number): number {
    const second = Math.floor(at / 1000);
    const i = ((second % this.size) + this.size) % this.size;
    if (this.#second[i] !== second) {
      this.#second[i] = second;
      this.enqueued[i] = 0;
      this.started[i] = 0;
      this.completed[i] = 0;
      this.failed[i] = 0;
      this.queued[i] = NaN;
    }
    return i;
  }

  /**
   * The last `seconds` seconds up to and including the one holding `now`, oldest first;
   * a second with no activity is a point of zeros (and `queued: null`).
   */
  points(now: number, seconds: number): MetricsPoint[] {
    const last = Math.floor(now / 1000);
    const out: MetricsPoint[] = [];
    for (let second = last - seconds + 1; second <= last; second++) {
      const i = ((second % this.size) + this.size) % this.size;
      if (this.#second[i] === second) {
        const queued = this.queued[i]!;
        out.push({
          at: second * 1000,
          enqueued: this.enqueued[i]!,
          started: this.started[i]!,
          completed: this.completed[i]!,
          failed: this.failed[i]!,
          queued: Number.isNaN(queued) ? null : queued,
        });
      } else {
        out.push({ at: second * 1000, enqueued: 0, started: 0, completed: 0, failed: 0, queued: null });
      }
    }
    return out;
  }
}
