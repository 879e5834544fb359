/**
 * Run times for the percentiles: a log-linear histogram (HDR Histogram's layout). Chosen
 * over a reservoir because it is bounded (1,024 counters, allocated on the first run),
 * records in O(1) with no allocation, counts every run rather than a random sample (so
 * results are deterministic), and merges by adding counters — which is how the total
 * and the per-queue and per-kind percentiles are all made from one histogram per
 * (queue, kind) pair. The price: a percentile is a bucket's midpoint, within 1/64 (1.6%)
 * of the true value, and covers every run since start rather than a recent window (the
 * per-second series shows recent activity).
 */

/** Sub-buckets per power of two: 2^5 = 32, so a bucket is 1/32 of its octave wide. */
const SUB_BITS = 5;
const SUB = 1 << SUB_BITS;
/** 32 one-microsecond buckets, then 31 octaves of 32: up to 2^36 µs (about 19 hours). */
const BUCKETS = 1024;
const TWO_32 = 2 ** 32;

/** The bucket of a run time in ms; past the last bucket's range it is the last bucket. */
export function bucketOf(ms: number): number {
  const us = ms * 1000;
  if (!(us >= SUB)) return us > 0 ? Math.floor(us) : 0; // also NaN and negatives: bucket 0
  if (us < TWO_32) {
    // Below 2^32 µs (71 min) the integer ops do it: clz32 gives the octave, a shift the sub-bucket.
    const shift = 31 - Math.clz32(us) - SUB_BITS;
    return shift * SUB + (us >>> shift);
  }
  const e = Math.floor(Math.log2(us));
  const index = (e - SUB_BITS) * SUB + Math.floor(us / 2 ** (e - SUB_BITS));
  return index < BUCKETS ? index : BUCKETS - 1;
}

/** The [low, high) bounds of bucket `index`, in ms. */
export function bucketBounds(index: number): readonly [number, number] {
  if (index < 2 * SUB) return [index / 1000, (index + 1) / 1000];
  const e = Math.floor(index / SUB) + SUB_BITS - 1;
  const width = 2 ** (e - SUB_BITS);
  const low = (SUB + (index % SUB)) * width;
  return [low / 1000, (low + width) / 1000];
}

/** A histogram of run times in ms; see the module comment for why this shape. */
export class RunTimes {
  #counts: Float64Array | null = null;
  /** Runs recorded. */
  count = 0;
  /** Their total, ms. */
  sumMs = 0;
  /** The shortest and longest run, ms (exact: percentiles are clamped to them). */
  minMs = Infinity;
  maxMs = 0;

  /** Records one run of `ms` milliseconds. */
  record(ms: number): void {
    (this.#counts ??= new Float64Array(BUCKETS))[bucketOf(ms)]! += 1;
    this.count += 1;
    this.sumMs += ms;
    if (ms < this.minMs) this.minMs = ms;
    if (ms > this.maxMs) this.maxMs = ms;
  }

  /** Adds every run of `other` to this histogram. */
  merge(other: RunTimes): void {
    const theirs = other.#counts;
    if (theirs === null) return;
    const mine = (this.#counts ??= new Float64Array(BUCKETS));
    for (let i = 0; i < BUCKETS; i++) mine[i]! += theirs[i]!;
    this.count += other.count;
    this.sumMs += other.sumMs;
    if (other.minMs < this.minMs) this.minMs = other.minMs;
    if (other.maxMs > this.maxMs) this.maxMs = other.maxMs;
  }

  /** The mean run time, ms (0 with no runs). */
  mean(): number {
    return this.count === 0 ? 0 : this.sumMs / this.count;
  }

  /**
   * The `p`th percentile (0 < p ≤ 100, nearest rank), ms: the midpoint of the bucket
   * holding that rank, clamped to the exact min and max. 0 with no runs.
   */
  percentile(p: number): number {
    const counts = this.#counts;
    if (counts === null || this.count === 0) return 0;
    const rank = Math.max(1, Math.ceil((p / 100) * this.count));
    let seen = 0;
    for (let i = 0; i < BUCKETS; i++) {
      seen += counts[i]!;
      if (seen >= rank) {
        if (i === BUCKETS - 1) return this.maxMs; // the overflow bucket has no useful midpoint
        const [low, high] = bucketBounds(i);
        return Math.min(this.maxMs, Math.max(this.minMs, (low + high) / 2));
      }
    }
    return this.maxMs;
  }
}
