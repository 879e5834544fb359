/**
 * The memory store's data: runtime Tables, one per access path, kept in step by one function
 * (`put`), so no transition can forget an index. Jobs are frozen JobRecord snapshots (a
 * transition stores a new record, never edits one), which is why a stored record can be handed
 * to callers as it is.
 *
 * | table    | type        | key                       | holds                                        |
 * |----------|-------------|---------------------------|----------------------------------------------|
 * | jobs     | set         | seq (the numeric id)      | every job's current record                   |
 * | ids      | IdPages     | seq / 1024                | pages of ids in use: listJobs                |
 * | ready    | ReadyIndex  | seq, or [runAt, seq]      | per queue and priority: fetch                |
 * | timed    | ordered_set | [runAt, seq]              | scheduled and retryable: stageJobs           |
 * | running  | set         | seq                       | executing jobs: rescueJobs                   |
 * | finishes | FinishLog   | [finishedAt, chunk]       | final jobs by time: pruneJobs                |
 * | unique   | dup. bag    | uniqueKey                 | the jobs inserted with each key              |
 * | children | dup. bag    | parent seq                | dependants of each parent                    |
 *
 * IdPages and FinishLog are in memory-history.ts, ReadyIndex in memory-ready.ts.
 *
 * Why this shape (each measured on the store benchmark, bench/store.bench.ts):
 * - `jobs` is a hash `set` (a Map underneath), not an ordered_set: every transition reads and
 *   replaces the job's record, and a Map does that in O(1) where the B+ tree paid O(log n)
 *   compares twice. Id order lives in `ids`, which only insert and delete touch (a seq never
 *   changes), so transitions never pay for it.
 * - `running` is a hash set, not ordered by lease expiry: a fetch and a completion then cost two
 *   Map operations instead of two B+ tree operations, and a heartbeat none. rescueJobs walks it
 *   (O(executing jobs), which the workers' concurrency bounds; it runs every leaseMs / 2).
 * - `ready` is one index per queue, so a fetch takes the queue's first job, and its keys are
 *   plain seqs whenever insertion order is fetch order (see memory-ready.ts).
 * - `unique` and `children` are duplicate_bags: the store never inserts a row twice, and a bag's
 *   de-duplication compared each insert with every row of its key (O(k²) for a k-way fan-out).
 * - Steps are made atomic by a journal, not by Table transactions: nesting a transaction over
 *   every table cost more than the step itself (an undo snapshot, keyed by an encoded string,
 *   per key touched). Every change goes through `put` (or leaves an undo function), so the journal
 *   is a flat list of `put`s to replay backwards: a few array pushes per job.
 *
 * Per queue, the paused flag, counts by state and the ready table live in a QueueSlot.
 */
import { Table } from '../runtime/table/index.js';
import { FinishLog, IdPages } from './memory-history.js';
import { ReadyIndex } from './memory-ready.js';
import type { JobRecord, JobState, LeaseRef } from './types.js';
import { JOB_STATES } from './types.js';

type TimeKey = readonly [time: number, seq: number];

/** One queue: whether it is paused, its jobs per state (JOB_STATES order), its available jobs. */
export interface QueueSlot {
  readonly name: string;
  paused: boolean;
  readonly counts: Int32Array;
  readonly ready: ReadyIndex;
}

/** Index of each state in a counts array (JOB_STATES order). */
const COUNT_AT = Object.fromEntries(JOB_STATES.map((s, i) => [s, i])) as Record<JobState, number>;

const FINAL = new Set<JobState>(['completed', 'discarded', 'cancelled']);

/** Whether a state is final. */
export function isFinal(state: JobState): boolean {
  return FINAL.has(state);
}

/**
 * The numeric sequence behind an id, or undefined when `id` is not one this store made (digits,
 * no leading zero, a safe integer). Parsed by hand: `String(Number(id)) === id` allocated a
 * string on every lease transition.
 */
export function seqOf(id: string): number | undefined {
  const n = id.length;
  if (n === 0 || n > 16 || id.charCodeAt(0) === 48) return undefined;
  let seq = 0;
  for (let i = 0; i < n; i++) {
    const d = id.charCodeAt(i) - 48;
    if (d < 0 || d > 9) return undefined;
    seq = seq * 10 + d;
  }
  return seq <= Number.MAX_SAFE_INTEGER ? seq : undefined;
}

/** Journal slots per entry: [seq, prev, next] for a put, [-1, undo function, undefined] otherwise. */
const STRIDE = 3;

/** The memory store's tables and the index upkeep every transition goes through. */
export class JobTables {
  readonly jobs = Table.new<[seq: number, job: JobRecord]>({ type: 'set', access: 'private' });
  readonly ids = new IdPages();
  readonly timed = Table.new<[key: TimeKey]>({ type: 'ordered_set', access: 'private' });
  readonly running = Table.new<[seq: number]>({ type: 'set', access: 'private' });
  readonly finishes = new FinishLog();
  readonly unique = Table.new<[key: string, seq: number]>({ type: 'duplicate_bag', access: 'private' });
  readonly children = Table.new<[parent: number, child: number]>({
    type: 'duplicate_bag',
    access: 'private',
  });
  /** Every queue seen (jobs inserted or paused), by name. */
  readonly queues = new Map<string, QueueSlot>();
  /** Undo records of the running step (see STRIDE), `#length` slots of it in use. */
  #journal: unknown[] = [];
  #length = 0;
  #depth = 0;

  /** The job with `seq`, or undefined. */
  bySeq(seq: number): JobRecord | undefined {
    return this.jobs.get(seq)?.[1];
  }

  /** The job with `id`, or undefined (also for ids this store could not have made). */
  byId(id: string): JobRecord | undefined {
    const seq = seqOf(id);
    return seq === undefined ? undefined : this.bySeq(seq);
  }

  /** Whether a job with `id` is stored (one bound function, for planBatch: no closure per insert). */
  readonly exists = (id: string): boolean => this.byId(id) !== undefined;

  /** The job `heldBy` last found, so a lease transition reads it once. */
  held: JobRecord | undefined = undefined;

  /**
   * The seq of the job `lease` holds (then in `held`): 0 when there is no such job, -1 when it is
   * not executing under that token (a stale lease).
   */
  heldBy(lease: LeaseRef): number {
    const seq = seqOf(lease.id);
    const job = seq === undefined ? undefined : this.bySeq(seq);
    this.held = job;
    if (seq === undefined || job === undefined) return 0;
    return job.state === 'executing' && job.lease?.token === lease.token ? seq : -1;
  }

  /**
   * Runs `fn` as one step: if it throws, every change it made through `put` and `onUndo` is
   * undone, newest first, so a multi-row transition is all or nothing. Re-entrant: an inner call
   * joins the outer step. (The store's hot paths call `begin` / `commit` / `rollback` directly,
   * which spares a closure per call.)
   */
  atomic<T>(fn: () => T): T {
    if (this.#depth > 0) return fn();
    this.begin();
    let result: T;
    try {
      result = fn();
    } catch (err) {
      this.rollback();
      throw err;
    }
    this.commit();
    return result;
  }

  /** Starts a step: changes are journaled until `commit` or `rollback`. */
  begin(): void {
    this.#depth = 1;
  }

  /** Ends a step whose changes stand. */
  commit(): void {
    this.#depth = 0;
    this.#clearJournal();
  }

  /** Ends a step by undoing its changes, newest first. */
  rollback(): void {
    const journal = this.#journal;
    this.#depth = 0; // the undoing puts must not be journaled themselves
    for (let i = this.#length - STRIDE; i >= 0; i -= STRIDE) {
      const seq = journal[i] as number;
      if (seq < 0) (journal[i + 1] as () => void)();
      else this.put(seq, journal[i + 2] as JobRecord | undefined, journal[i + 1] as JobRecord | undefined);
    }
    this.#clearJournal();
  }

  /** Registers how to undo a change made outside `put`, if the running step fails. */
  onUndo(undo: () => void): void {
    if (this.#depth > 0) this.#record(-1, undo, undefined);
  }

  /**
   * Appends one undo entry. The array is reused from step to step (entries overwritten, the used
   * part cleared at the end): emptying it with `length = 0` made V8 drop its backing store, so
   * every step reallocated it.
   */
  #record(seq: number, a: unknown, b: unknown): void {
    const journal = this.#journal;
    const at = this.#length;
    journal[at] = seq;
    journal[at + 1] = a;
    journal[at + 2] = b;
    this.#length = at + STRIDE;
  }

  #clearJournal(): void {
    const n = this.#length;
    this.#length = 0;
    // A small step's entries are left to be overwritten (they keep at most a few old records
    // alive); a bigger one's are cleared so its records can be collected, and a huge step's
    // array is let go.
    if (n > 3 * 1024) this.#journal = [];
    else if (n > 3 * 64) this.#journal.fill(undefined, 0, n);
  }

  /** The queue's slot, registering the queue (unpaused, no jobs) if it is new. */
  ensureQueue(queue: string): QueueSlot {
    let slot = this.queues.get(queue);
    if (slot === undefined) {
      const made: QueueSlot = {
        name: queue,
        paused: false,
        counts: new Int32Array(JOB_STATES.length),
        ready: new ReadyIndex((seq) => (this.bySeq(seq) as JobRecord).runAt),
      };
      this.queues.set(queue, made);
      this.onUndo(() => {
        this.queues.delete(queue);
        made.ready.drop();
      });
      slot = made;
    }
    return slot;
  }

  /**
   * Stores `next` in place of `prev` for job `seq` (either may be absent: an insert or a delete)
   * and moves the job between the state indexes and counts. Both records must describe that job.
   */
  put(seq: number, prev: JobRecord | undefined, next: JobRecord | undefined): void {
    // The slot first: a new queue's undo must be journaled before the put that needs it.
    const slot = this.ensureQueue(((next ?? prev) as JobRecord).queue);
    if (this.#depth > 0) this.#record(seq, prev, next);
    if (next !== undefined) {
      this.jobs.insert([seq, next]);
      if (prev === undefined) this.ids.add(seq);
    } else {
      this.jobs.delete(seq);
      this.ids.remove(seq);
    }
    if (prev === undefined || next === undefined || !sameIndex(prev, next)) {
      if (prev !== undefined) this.#unindex(slot, prev, seq);
      if (next !== undefined) this.#index(slot, next, seq);
    }
    if (prev?.state !== next?.state) {
      const counts = slot.counts;
      if (prev !== undefined) counts[COUNT_AT[prev.state]] = (counts[COUNT_AT[prev.state]] as number) - 1;
      if (next !== undefined) counts[COUNT_AT[next.state]] = (counts[COUNT_AT[next.state]] as number) + 1;
    }
  }

  #index(slot: QueueSlot, job: JobRecord, seq: number): void {
    switch (job.state) {
      case 'available':
        slot.ready.add(job.priority, job.runAt, seq);
        return;
      case 'scheduled':
      case 'retryable':
        this.timed.insert([[job.runAt, seq]]);
        return;
      case 'executing':
        this.running.insert([seq]);
        return;
      case 'completed':
      case 'discarded':
      case 'cancelled':
        this.finishes.add(job.finishedAt as number, seq);
        return;
      case 'waiting':
        return;
    }
  }

  #unindex(slot: QueueSlot, job: JobRecord, seq: number): void {
    switch (job.state) {
      case 'available':
        slot.ready.remove(job.priority, job.runAt, seq);
        return;
      case 'scheduled':
      case 'retryable':
        this.timed.delete([job.runAt, seq]);
        return;
      case 'executing':
        this.running.delete(seq);
        return;
      case 'completed':
      case 'discarded':
      case 'cancelled':
        // The finish log is pruned lazily: its row for this job is now stale (see FinishLog).
        return;
      case 'waiting':
        return;
    }
  }

  /** Drops every table (the store is closed). */
  drop(): void {
    for (const t of [this.jobs, this.running, this.timed]) t.drop();
    this.ids.drop();
    this.finishes.drop();
    this.unique.drop();
    this.children.drop();
    for (const slot of this.queues.values()) slot.ready.drop();
    this.queues.clear();
  }
}

/** Whether two versions of a job sit under the same index key (so the index need not change). */
function sameIndex(a: JobRecord, b: JobRecord): boolean {
  if (a.state !== b.state) return false;
  switch (a.state) {
    case 'available':
      return a.priority === b.priority && a.runAt === b.runAt;
    case 'scheduled':
    case 'retryable':
      return a.runAt === b.runAt;
    case 'executing':
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
