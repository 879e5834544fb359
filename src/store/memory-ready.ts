/**
 * One queue's available jobs in fetch order — priority, then runAt, then seq (insertion order) —
 * on runtime Tables, for the memory store.
 *
 * Why two tables per priority: nearly every job becomes available in that very order (inserted
 * now, with runAt = now, so runAt never decreases as seq grows). For those the seq alone is the
 * fetch order, so they go in `fifo`, keyed by the seq: a number key, which the B+ tree compares
 * inline and the Table neither checks element by element nor freezes, and which allocates no key
 * tuple. A job that would sort before the newest `fifo` entry (a released, rescued, staged or
 * retried job keeps its old seq; a job inserted with an earlier runAt) goes in `late`, keyed
 * [runAt, seq]. The next job is the smaller of the two heads. Measured on bench/store.bench.ts:
 * the [priority, runAt, seq] tuple key cost about a third more per insert and per fetch.
 *
 * `fifo` is a SeqQueue, not a Table: its entries arrive in increasing seq and nearly always
 * leave from the head, so an array with a head index and a membership set takes and appends in
 * O(1), where an ordered_set paid a B+ tree descent and rebalance per job (~8% of a no-op job).
 */
import { Table } from '../runtime/table/index.js';

type LateKey = readonly [runAt: number, seq: number];

/** Priorities run from 0 to 9. */
const LEVELS = 10;

/** A queue's ready jobs, per priority. */
export class ReadyIndex {
  readonly #fifo: (SeqQueue | undefined)[] = new Array<undefined>(LEVELS);
  readonly #late: (Table<[key: LateKey]> | undefined)[] = new Array<undefined>(LEVELS);
  /** Jobs in `fifo` and in `late`, per priority. */
  readonly #fifoSize = new Int32Array(LEVELS);
  readonly #lateSize = new Int32Array(LEVELS);
  /** The seq and runAt of the newest `fifo` entry per priority: a new entry must sort after it. */
  readonly #lastSeq = new Float64Array(LEVELS);
  readonly #lastRunAt = new Float64Array(LEVELS);
  /** The runAt of a ready job, to compare the heads of `fifo` and `late`. */
  readonly #runAtOf: (seq: number) => number;

  /** An empty index; `runAtOf` reads a stored job's runAt. */
  constructor(runAtOf: (seq: number) => number) {
    this.#runAtOf = runAtOf;
  }

  /** Adds a ready job. */
  add(priority: number, runAt: number, seq: number): void {
    if (
      this.#fifoSize[priority] === 0 ||
      (seq > (this.#lastSeq[priority] as number) && runAt >= (this.#lastRunAt[priority] as number))
    ) {
      (this.#fifo[priority] ??= new SeqQueue()).push(seq);
      this.#fifoSize[priority] = (this.#fifoSize[priority] as number) + 1;
      this.#lastSeq[priority] = seq;
      this.#lastRunAt[priority] = runAt;
    } else {
      (this.#late[priority] ??= newTable<[key: LateKey]>()).insert([[runAt, seq]]);
      this.#lateSize[priority] = (this.#lateSize[priority] as number) + 1;
    }
  }

  /** Removes a ready job (it must be in the index). */
  remove(priority: number, runAt: number, seq: number): void {
    // Nearly always in `fifo`, found by one delete; a miss there means it is in `late`.
    if (this.#fifo[priority]?.remove(seq) === true) {
      this.#fifoSize[priority] = (this.#fifoSize[priority] as number) - 1;
    } else {
      this.#late[priority]?.delete([runAt, seq]);
      this.#lateSize[priority] = (this.#lateSize[priority] as number) - 1;
    }
  }

  /** The seq of the next job to fetch, or undefined when none is ready. */
  first(): number | undefined {
    for (let p = 0; p < LEVELS; p++) {
      const inFifo = this.#fifoSize[p] as number;
      const inLate = this.#lateSize[p] as number;
      if (inFifo + inLate === 0) continue;
      const head = inFifo > 0 ? (this.#fifo[p] as SeqQueue).first() : undefined;
      if (inLate === 0) return head;
      const late = (this.#late[p] as Table<[key: LateKey]>).first() as LateKey;
      if (head === undefined) return late[1];
      const runAt = this.#runAtOf(head);
      return runAt < late[0] || (runAt === late[0] && head < late[1]) ? head : late[1];
    }
    return undefined;
  }

  /** Every ready job's seq, in fetch order (O(n log n): for tests and debugging). */
  toList(): number[] {
    const out: number[] = [];
    for (let p = 0; p < LEVELS; p++) {
      const level: (readonly [runAt: number, seq: number])[] = [
        ...(this.#fifo[p]?.toList() ?? []).map((seq) => [this.#runAtOf(seq), seq] as const),
        ...(this.#late[p]?.toList() ?? []).map(([key]) => key),
      ];
      level.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
      for (const [, seq] of level) out.push(seq);
    }
    return out;
  }

  /** Drops the tables (the store is closed). */
  drop(): void {
    this.#fifo.fill(undefined);
    for (const t of this.#late) t?.drop();
  }
}

function newTable<R extends [unknown]>(): Table<R> {
  return Table.new<R>({ type: 'ordered_set', access: 'private' });
}

/**
 * Seqs in increasing order, taken mostly from the head: an array with a head index, and a set of
 * the members (a removal from the middle, rare, only leaves the set; `first` skips such holes).
 */
class SeqQueue {
  #items: number[] = [];
  #head = 0;
  readonly #members = new Set<number>();

  /** Appends `seq`, which is above every seq in the queue. */
  push(seq: number): void {
    this.#items.push(seq);
    this.#members.add(seq);
  }

  /** Removes `seq`; false when it is not in the queue. */
  remove(seq: number): boolean {
    if (!this.#members.delete(seq)) return false;
    if (this.#items[this.#head] === seq) this.#head++;
    return true;
  }

  /** The smallest seq, or undefined when empty. */
  first(): number | undefined {
    const items = this.#items;
    while (this.#head < items.length && !this.#members.has(items[this.#head] as number)) this.#head++;
    if (this.#head >= items.length) {
      this.#items = [];
      this.#head = 0;
      return undefined;
    }
    // Drop the taken prefix now and then, so the array does not keep every seq ever queued.
    if (this.#head > 4096 && this.#head * 2 > items.length) {
      this.#items = items.slice(this.#head);
      this.#head = 0;
    }
    return this.#items[this.#head];
  }

  /** The members in order. */
  toList(): number[] {
    return this.#items.slice(this.#head).filter((seq) => this.#members.has(seq));
  }
}
