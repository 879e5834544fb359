/**
 * The memory store's data: runtime Tables, one per access path, kept in step by one function
 * (`put`), so no transition can forget an index. Jobs are frozen JobRecord snapshots (a
 * transition stores a new record, never edits one), which is why a stored record can be handed
 * to callers as it is.
 *
 * | table    | type        | key                              | holds                               |
 * |----------|-------------|----------------------------------|-------------------------------------|
 * | jobs     | ordered_set | seq (the numeric id)             | every job; id order for listJobs    |
 * | ready    | ordered_set | [queue, priority, runAt, seq]    | available jobs: fetch walks a queue |
 * | timed    | ordered_set | [runAt, seq]                     | scheduled and retryable: stageJobs  |
 * | leases   | ordered_set | [expiresAt, seq]                 | executing: rescueJobs               |
 * | finished | ordered_set | [finishedAt, seq]                | final jobs: pruneJobs               |
 * | unique   | bag         | uniqueKey                        | the jobs inserted with each key     |
 * | children | bag         | parent seq                       | dependants of each parent           |
 * | queues   | set         | queue name                       | its paused flag                     |
 *
 * Per-queue counts by state live beside the tables in plain Int32Arrays (a Table row per
 * update cost more than every index together); `atomic` undoes them with the tables.
 */
import { Table } from '../runtime/table/index.js';
import type { JobRecord, JobState } from './types.js';
import { JOB_STATES } from './types.js';

type ReadyKey = readonly [queue: string, priority: number, runAt: number, seq: number];
type TimeKey = readonly [time: number, seq: number];

/** What `atomic` and `drop` need of every table. */
interface TableLike {
  transaction<T>(fn: () => T): T;
  drop(): void;
}

/** Index of each state in a counts array (JOB_STATES order). */
const COUNT_AT = Object.fromEntries(JOB_STATES.map((s, i) => [s, i])) as Record<JobState, number>;

const FINAL = new Set<JobState>(['completed', 'discarded', 'cancelled']);

/** Whether a state is final. */
export function isFinal(state: JobState): boolean {
  return FINAL.has(state);
}

/** The numeric sequence behind an id, or undefined when `id` is not one this store made. */
export function seqOf(id: string): number | undefined {
  const n = Number(id);
  return Number.isSafeInteger(n) && n > 0 && String(n) === id ? n : undefined;
}

/** The memory store's tables and the index upkeep every transition goes through. */
export class JobTables {
  readonly jobs = Table.new<[seq: number, job: JobRecord]>({ type: 'ordered_set', access: 'private' });
  readonly ready = Table.new<[key: ReadyKey]>({ type: 'ordered_set', access: 'private' });
  readonly timed = Table.new<[key: TimeKey]>({ type: 'ordered_set', access: 'private' });
  readonly leases = Table.new<[key: TimeKey]>({ type: 'ordered_set', access: 'private' });
  readonly finished = Table.new<[key: TimeKey]>({ type: 'ordered_set', access: 'private' });
  readonly unique = Table.new<[key: string, seq: number]>({ type: 'bag', access: 'private' });
  readonly children = Table.new<[parent: number, child: number]>({ type: 'bag', access: 'private' });
  readonly queues = Table.new<[name: string, paused: boolean]>({ type: 'set', access: 'private' });
  /** queue → jobs per state (JOB_STATES order). */
  readonly counts = new Map<string, Int32Array>();
  /** Count changes of the running `atomic` step, to undo if it throws: [counts, index, delta]. */
  readonly #countLog: [Int32Array, number, number][] = [];
  /** Queues first seen in the running `atomic` step (their counts go if it is undone). */
  readonly #newQueues: string[] = [];
  #depth = 0;
  readonly #all: readonly TableLike[] = [
    this.jobs,
    this.ready,
    this.timed,
    this.leases,
    this.finished,
    this.unique,
    this.children,
    this.queues,
  ];

  /** The job with `seq`, or undefined. */
  bySeq(seq: number): JobRecord | undefined {
    const rows = this.jobs.lookup(seq);
    return rows.length === 0 ? undefined : (rows[0] as [number, JobRecord])[1];
  }

  /** The job with `id`, or undefined (also for ids this store could not have made). */
  byId(id: string): JobRecord | undefined {
    const seq = seqOf(id);
    return seq === undefined ? undefined : this.bySeq(seq);
  }

  /**
   * Runs `fn` as one step: if it throws, every table is put back as it was (Table transactions,
   * nested over all tables) and so are the counts, so a multi-row transition is all or nothing.
   * Re-entrant: an inner call joins the outer step. Single-row transitions skip it: one `put`
   * validates nothing and cannot fail halfway.
   */
  atomic<T>(fn: () => T): T {
    if (this.#depth > 0) return fn();
    const all = this.#all;
    const run = (i: number): T =>
      i === all.length ? fn() : (all[i] as TableLike).transaction(() => run(i + 1));
    this.#depth++;
    try {
      return run(0);
    } catch (err) {
      for (let i = this.#countLog.length - 1; i >= 0; i--) {
        const [counts, at, delta] = this.#countLog[i] as [Int32Array, number, number];
        counts[at] = (counts[at] as number) - delta;
      }
      for (const queue of this.#newQueues) this.counts.delete(queue);
      throw err;
    } finally {
      this.#depth--;
      this.#countLog.length = 0;
      this.#newQueues.length = 0;
    }
  }

  /** Registers a queue (unpaused, no jobs) if it is new; returns its counts. */
  ensureQueue(queue: string): Int32Array {
    let counts = this.counts.get(queue);
    if (counts === undefined) {
      counts = new Int32Array(JOB_STATES.length);
      this.counts.set(queue, counts);
      if (this.#depth > 0) this.#newQueues.push(queue);
      if (!this.queues.member(queue)) this.queues.insert([queue, false]);
    }
    return counts;
  }

  /**
   * Stores `next` in place of `prev` (either may be absent: an insert or a delete) and moves the
   * job between the state indexes and counts. Both records must describe the same job.
   */
  put(prev: JobRecord | undefined, next: JobRecord | undefined): void {
    const job = (next ?? prev) as JobRecord;
    const seq = Number(job.id);
    if (prev !== undefined) {
      if (next === undefined || !sameIndex(prev, next)) this.#unindex(prev, seq);
    }
    if (next !== undefined) {
      this.jobs.insert([seq, next]);
      if (prev === undefined || !sameIndex(prev, next)) this.#index(next, seq);
    } else {
      this.jobs.delete(seq);
    }
    if (prev?.state !== next?.state) {
      const counts = this.ensureQueue(job.queue);
      if (prev !== undefined) this.#count(counts, COUNT_AT[prev.state], -1);
      if (next !== undefined) this.#count(counts, COUNT_AT[next.state], 1);
    }
  }

  #count(counts: Int32Array, at: number, delta: number): void {
    counts[at] = (counts[at] as number) + delta;
    if (this.#depth > 0) this.#countLog.push([counts, at, delta]);
  }

  #index(job: JobRecord, seq: number): void {
    switch (job.state) {
      case 'available':
        this.ready.insert([[job.queue, job.priority, job.runAt, seq]]);
        return;
      case 'scheduled':
      case 'retryable':
        this.timed.insert([[job.runAt, seq]]);
        return;
      case 'executing':
        this.leases.insert([[(job.lease as { expiresAt: number }).expiresAt, seq]]);
        return;
      case 'completed':
      case 'discarded':
      case 'cancelled':
        this.finished.insert([[job.finishedAt as number, seq]]);
        return;
      case 'waiting':
        return;
    }
  }

  #unindex(job: JobRecord, seq: number): void {
    switch (job.state) {
      case 'available':
        this.ready.delete([job.queue, job.priority, job.runAt, seq]);
        return;
      case 'scheduled':
      case 'retryable':
        this.timed.delete([job.runAt, seq]);
        return;
      case 'executing':
        this.leases.delete([(job.lease as { expiresAt: number }).expiresAt, seq]);
        return;
      case 'completed':
      case 'discarded':
      case 'cancelled':
        this.finished.delete([job.finishedAt as number, seq]);
        return;
      case 'waiting':
        return;
    }
  }

  /** Drops every table (the store is closed). */
  drop(): void {
    for (const t of this.#all) t.drop();
    this.counts.clear();
  }
}

/** Whether two versions of a job sit under the same index key (so the index need not change). */
function sameIndex(a: JobRecord, b: JobRecord): boolean {
  if (a.state !== b.state) return false;
  switch (a.state) {
    case 'available':
      return a.priority === b.priority && a.runAt === b.runAt && a.queue === b.queue;
    case 'scheduled':
    case 'retryable':
      return a.runAt === b.runAt;
    case 'executing':
      return a.lease?.expiresAt === b.lease?.expiresAt;
    case 'waiting':
      return true;
    default:
      return a.finishedAt === b.finishedAt;
  }
}

/** A queue's counts as a per-state record (non-zero only). */
export function countsOf(counts: Int32Array): Partial<Record<JobState, number>> {
  const out: Partial<Record<JobState, number>> = {};
  JOB_STATES.forEach((s, i) => {
    const n = counts[i] as number;
    if (n !== 0) out[s] = n;
  });
  return out;
}
