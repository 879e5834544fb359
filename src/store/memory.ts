/**
 * The in-memory Store, on runtime Tables (see memory-tables.ts for the indexes). Every method is
 * one synchronous step, so it is atomic for any number of async callers on the event loop, and
 * every step runs under the tables' journal (`atomic`), so a step that throws changes nothing.
 * Methods still return promises (and reject rather than throw) so callers see the same contract
 * as the SQL stores. Records are frozen snapshots: a transition stores a new record.
 *
 * Costs: fetch takes the queue's first ready jobs (O(log n) per job taken); insert is O(log n)
 * per job plus its parents; complete and the other lease transitions are O(1) (hash tables) plus
 * a job's dependants; stage and prune walk only due/old entries; rescue walks the executing jobs;
 * listJobs walks ids in order past those its filter skips. bench/store.bench.ts measures them
 * (`npx tsx bench/store.bench.ts`); the memory-*.ts files say why each structure is the way it is.
 */
import { coerceError, StoppedError } from '../runtime/errors.js';
import { report } from '../runtime/report.js';
import { assertFunction, invalidArgument } from '../runtime/validate.js';
import {
  cancelJobs,
  deleteJobs,
  heartbeat,
  pruneJobs,
  rescueJobs,
  retryJobs,
  stageJobs,
} from './memory-admin.js';
import { countJobs, listJobs, listQueues } from './memory-list.js';
import { JobOps } from './memory-ops.js';
import { planBatch } from './memory-plan.js';
import type { CheckedInsert } from './memory-validate.js';
import {
  assertIntegerMs,
  checkFetch,
  checkIds,
  checkInsert,
  checkJobError,
  checkCompletions,
  checkLease,
  freezeJson,
} from './memory-validate.js';
import { RateLog } from './memory-rate.js';
import type {
  CancelOutcome,
  Completion,
  CompletionResult,
  FetchRequest,
  HeartbeatResult,
  InsertResult,
  JobCounts,
  JobError,
  JobFilter,
  JobInsert,
  JobRecord,
  JobState,
  Json,
  Lease,
  LeaseRef,
  QueueInfo,
  Store,
  StoreCapabilities,
  StoreEvent,
  TransitionResult,
} from './types.js';

/** Options of `createMemoryStore`. */
export interface MemoryStoreOptions {
  /** The store's clock, ms since the epoch (a test passes a ManualClock's `now`). @default Date.now */
  readonly clock?: () => number;
}

/**
 * Creates an in-memory Store: not durable, one process. For tests and ephemeral work.
 * @example
 * const store = createMemoryStore({ clock: () => clock.now() });
 * const [{ job }] = await store.insertJobs([{ kind: 'email', queue: 'default', payload: {}, ... }]);
 */
export function createMemoryStore(opts: MemoryStoreOptions = {}): Store {
  if (typeof opts !== 'object' || opts === null) throw invalidArgument('opts', 'an options object', opts);
  const clock = opts.clock ?? Date.now;
  assertFunction('clock', clock);
  return new MemoryStore(clock);
}

const CAPABILITIES: StoreCapabilities = Object.freeze({
  durable: false,
  multiProcess: false,
  multiHost: false,
  crossProcessEvents: false,
});

type Failure = Extract<TransitionResult, { ok: false }>;
const STALE: Failure = Object.freeze({ ok: false, reason: 'stale' });
const NOT_FOUND: Failure = Object.freeze({ ok: false, reason: 'not_found' });

type Listener = (event: StoreEvent) => void;
/** A step's body: a function of the store and up to two arguments (see `#step`). */
type Step<T, A, B> = (s: MemoryStore, a: A, b: B) => T;

class MemoryStore implements Store {
  readonly kind = 'memory';
  readonly capabilities = CAPABILITIES;
  readonly #clock: () => number;
  readonly #t = new JobOps();
  readonly #rate = new Map<string, RateLog>();
  /** The listeners, as an array replaced on (un)subscribe: a step's delivery then copies nothing. */
  #listeners: readonly Listener[] = [];
  #token = 0;
  #closed = false;

  constructor(clock: () => number) {
    this.#clock = clock;
  }

  /** Nothing to prepare in memory; rejects after close. */
  open(): Promise<void> {
    return this.#step(() => undefined);
  }

  /** Drops every table; later calls reject with StoppedError. Idempotent. */
  close(): Promise<void> {
    if (!this.#closed) {
      this.#closed = true;
      this.#t.drop();
      this.#rate.clear();
      this.#listeners = [];
    }
    return Promise.resolve();
  }

  /** The store's clock. */
  now(): number {
    return this.#clock();
  }

  /** Inserts a batch atomically; see Store.insertJobs. */
  insertJobs(jobs: readonly JobInsert[]): Promise<InsertResult[]> {
    return this.#step(MemoryStore.#insert, jobs);
  }

  static #insert(s: MemoryStore, jobs: readonly JobInsert[]): InsertResult[] {
    if (!Array.isArray(jobs)) throw invalidArgument('jobs', 'an array of job inserts', jobs);
    const items = new Array<CheckedInsert>(jobs.length);
    for (let i = 0; i < jobs.length; i++) items[i] = checkInsert(jobs[i] as unknown, i);
    const t = s.#t;
    return t.insertBatch(items, planBatch(items, t.exists));
  }

  /** Takes up to `demand` available jobs under a lease; see Store.fetchJobs. */
  fetchJobs(request: FetchRequest): Promise<JobRecord[]> {
    return this.#step(MemoryStore.#fetch, request);
  }

  static #fetch(s: MemoryStore, request: FetchRequest): JobRecord[] {
    checkFetch(request);
    const t = s.#t;
    const { queue, owner, rateLimit } = request;
    const slot = t.queues.get(queue);
    if (slot === undefined || slot.paused) return [];
    let demand = request.demand;
    let log: RateLog | undefined;
    if (rateLimit !== undefined) {
      log = s.#rate.get(queue);
      if (log === undefined) s.#rate.set(queue, (log = new RateLog()));
      // A start at t counts while now - t < windowMs: any window of that length holds ≤ limit.
      log.dropUpTo(t.now - rateLimit.windowMs);
      demand = Math.min(demand, rateLimit.limit - log.size);
    }
    const now = t.now;
    const expiresAt = now + request.leaseMs;
    const out: JobRecord[] = [];
    // The queue's ready index holds exactly its available jobs in fetch order, so each job
    // taken is its first: no range walk.
    while (out.length < demand) {
      const seq = slot.ready.first();
      if (seq === undefined) break;
      const lease: Lease = Object.freeze({ owner, token: ++s.#token, expiresAt });
      out.push(t.take(seq, t.bySeq(seq) as JobRecord, lease));
    }
    if (log !== undefined) for (let i = 0; i < out.length; i++) log.push(now);
    return out;
  }

  /** executing → completed (or cancelled when asked); wakes dependants. */
  completeJob(lease: LeaseRef, result: Json | null): Promise<TransitionResult> {
    return this.#step(MemoryStore.#complete, lease, result);
  }

  static #complete(s: MemoryStore, lease: LeaseRef, result: Json | null): TransitionResult {
    checkLease(lease);
    const value = result === undefined || result === null ? null : freezeJson('result', result);
    return MemoryStore.#completeChecked(s, lease, value);
  }

  static #completeChecked(s: MemoryStore, lease: LeaseRef, value: Json | null): TransitionResult {
    const job = MemoryStore.#endHeld(s, lease, value);
    return 'ok' in job ? job : Object.freeze({ ok: true, job });
  }

  /** The completed (or, when asked, cancelled) record of the job `lease` holds, or why not. */
  static #endHeld(s: MemoryStore, lease: LeaseRef, value: Json | null): JobRecord | Failure {
    const t = s.#t;
    const seq = t.heldBy(lease);
    if (seq <= 0) return seq === 0 ? NOT_FOUND : STALE;
    const prev = t.held as JobRecord;
    return prev.cancelRequested ? t.end(seq, prev, 'cancelled') : t.end(seq, prev, 'completed', value);
  }

  /** Many completions in one step; see Store.completeJobs. */
  completeJobs(completions: readonly Completion[]): Promise<CompletionResult[]> {
    return this.#step(MemoryStore.#completeMany, completions);
  }

  static #completeMany(s: MemoryStore, completions: readonly Completion[]): CompletionResult[] {
    const results = checkCompletions(completions);
    const out = new Array<CompletionResult>(results.length);
    for (let i = 0; i < results.length; i++) {
      const lease = (completions[i] as Completion).lease;
      const job = MemoryStore.#endHeld(s, lease, results[i] as Json | null);
      out[i] =
        'ok' in job
          ? job
          : {
              ok: true,
              state: job.state as 'completed' | 'cancelled',
              finishedAt: job.finishedAt as number,
              job,
            };
    }
    return out;
  }

  /** executing → retryable at `retryAt`, or discarded (retryAt null or attempts used up); see Store.errorJob. */
  errorJob(lease: LeaseRef, error: JobError, retryAt: number | null): Promise<TransitionResult> {
    return this.#step(() => {
      checkLease(lease);
      const err = checkJobError('error', error);
      if (retryAt !== null) assertIntegerMs('retryAt', retryAt, 0);
      return this.#holding(lease, (seq, prev) => {
        const t = this.#t;
        const errors = Object.freeze([...prev.errors, err]);
        if (prev.cancelRequested) return t.end(seq, prev, 'cancelled', prev.result, errors);
        // The store enforces the budget too, so no job ever runs past maxAttempts.
        if (retryAt === null || prev.attempt >= prev.maxAttempts)
          return t.end(seq, prev, 'discarded', prev.result, errors);
        const job = t.move(seq, prev, { state: 'retryable', runAt: retryAt, lease: null, errors });
        t.woke(job);
        return job;
      });
    });
  }

  /** executing → scheduled at `runAt` (available when not in the future), the attempt not counted. */
  snoozeJob(lease: LeaseRef, runAt: number): Promise<TransitionResult> {
    return this.#step(() => {
      checkLease(lease);
      assertIntegerMs('runAt', runAt, 0);
      return this.#holding(lease, (seq, prev) => {
        if (prev.cancelRequested) return this.#t.end(seq, prev, 'cancelled');
        const state = runAt > this.#t.now ? 'scheduled' : 'available';
        const job = this.#t.move(seq, prev, { state, runAt, attempt: prev.attempt - 1, lease: null });
        this.#t.woke(job);
        return job;
      });
    });
  }

  /** executing → cancelled, keeping `reason` as the attempt's error; cascades to dependants. */
  cancelExecuting(lease: LeaseRef, reason: JobError): Promise<TransitionResult> {
    return this.#step(() => {
      checkLease(lease);
      const err = checkJobError('reason', reason);
      return this.#holding(lease, (seq, prev) =>
        this.#t.end(seq, prev, 'cancelled', prev.result, Object.freeze([...prev.errors, err])),
      );
    });
  }

  /** executing → available, the attempt not counted (or cancelled when a cancel was asked for). */
  releaseJob(lease: LeaseRef): Promise<TransitionResult> {
    return this.#step(() => {
      checkLease(lease);
      return this.#holding(lease, (seq, prev) => {
        if (prev.cancelRequested) return this.#t.end(seq, prev, 'cancelled');
        const job = this.#t.move(seq, prev, { state: 'available', attempt: prev.attempt - 1, lease: null });
        this.#t.woke(job);
        return job;
      });
    });
  }

  /** Cancels queued jobs at once (cascading) and asks executing ones to stop; see CancelOutcome. */
  cancelJobs(ids: readonly string[]): Promise<CancelOutcome[]> {
    return this.#step(() => cancelJobs(this.#t, checkIds('ids', ids)));
  }

  /** Final jobs → available (or waiting on unfinished parents); a fresh budget when exhausted. */
  retryJobs(ids: readonly string[]): Promise<JobRecord[]> {
    return this.#step(() => retryJobs(this.#t, checkIds('ids', ids)));
  }

  /** Deletes jobs that are not executing; an unfinished parent's waiting dependants are cancelled. */
  deleteJobs(ids: readonly string[]): Promise<number> {
    return this.#step(() => deleteJobs(this.#t, checkIds('ids', ids)));
  }

  /** Renews held leases for `extendMs` from now; reports lost leases and cancel requests. */
  heartbeat(leases: readonly LeaseRef[], extendMs: number): Promise<HeartbeatResult[]> {
    return this.#step(() => {
      if (!Array.isArray(leases)) throw invalidArgument('leases', 'an array of { id, token }', leases);
      leases.forEach((l, i) => checkLease(l, `leases[${i}]`));
      assertIntegerMs('extendMs', extendMs, 1);
      return heartbeat(this.#t, leases, this.#t.now + extendMs);
    });
  }

  /** Stores a running job's progress; false (nothing stored) for a stale lease. */
  recordProgress(lease: LeaseRef, progress: Json): Promise<boolean> {
    return this.#step(() => {
      checkLease(lease);
      const value = freezeJson('progress', progress);
      const seq = this.#t.heldBy(lease);
      if (seq <= 0) return false;
      this.#t.move(seq, this.#t.held as JobRecord, { progress: value });
      return true;
    });
  }

  /** Expired leases → available, or discarded (out of attempts), or cancelled (cancel asked); see Store. */
  rescueJobs(): Promise<JobRecord[]> {
    return this.#step(() => rescueJobs(this.#t));
  }

  /** Due scheduled/retryable jobs → available (at most `limit`); reports when the next is due. */
  stageJobs(limit: number): Promise<{ staged: number; nextRunAt: number | null }> {
    return this.#step(() => stageJobs(this.#t, limit));
  }

  /** Deletes up to `limit` final jobs in `states` that finished before `before`, oldest first. */
  pruneJobs(opts: { before: number; states: readonly JobState[]; limit: number }): Promise<number> {
    return this.#step(() => pruneJobs(this.#t, opts));
  }

  /** The job with `id`, or null. */
  getJob(id: string): Promise<JobRecord | null> {
    return this.#step(() => {
      if (typeof id !== 'string') throw invalidArgument('id', 'a job id string', id);
      return this.#t.byId(id) ?? null;
    });
  }

  /** Jobs matching `filter`, in id order (asc by default), at most `limit` (100), after `after`. */
  listJobs(filter: JobFilter = {}): Promise<JobRecord[]> {
    return this.#step(() => listJobs(this.#t, filter));
  }

  /** Counts by queue and state, non-zero only. */
  countJobs(): Promise<JobCounts> {
    return this.#step(() => countJobs(this.#t));
  }

  /** Pauses a queue: fetches from it return nothing until resumed. */
  pauseQueue(queue: string): Promise<void> {
    return this.#step(() => this.#setPaused(queue, true));
  }

  /** Resumes a paused queue. */
  resumeQueue(queue: string): Promise<void> {
    return this.#step(() => this.#setPaused(queue, false));
  }

  /** Every queue the store has seen (jobs inserted or paused), by name. */
  listQueues(): Promise<QueueInfo[]> {
    return this.#step(() => listQueues(this.#t));
  }

  /** Delivers this store's events after each step commits; returns unsubscribe. */
  subscribe(listener: (event: StoreEvent) => void): () => void {
    assertFunction('listener', listener);
    if (this.#closed) throw new StoppedError('memory store');
    // Set semantics, as before the array: a listener subscribed twice is called once.
    if (!this.#listeners.includes(listener)) this.#listeners = [...this.#listeners, listener];
    return () => {
      this.#listeners = this.#listeners.filter((l) => l !== listener);
    };
  }

  // ---- machinery ----

  /**
   * Runs one step, `fn(this, a, b)`: rejects after close, journals its changes (so a throw undoes
   * them), turns throws into rejections, and delivers events only on success. The hot methods
   * pass a static function and their arguments rather than a closure: one allocation less per call.
   */
  #step<T, A = undefined, B = undefined>(fn: Step<T, A, B>, a?: A, b?: B): Promise<T> {
    if (this.#closed) return Promise.reject(new StoppedError('memory store'));
    const t = this.#t;
    let result: T;
    t.begin();
    try {
      t.now = this.#clock();
      result = fn(this, a as A, b as B);
    } catch (err) {
      t.rollback();
      t.events.length = 0;
      t.drainWoken();
      return Promise.reject(coerceError(err));
    }
    t.commit();
    if (t.events.length > 0 || t.wokenCount > 0) this.#flush();
    return Promise.resolve(result);
  }

  #flush(): void {
    const t = this.#t;
    if (this.#listeners.length === 0) {
      // Nobody to tell: skip building the events (most steps of a store without subscribers).
      t.events.length = 0;
      t.drainWoken();
      return;
    }
    const events = t.events.splice(0);
    t.drainWoken(events);
    for (const event of events) {
      // A listener that (un)subscribes replaces the array, so each event goes to the list as it
      // was when that event's delivery began, without copying it.
      for (const listener of this.#listeners) {
        try {
          listener(event);
        } catch (err) {
          report({ source: 'store', name: 'memory', event: 'listener.crashed', reason: coerceError(err) });
        }
      }
    }
  }

  /** Runs `fn` on the job `lease` holds; stale or missing leases change nothing. */
  #holding(lease: LeaseRef, fn: (seq: number, job: JobRecord) => JobRecord): TransitionResult {
    const seq = this.#t.heldBy(lease);
    if (seq <= 0) return seq === 0 ? NOT_FOUND : STALE;
    return Object.freeze({ ok: true, job: fn(seq, this.#t.held as JobRecord) });
  }

  #setPaused(queue: string, paused: boolean): void {
    if (typeof queue !== 'string' || queue.length === 0)
      throw invalidArgument('queue', 'a non-empty string', queue);
    this.#t.ensureQueue(queue).paused = paused;
    this.#t.events.push(Object.freeze({ type: paused ? 'queue_paused' : 'queue_resumed', queue }));
  }
}
