/**
 * Exercise 1's per-chunk work, as a ThreadPool worker module: plain exported functions, no
 * runtime imports (a thread boots faster), no top-level await (tsx loads it with require in
 * the thread). The main thread imports the same functions for the sequential run, so both
 * runs compute exactly the same thing.
 *
 * Fixes the seed's `parse_line`, which crashes the whole chunk on a malformed line (a failed
 * match, or `String.to_float` on "42"): here a bad line is a counted error with a sample kept.
 */

/** One chunk of non-blank, trimmed lines, with each line's 1-based number in the file. */
export interface Chunk {
  /** The chunk's position in the file, from 0. */
  readonly index: number;
  /** The lines' numbers in the file (blank lines are skipped, so they need not be consecutive). */
  readonly lineNos: readonly number[];
  /** The trimmed lines. */
  readonly lines: readonly string[];
}

/** A parsed line: the seed's `%{timestamp, value}`. */
export interface Reading {
  readonly timestamp: number;
  readonly value: number;
}

/** A malformed line, kept as a sample so the report can show what was wrong. */
export interface LineError {
  /** 1-based line number in the file. */
  readonly line: number;
  /** The line, cut to 80 characters. */
  readonly text: string;
  /** What was wrong with it. */
  readonly reason: string;
}

/** The seed's three categories. */
export type Category = 'low' | 'medium' | 'high';

/** How many readings fell in each category. */
export type Categories = Record<Category, number>;

/** The aggregate of one chunk (or, merged, of a whole file). */
export interface ChunkAggregate {
  /** Valid readings (value > 0). */
  readonly count: number;
  /** Their values' sum, correctly rounded (see `sumPartials`). */
  readonly sum: number;
  /**
   * The exact sum as non-overlapping floats (Shewchuk), so sums merge without rounding error:
   * the merged total is the same whatever order the chunks finish in.
   */
  readonly sumPartials: readonly number[];
  /** Readings per category. */
  readonly categories: Categories;
  /** Lines that parsed but failed the seed's `valid?` (value ≤ 0): dropped, not errors. */
  readonly filtered: number;
  /** Malformed lines. */
  readonly errors: number;
  /** The first malformed lines (at most MAX_ERROR_SAMPLES), by line number. */
  readonly errorSamples: readonly LineError[];
}

/** How many malformed lines a chunk (and a file's aggregate) keeps as samples. */
export const MAX_ERROR_SAMPLES = 10;

/** A line containing this makes `processChunkOrSpin` spin forever: a stand-in for a runaway chunk. */
export const SPIN_MARKER = '#spin-forever';

const INTEGER = /^[+-]?\d+$/;
const DECIMAL = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;

/**
 * Parses `timestamp,value` (an integer and a decimal number); throws a SyntaxError saying
 * what is wrong otherwise. Stricter than parseInt/parseFloat, which accept "12abc".
 */
export function parseLine(line: string): Reading {
  const fields = line.split(',');
  if (fields.length !== 2) throw new SyntaxError(`expected 2 fields, got ${fields.length}`);
  const ts = fields[0]!.trim();
  const v = fields[1]!.trim();
  const timestamp = Number(ts);
  if (!INTEGER.test(ts) || !Number.isSafeInteger(timestamp)) {
    throw new SyntaxError(`timestamp is not an integer: ${JSON.stringify(ts)}`);
  }
  const value = Number(v);
  if (!DECIMAL.test(v) || !Number.isFinite(value)) {
    throw new SyntaxError(`value is not a finite number: ${JSON.stringify(v)}`);
  }
  return { timestamp, value };
}

/** The seed's `valid?`: only positive values count. */
export function isValid(reading: Reading): boolean {
  return reading.value > 0;
}

/** The seed's `categorize`: low below 33, medium below 66, high otherwise. */
export function categorize(value: number): Category {
  return value < 33 ? 'low' : value < 66 ? 'medium' : 'high';
}

/** The seed's `transform`: adds the normalized value and the category. */
export function transform(reading: Reading): Reading & { normalized: number; category: Category } {
  const { timestamp, value } = reading;
  return { timestamp, value, normalized: value / 100, category: categorize(value) };
}

/**
 * The seed's `process_chunk`: parse, keep valid readings, transform, aggregate. Never throws
 * for bad input: a malformed line is counted in `errors`, with a sample kept.
 */
export function processChunk(chunk: Chunk): ChunkAggregate {
  const categories: Categories = { low: 0, medium: 0, high: 0 };
  const sum = new ExactSum();
  const errorSamples: LineError[] = [];
  let count = 0;
  let filtered = 0;
  let errors = 0;
  chunk.lines.forEach((line, i) => {
    let reading: Reading;
    try {
      reading = parseLine(line);
    } catch (err) {
      errors++;
      if (errorSamples.length < MAX_ERROR_SAMPLES) {
        const reason = err instanceof Error ? err.message : String(err);
        errorSamples.push({ line: chunk.lineNos[i] ?? -1, text: line.slice(0, 80), reason });
      }
      return;
    }
    if (!isValid(reading)) {
      filtered++;
      return;
    }
    const record = transform(reading);
    count++;
    sum.add(record.value);
    categories[record.category]++;
  });
  return { count, sum: sum.value(), sumPartials: sum.partials(), categories, filtered, errors, errorSamples };
}

/** `processChunk`, except that a chunk holding SPIN_MARKER never returns (only killing the thread ends it). */
export function processChunkOrSpin(chunk: Chunk): ChunkAggregate {
  if (chunk.lines.some((line) => line.includes(SPIN_MARKER))) {
    for (;;) {
      // a runaway computation: it never yields, so no signal can reach it
    }
  }
  return processChunk(chunk);
}

/** An empty aggregate, the identity of `mergeAggregates`. */
export function emptyAggregate(): ChunkAggregate {
  return {
    count: 0,
    sum: 0,
    sumPartials: [],
    categories: { low: 0, medium: 0, high: 0 },
    filtered: 0,
    errors: 0,
    errorSamples: [],
  };
}

/**
 * Merges two aggregates. Commutative and associative, exactly (the sum included), so chunks
 * may be merged in whatever order they finish; error samples keep the lowest line numbers.
 */
export function mergeAggregates(a: ChunkAggregate, b: ChunkAggregate): ChunkAggregate {
  const sum = new ExactSum(a.sumPartials);
  for (const p of b.sumPartials) sum.add(p);
  return {
    count: a.count + b.count,
    sum: sum.value(),
    sumPartials: sum.partials(),
    categories: {
      low: a.categories.low + b.categories.low,
      medium: a.categories.medium + b.categories.medium,
      high: a.categories.high + b.categories.high,
    },
    filtered: a.filtered + b.filtered,
    errors: a.errors + b.errors,
    errorSamples: [...a.errorSamples, ...b.errorSamples]
      .sort((x, y) => x.line - y.line)
      .slice(0, MAX_ERROR_SAMPLES),
  };
}

/**
 * Exact floating-point summation (Shewchuk's algorithm, as in Python's `math.fsum`). Plain `+`
 * rounds at every step, so a sum depends on the order of its terms; this keeps the exact sum
 * as a few non-overlapping partials and rounds once, so the result does not.
 */
export class ExactSum {
  /** Non-overlapping, increasing in magnitude. */
  readonly #partials: number[];

  /** Starts from `partials` (another ExactSum's), or from zero. */
  constructor(partials: readonly number[] = []) {
    this.#partials = [...partials];
  }

  /** Adds `x` exactly. */
  add(x: number): void {
    const partials = this.#partials;
    let i = 0;
    for (let j = 0; j < partials.length; j++) {
      let y = partials[j]!;
      if (Math.abs(x) < Math.abs(y)) {
        const t = x;
        x = y;
        y = t;
      }
      const hi = x + y;
      const lo = y - (hi - x);
      if (lo !== 0) partials[i++] = lo;
      x = hi;
    }
    partials.length = i;
    partials.push(x);
  }

  /** The exact partials, to send elsewhere and merge. */
  partials(): number[] {
    return [...this.#partials];
  }

  /** The exact sum, correctly rounded to the nearest double (ties to even). */
  value(): number {
    const p = this.#partials;
    let n = p.length;
    if (n === 0) return 0;
    let hi = p[--n]!;
    let lo = 0;
    while (n > 0) {
      const x = hi;
      const y = p[--n]!;
      hi = x + y;
      lo = y - (hi - x);
      if (lo !== 0) break;
    }
    // Round half-even correctly when the rest of the partials pushes a tie one way.
    if (n > 0 && ((lo < 0 && p[n - 1]! < 0) || (lo > 0 && p[n - 1]! > 0))) {
      const y = lo * 2;
      const x = hi + y;
      if (y === x - hi) hi = x;
    }
    return hi;
  }
}
