/**
 * The memory store's transition helpers over its tables: moving a job to a new record, ending it,
 * the dependency graph (waking and cascading), unique lookups, deletion and batch inserts. The
 * store sets `now` at the start of each step and collects the queues that woke for its events. Jobs
 * are addressed by their numeric `seq` (the id as a number) so no step parses an id twice.
 */
import { isFinal, JobTables } from './memory-tables.js';
import type { BatchPlan } from './memory-plan.js';
import { initialState, insertPlanned, newRecord } from './memory-plan.js';
import type { BatchSteps } from './memory-plan.js';
import type { CheckedInsert } from './memory-validate.js';
import type { Row, Table } from '../runtime/table/index.js';
import type {
  InsertResult,
  JobError,
  JobRecord,
  JobState,
  Json,
  Lease,
  StoreEvent,
  UniqueSpec,
} from './types.js';

/** A record's fields as a transition may change them. */
export type JobChanges = Partial<{ -readonly [K in keyof JobRecord]: JobRecord[K] }>;

const PENDING: ReadonlySet<JobState> = new Set(['scheduled', 'available', 'waiting', 'retryable']);

/** Tables plus the transitions built on them. */
export class JobOps extends JobTables {
  /** The current step's time. */
  now = 0;
  /**
   * Queues whose jobs became fetchable (or scheduled) in this step, with the earliest runAt of
   * each: `#wokenCount` entries of two reused arrays, searched linearly (a step touches few
   * queues). A Map cost an allocation per step, in `clear()`.
   */
  readonly #wokenQueue: string[] = [];
  readonly #wokenAt: number[] = [];
  #wokenCount = 0;
  /** Other events of this step, delivered once it commits. */
  readonly events: StoreEvent[] = [];
  #seq = 0;

  /** Stores `prev` (job `seq`) with `changes` and returns the new (frozen) record. */
  move(seq: number, prev: JobRecord, changes: JobChanges): JobRecord {
    const next = withChanges(prev, changes);
    this.put(seq, prev, next);
    return next;
  }

  /**
   * Ends job `seq` in a final state, with `result` and `errors` (by default its own): a completed
   * one wakes its waiting dependants, a discarded or cancelled one cancels them.
   */
  end(
    seq: number,
    prev: JobRecord,
    state: JobState,
    result: Json | null = prev.result,
    errors: readonly JobError[] = prev.errors,
  ): JobRecord {
    const p = prev;
    const now = this.now;
    const job = record(
      p,
      state,
      p.attempt,
      p.runAt,
      p.attemptedAt,
      now,
      errors,
      result,
      p.progress,
      null,
      p.cancelRequested,
    );
    this.put(seq, prev, job);
    // Most jobs have no dependants: one Map lookup spares the walk (and its array).
    if (this.children.member(seq)) {
      if (state === 'completed') this.wakeChildren(seq);
      else this.cascade(seq);
    }
    return job;
  }

  /** Hands job `seq` to a fetcher: executing under `lease`, its attempt counted. */
  take(seq: number, prev: JobRecord, lease: Lease): JobRecord {
    const p = prev;
    const now = this.now;
    const job = record(
      p,
      'executing',
      p.attempt + 1,
      p.runAt,
      now,
      p.finishedAt,
      p.errors,
      p.result,
      p.progress,
      lease,
      p.cancelRequested,
    );
    this.put(seq, prev, job);
    return job;
  }

  /** Cancels the waiting dependants of `seq`, and theirs, breadth first. */
  cascade(seq: number): void {
    const queue = [seq];
    const ids: string[] = [];
    for (let i = 0; i < queue.length; i++) {
      for (const [, child] of this.children.lookup(queue[i] as number)) {
        const job = this.bySeq(child);
        if (job?.state !== 'waiting') continue;
        this.move(child, job, { state: 'cancelled', finishedAt: this.now });
        ids.push(job.id);
        queue.push(child);
      }
    }
    // Nobody else sees these jobs end (no worker held them), so tell the subscribers.
    if (ids.length > 0)
      this.events.push(Object.freeze({ type: 'cascade_cancelled', ids: Object.freeze(ids) }));
  }

  /** Makes waiting dependants of `seq` whose parents have all completed (or are gone) runnable. */
  wakeChildren(seq: number): void {
    for (const [, child] of this.children.lookup(seq)) {
      const job = this.bySeq(child);
      if (job?.state !== 'waiting') continue;
      const state = this.readiness(job.dependsOn, job.runAt);
      if (state !== 'waiting') this.woke(this.move(child, job, { state }));
    }
  }

  /** The state a job with these parents and runAt starts in (a dead parent cancels it). */
  readiness(parents: readonly string[], runAt: number): JobState {
    let waiting = false;
    for (const id of parents) {
      const state = this.byId(id)?.state ?? 'completed';
      if (state === 'discarded' || state === 'cancelled') return 'cancelled';
      if (state !== 'completed') waiting = true;
    }
    return waiting ? 'waiting' : runAt > this.now ? 'scheduled' : 'available';
  }

  /** The newest job with this unique key that still counts (state in states, inside the period). */
  duplicateOf(spec: UniqueSpec): JobRecord | undefined {
    const rows = this.unique.lookup(spec.key);
    for (let i = rows.length - 1; i >= 0; i--) {
      const job = this.bySeq((rows[i] as [string, number])[1]);
      if (job === undefined || !spec.states.includes(job.state)) continue;
      // Inside the period while now - insertedAt < periodMs.
      if (spec.periodMs === null || this.now - job.insertedAt < spec.periodMs) return job;
    }
    return undefined;
  }

  /**
   * Deletes job `seq` and its index rows; an unfinished job's waiting dependants are cancelled.
   * (If the step is undone, a unique row comes back last among its key's rows; deleting cannot
   * fail once its ids are checked, so no step undoes one today.)
   */
  remove(seq: number, job: JobRecord): void {
    if (PENDING.has(job.state)) this.cascade(seq);
    this.put(seq, job, undefined);
    if (job.uniqueKey !== null) this.#dropRow(this.unique, [job.uniqueKey, seq]);
    for (const row of this.children.take(seq)) this.onUndo(() => this.children.insert(row));
    for (const p of job.dependsOn) this.#dropRow(this.children, [Number(p), seq]);
  }

  /** Notes that `job` became fetchable (or will at its runAt), for one `inserted` event per queue. */
  woke(job: JobRecord): void {
    if (job.state !== 'available' && job.state !== 'scheduled' && job.state !== 'retryable') return;
    const n = this.#wokenCount;
    for (let i = 0; i < n; i++) {
      if (this.#wokenQueue[i] === job.queue) {
        if (job.runAt < (this.#wokenAt[i] as number)) this.#wokenAt[i] = job.runAt;
        return;
      }
    }
    this.#wokenQueue[n] = job.queue;
    this.#wokenAt[n] = job.runAt;
    this.#wokenCount = n + 1;
  }

  /** How many queues woke in this step. */
  get wokenCount(): number {
    return this.#wokenCount;
  }

  /** The queues that woke in this step as `inserted` events (when `into` is given), and forgets them. */
  drainWoken(into?: StoreEvent[]): void {
    if (into !== undefined) {
      for (let i = 0; i < this.#wokenCount; i++) {
        into.push(
          Object.freeze({
            type: 'inserted',
            queue: this.#wokenQueue[i] as string,
            runAt: this.#wokenAt[i] as number,
          }),
        );
      }
    }
    this.#wokenCount = 0;
  }

  /** Stores a checked, planned batch (call inside `atomic`); results in input order. */
  insertBatch(items: readonly CheckedInsert[], plan: BatchPlan): InsertResult[] {
    return insertPlanned(items, plan, this.#batchSteps);
  }

  readonly #batchSteps: BatchSteps = {
    duplicateOf: (item) => (item.unique === null ? undefined : this.duplicateOf(item.unique)),
    insert: (item, dependsOn) => this.#insertOne(++this.#seq, item, dependsOn),
  };

  #insertOne(seq: number, item: CheckedInsert, dependsOn: readonly string[]): JobRecord {
    const now = this.now;
    const state = initialState(item, dependsOn, now, (parents, runAt) => this.readiness(parents, runAt));
    const job = newRecord(String(seq), item, state, dependsOn, now);
    this.put(seq, undefined, job);
    if (item.unique !== null) this.#addRow(this.unique, [item.unique.key, seq]);
    for (let i = 0; i < dependsOn.length; i++) this.#addRow(this.children, [Number(dependsOn[i]), seq]);
    this.woke(job);
    return job;
  }

  /** Inserts a side-table row, undone with the step. */
  #addRow<R extends Row>(table: Table<R>, row: NoInfer<R>): void {
    table.insert(row);
    this.onUndo(() => table.deleteObject(row));
  }

  /** Deletes a side-table row, put back if the step is undone. */
  #dropRow<R extends Row>(table: Table<R>, row: NoInfer<R>): void {
    if (table.deleteObject(row)) this.onUndo(() => table.insert(row));
  }
}

/** A frozen copy of `p` with `c` applied (an undefined field is unchanged). */
function withChanges(p: JobRecord, c: JobChanges): JobRecord {
  return record(
    p,
    c.state ?? p.state,
    c.attempt ?? p.attempt,
    c.runAt ?? p.runAt,
    c.attemptedAt !== undefined ? c.attemptedAt : p.attemptedAt,
    c.finishedAt !== undefined ? c.finishedAt : p.finishedAt,
    c.errors ?? p.errors,
    c.result !== undefined ? c.result : p.result,
    c.progress !== undefined ? c.progress : p.progress,
    c.lease !== undefined ? c.lease : p.lease,
    c.cancelRequested ?? p.cancelRequested,
  );
}

/**
 * A new frozen record of job `p` with the fields a transition may change. Every record is built
 * by this one literal or by insert's, in the same field order, so all records share one V8 shape
 * and reads of their fields stay monomorphic; the fields are passed positionally, not as a
 * changes object, because that object (grown by each transition) was the step's largest allocation.
 */
function record(
  p: JobRecord,
  state: JobState,
  attempt: number,
  runAt: number,
  attemptedAt: number | null,
  finishedAt: number | null,
  errors: readonly JobError[],
  result: Json | null,
  progress: Json | null,
  lease: Lease | null,
  cancelRequested: boolean,
): JobRecord {
  return Object.freeze({
    id: p.id,
    kind: p.kind,
    queue: p.queue,
    payload: p.payload,
    state,
    priority: p.priority,
    attempt,
    maxAttempts: p.maxAttempts,
    runAt,
    insertedAt: p.insertedAt,
    attemptedAt,
    finishedAt,
    timeoutMs: p.timeoutMs,
    dependsOn: p.dependsOn,
    uniqueKey: p.uniqueKey,
    errors,
    result,
    progress,
    lease,
    cancelRequested,
    tags: p.tags,
  });
}

export { isFinal };
