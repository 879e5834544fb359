/**
 * The memory store's transition helpers over its tables: moving a job to a new record, ending it,
 * the dependency graph (waking and cascading), unique lookups, deletion and batch inserts. The
 * store sets `now` at the start of each step and collects `woken` queues for its events.
 */
import { isFinal, JobTables } from './memory-tables.js';
import type { BatchPlan } from './memory-plan.js';
import type { CheckedInsert } from './memory-validate.js';
import type { InsertResult, JobError, JobRecord, JobState, UniqueSpec } from './types.js';

/** A record's fields as a transition may change them. */
export type JobChanges = Partial<{ -readonly [K in keyof JobRecord]: JobRecord[K] }>;

const PENDING: ReadonlySet<JobState> = new Set(['scheduled', 'available', 'waiting', 'retryable']);
const NO_ERRORS: readonly JobError[] = Object.freeze([]);

/** Tables plus the transitions built on them. */
export class JobOps extends JobTables {
  /** The current step's time. */
  now = 0;
  /** queue → earliest runAt of jobs that became fetchable (or scheduled) in this step. */
  readonly woken = new Map<string, number>();
  #seq = 0;

  /** Stores `prev` with `changes` and returns the new (frozen) record. */
  move(prev: JobRecord, changes: JobChanges): JobRecord {
    const next = withChanges(prev, changes);
    this.put(prev, next);
    return next;
  }

  /** Ends a job in a final state (`changes`, a fresh object, is used up); a discarded or cancelled one cancels its waiting dependants. */
  end(prev: JobRecord, state: JobState, changes: JobChanges): JobRecord {
    changes.state = state;
    changes.finishedAt = this.now;
    changes.lease = null;
    const job = this.move(prev, changes);
    if (state === 'completed') this.wakeChildren(Number(job.id));
    else this.cascade(Number(job.id));
    return job;
  }

  /** Whether a transition of `job` may touch other jobs (so it needs `atomic`). */
  hasChildren(job: JobRecord): boolean {
    return this.children.member(Number(job.id));
  }

  /** Cancels the waiting dependants of `seq`, and theirs, breadth first. */
  cascade(seq: number): void {
    const queue = [seq];
    for (let i = 0; i < queue.length; i++) {
      for (const [, child] of this.children.lookup(queue[i] as number)) {
        const job = this.bySeq(child);
        if (job?.state !== 'waiting') continue;
        this.move(job, { state: 'cancelled', finishedAt: this.now });
        queue.push(child);
      }
    }
  }

  /** Makes waiting dependants of `seq` whose parents have all completed (or are gone) runnable. */
  wakeChildren(seq: number): void {
    for (const [, child] of this.children.lookup(seq)) {
      const job = this.bySeq(child);
      if (job?.state !== 'waiting') continue;
      const state = this.readiness(job.dependsOn, job.runAt);
      if (state !== 'waiting') this.woke(this.move(job, { state }));
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

  /** Deletes a job and its index rows; an unfinished job's waiting dependants are cancelled. */
  remove(job: JobRecord): void {
    const seq = Number(job.id);
    if (PENDING.has(job.state)) this.cascade(seq);
    this.put(job, undefined);
    if (job.uniqueKey !== null) this.unique.deleteObject([job.uniqueKey, seq]);
    this.children.delete(seq);
    for (const p of job.dependsOn) this.children.deleteObject([Number(p), seq]);
  }

  /** Notes that `job` became fetchable (or will at its runAt), for one `inserted` event per queue. */
  woke(job: JobRecord): void {
    if (job.state !== 'available' && job.state !== 'scheduled' && job.state !== 'retryable') return;
    const seen = this.woken.get(job.queue);
    if (seen === undefined || job.runAt < seen) this.woken.set(job.queue, job.runAt);
  }

  /** Stores a checked, planned batch (call inside `atomic`); results in input order. */
  insertBatch(items: readonly CheckedInsert[], plan: BatchPlan): InsertResult[] {
    const now = this.now;
    const results = new Array<InsertResult>(items.length);
    const idAt = new Array<string>(items.length);
    for (const i of plan.order) {
      const item = items[i] as CheckedInsert;
      const dup = item.unique === null ? undefined : this.duplicateOf(item.unique);
      if (dup !== undefined) {
        results[i] = Object.freeze({ job: dup, duplicate: true });
        idAt[i] = dup.id;
        continue;
      }
      const seq = ++this.#seq;
      const dependsOn = [...item.parentIds];
      for (const p of plan.refParents[i] as readonly number[]) {
        const id = idAt[p] as string;
        if (!dependsOn.includes(id)) dependsOn.push(id);
      }
      const state = this.readiness(dependsOn, item.runAt);
      const job: JobRecord = Object.freeze({
        id: String(seq),
        kind: item.kind,
        queue: item.queue,
        payload: item.payload,
        state,
        priority: item.priority,
        attempt: 0,
        maxAttempts: item.maxAttempts,
        runAt: item.runAt,
        insertedAt: now,
        attemptedAt: null,
        finishedAt: state === 'cancelled' ? now : null,
        timeoutMs: item.timeoutMs,
        dependsOn: Object.freeze(dependsOn),
        uniqueKey: item.unique?.key ?? null,
        errors: NO_ERRORS,
        result: null,
        progress: null,
        lease: null,
        cancelRequested: false,
        tags: item.tags,
      });
      this.put(undefined, job);
      if (item.unique !== null) this.unique.insert([item.unique.key, seq]);
      for (const p of dependsOn) this.children.insert([Number(p), seq]);
      this.woke(job);
      results[i] = Object.freeze({ job, duplicate: false });
      idAt[i] = job.id;
    }
    return results;
  }
}

/**
 * A frozen copy of `p` with `c` applied (an undefined field is unchanged). Spelled out rather than
 * spread: spreading a frozen record leaves V8's fast object-clone path, and this runs per transition.
 */
function withChanges(p: JobRecord, c: JobChanges): JobRecord {
  return Object.freeze({
    id: p.id,
    kind: p.kind,
    queue: p.queue,
    payload: p.payload,
    state: c.state ?? p.state,
    priority: p.priority,
    attempt: c.attempt ?? p.attempt,
    maxAttempts: p.maxAttempts,
    runAt: c.runAt ?? p.runAt,
    insertedAt: p.insertedAt,
    attemptedAt: c.attemptedAt !== undefined ? c.attemptedAt : p.attemptedAt,
    finishedAt: c.finishedAt !== undefined ? c.finishedAt : p.finishedAt,
    timeoutMs: p.timeoutMs,
    dependsOn: p.dependsOn,
    uniqueKey: p.uniqueKey,
    errors: c.errors ?? p.errors,
    result: c.result !== undefined ? c.result : p.result,
    progress: c.progress !== undefined ? c.progress : p.progress,
    lease: c.lease !== undefined ? c.lease : p.lease,
    cancelRequested: c.cancelRequested ?? p.cancelRequested,
    tags: p.tags,
  });
}

export { isFinal };
