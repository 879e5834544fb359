/**
 * The in-memory Store, on runtime Tables (see memory-tables.ts for the indexes). Every method is
 * one synchronous step, so it is atomic for any number of async callers on the event loop, and
 * multi-row transitions run inside nested Table transactions, so a step that throws changes
 * nothing. Methods still return promises (and reject rather than throw) so callers see the same
 * contract as the SQL stores. Records are frozen snapshots: a transition stores a new record.
 *
 * Costs: fetch walks only the queue's ready range (O(log n) per job taken); stage, rescue and
 * prune walk only due/expired/old entries; insert is O(log n) per job plus its parents; listJobs
 * walks jobs in id order past those its filter skips.
 */
import { coerceError, StoppedError } from '../runtime/errors.js';
import { report } from '../runtime/report.js';
import { assertFunction, invalidArgument } from '../runtime/validate.js';
import { listJobs } from './memory-list.js';
import { JobOps } from './memory-ops.js';
import { planBatch } from './memory-plan.js';
import { countsOf, isFinal } from './memory-tables.js';
import {
  assertIntegerMs,
  checkFetch,
  checkIds,
  checkInsert,
  checkJobError,
  checkLease,
  checkStates,
  freezeJson,
} from './memory-validate.js';
import { RateLog } from './memory-rate.js';
import type {
  CancelOutcome,
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

class MemoryStore implements Store {
  readonly kind = 'memory';
  readonly capabilities = CAPABILITIES;
  readonly #clock: () => number;
  readonly #t = new JobOps();
  readonly #rate = new Map<string, RateLog>();
  readonly #listeners = new Set<(event: StoreEvent) => void>();
  #events: StoreEvent[] = [];
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
      this.#listeners.clear();
    }
    return Promise.resolve();
  }

  /** The store's clock. */
  now(): number {
    return this.#clock();
  }

  /** Inserts a batch atomically; see Store.insertJobs. */
  insertJobs(jobs: readonly JobInsert[]): Promise<InsertResult[]> {
    return this.#step(() => {
      if (!Array.isArray(jobs)) throw invalidArgument('jobs', 'an array of job inserts', jobs);
      const items = jobs.map((j: unknown, i) => checkInsert(j, i));
      const plan = planBatch(items, (id) => this.#t.byId(id) !== undefined);
      // One job is one `put` (plus its index rows); a batch must land whole.
      return items.length === 1
        ? this.#t.insertBatch(items, plan)
        : this.#t.atomic(() => this.#t.insertBatch(items, plan));
    });
  }

  /** Takes up to `demand` available jobs under a lease; see Store.fetchJobs. */
  fetchJobs(request: FetchRequest): Promise<JobRecord[]> {
    return this.#step(() => {
      checkFetch(request);
      const { queue, owner, leaseMs, rateLimit } = request;
      const row = this.#t.queues.lookup(queue)[0];
      if (row === undefined || row[1]) return [];
      let demand = request.demand;
      let log: RateLog | undefined;
      if (rateLimit !== undefined) {
        log = this.#rate.get(queue);
        if (log === undefined) this.#rate.set(queue, (log = new RateLog()));
        // A start at t counts while now - t < windowMs: any window of that length holds ≤ limit.
        log.dropUpTo(this.#t.now - rateLimit.windowMs);
        demand = Math.min(demand, rateLimit.limit - log.size);
      }
      if (demand <= 0) return [];
      const now = this.#t.now;
      const take = (): JobRecord[] => {
        const out: JobRecord[] = [];
        const ready = this.#t.ready;
        while (out.length < demand) {
          const key = ready.next([queue]);
          if (key === undefined || (key as readonly unknown[])[0] !== queue) break;
          const prev = this.#t.bySeq((key as readonly number[])[3] as number) as JobRecord;
          const lease = Object.freeze({ owner, token: ++this.#token, expiresAt: now + leaseMs });
          out.push(
            this.#t.move(prev, { state: 'executing', attempt: prev.attempt + 1, attemptedAt: now, lease }),
          );
        }
        return out;
      };
      const taken = demand === 1 ? take() : this.#t.atomic(take);
      if (log !== undefined) for (let i = 0; i < taken.length; i++) log.push(now);
      return taken;
    });
  }

  /** executing → completed (or cancelled when asked); wakes dependants. */
  completeJob(lease: LeaseRef, result: Json | null): Promise<TransitionResult> {
    return this.#step(() => {
      checkLease(lease);
      const value = result === undefined || result === null ? null : freezeJson('result', result);
      return this.#holding(lease, (prev) => {
        return prev.cancelRequested
          ? this.#t.end(prev, 'cancelled', {})
          : this.#t.end(prev, 'completed', { result: value });
      });
    });
  }

  /** executing → retryable at `retryAt`, or discarded (retryAt null or attempts used up); see Store.errorJob. */
  errorJob(lease: LeaseRef, error: JobError, retryAt: number | null): Promise<TransitionResult> {
    return this.#step(() => {
      checkLease(lease);
      const err = checkJobError('error', error);
      if (retryAt !== null) assertIntegerMs('retryAt', retryAt, 0);
      return this.#holding(lease, (prev) => {
        const errors = Object.freeze([...prev.errors, err]);
        if (prev.cancelRequested) return this.#t.end(prev, 'cancelled', { errors });
        // The store enforces the budget too, so no job ever runs past maxAttempts.
        if (retryAt === null || prev.attempt >= prev.maxAttempts)
          return this.#t.end(prev, 'discarded', { errors });
        const job = this.#t.move(prev, { state: 'retryable', runAt: retryAt, lease: null, errors });
        this.#t.woke(job);
        return job;
      });
    });
  }

  /** executing → scheduled at `runAt` (available when not in the future), the attempt not counted. */
  snoozeJob(lease: LeaseRef, runAt: number): Promise<TransitionResult> {
    return this.#step(() => {
      checkLease(lease);
      assertIntegerMs('runAt', runAt, 0);
      return this.#holding(lease, (prev) => {
        if (prev.cancelRequested) return this.#t.end(prev, 'cancelled', {});
        const state = runAt > this.#t.now ? 'scheduled' : 'available';
        const job = this.#t.move(prev, { state, runAt, attempt: prev.attempt - 1, lease: null });
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
      return this.#holding(lease, (prev) =>
        this.#t.end(prev, 'cancelled', { errors: Object.freeze([...prev.errors, err]) }),
      );
    });
  }

  /** executing → available, the attempt not counted (or cancelled when a cancel was asked for). */
  releaseJob(lease: LeaseRef): Promise<TransitionResult> {
    return this.#step(() => {
      checkLease(lease);
      return this.#holding(lease, (prev) => {
        if (prev.cancelRequested) return this.#t.end(prev, 'cancelled', {});
        const job = this.#t.move(prev, { state: 'available', attempt: prev.attempt - 1, lease: null });
        this.#t.woke(job);
        return job;
      });
    });
  }

  /** Cancels queued jobs at once (cascading) and asks executing ones to stop; see CancelOutcome. */
  cancelJobs(ids: readonly string[]): Promise<CancelOutcome[]> {
    return this.#step(() => {
      checkIds('ids', ids);
      return this.#t.atomic(() =>
        ids.map((id): CancelOutcome => {
          const prev = this.#t.byId(id);
          if (prev === undefined) return 'not_found';
          if (isFinal(prev.state)) return 'unchanged';
          if (prev.state === 'executing') {
            if (!prev.cancelRequested) {
              this.#t.move(prev, { cancelRequested: true });
              this.#events.push(Object.freeze({ type: 'cancel_requested', id }));
            }
            return 'cancelling';
          }
          this.#t.end(prev, 'cancelled', {});
          return 'cancelled';
        }),
      );
    });
  }

  /** Final jobs → available (or waiting on unfinished parents); a fresh budget when exhausted. */
  retryJobs(ids: readonly string[]): Promise<JobRecord[]> {
    return this.#step(() => {
      checkIds('ids', ids);
      const now = this.#t.now;
      return this.#t.atomic(() => {
        const out: JobRecord[] = [];
        for (const id of ids) {
          const prev = this.#t.byId(id);
          if (prev === undefined || !isFinal(prev.state)) continue;
          const pending = prev.dependsOn.some((p) => {
            const parent = this.#t.byId(p);
            return parent !== undefined && !isFinal(parent.state);
          });
          const job = this.#t.move(prev, {
            state: pending ? 'waiting' : 'available',
            runAt: now,
            attempt: prev.attempt >= prev.maxAttempts ? 0 : prev.attempt,
            finishedAt: null,
            cancelRequested: false,
            result: null,
            progress: null,
          });
          this.#t.woke(job);
          out.push(job);
        }
        return out;
      });
    });
  }

  /** Deletes jobs that are not executing; an unfinished parent's waiting dependants are cancelled. */
  deleteJobs(ids: readonly string[]): Promise<number> {
    return this.#step(() => {
      checkIds('ids', ids);
      return this.#t.atomic(() => {
        let n = 0;
        for (const id of ids) {
          const job = this.#t.byId(id);
          if (job === undefined || job.state === 'executing') continue;
          this.#t.remove(job);
          n++;
        }
        return n;
      });
    });
  }

  /** Renews held leases for `extendMs` from now; reports lost leases and cancel requests. */
  heartbeat(leases: readonly LeaseRef[], extendMs: number): Promise<HeartbeatResult[]> {
    return this.#step(() => {
      if (!Array.isArray(leases)) throw invalidArgument('leases', 'an array of { id, token }', leases);
      leases.forEach((l, i) => checkLease(l, `leases[${i}]`));
      assertIntegerMs('extendMs', extendMs, 1);
      const expiresAt = this.#t.now + extendMs;
      return this.#t.atomic(() =>
        leases.map(({ id, token }): HeartbeatResult => {
          const job = this.#t.byId(id);
          if (job === undefined || job.state !== 'executing' || job.lease?.token !== token) {
            return Object.freeze({ id, held: false, cancelRequested: job?.cancelRequested ?? false });
          }
          this.#t.move(job, { lease: Object.freeze({ ...(job.lease as Lease), expiresAt }) });
          return Object.freeze({ id, held: true, cancelRequested: job.cancelRequested });
        }),
      );
    });
  }

  /** Stores a running job's progress; false (nothing stored) for a stale lease. */
  recordProgress(lease: LeaseRef, progress: Json): Promise<boolean> {
    return this.#step(() => {
      checkLease(lease);
      const value = freezeJson('progress', progress);
      const job = this.#t.byId(lease.id);
      if (job === undefined || job.state !== 'executing' || job.lease?.token !== lease.token) return false;
      this.#t.move(job, { progress: value });
      return true;
    });
  }

  /** Expired leases → available, or discarded (out of attempts), or cancelled (cancel asked); see Store. */
  rescueJobs(): Promise<JobRecord[]> {
    return this.#step(() => {
      const now = this.#t.now;
      return this.#t.atomic(() => {
        const out: JobRecord[] = [];
        for (;;) {
          const key = this.#t.leases.first() as readonly number[] | undefined;
          // A lease is held while now < expiresAt.
          if (key === undefined || (key[0] as number) > now) break;
          const prev = this.#t.bySeq(key[1] as number) as JobRecord;
          const lease = prev.lease as Lease;
          const err: JobError = Object.freeze({
            attempt: prev.attempt,
            at: now,
            name: 'LeaseExpiredError',
            message: `the lease of ${JSON.stringify(lease.owner)} expired at ${lease.expiresAt} without being renewed`,
          });
          const errors = Object.freeze([...prev.errors, err]);
          if (prev.cancelRequested) out.push(this.#t.end(prev, 'cancelled', { errors }));
          else if (prev.attempt >= prev.maxAttempts) out.push(this.#t.end(prev, 'discarded', { errors }));
          else {
            const job = this.#t.move(prev, { state: 'available', lease: null, errors });
            this.#t.woke(job);
            out.push(job);
          }
        }
        return out;
      });
    });
  }

  /** Due scheduled/retryable jobs → available (at most `limit`); reports when the next is due. */
  stageJobs(limit: number): Promise<{ staged: number; nextRunAt: number | null }> {
    return this.#step(() => {
      if (typeof limit !== 'number' || !Number.isInteger(limit) || limit < 1) {
        throw invalidArgument('limit', 'a positive integer', limit);
      }
      const now = this.#t.now;
      return this.#t.atomic(() => {
        let staged = 0;
        let key = this.#t.timed.first() as readonly number[] | undefined;
        while (key !== undefined && (key[0] as number) <= now && staged < limit) {
          const job = this.#t.move(this.#t.bySeq(key[1] as number) as JobRecord, { state: 'available' });
          this.#t.woke(job);
          staged++;
          key = this.#t.timed.first() as readonly number[] | undefined;
        }
        return { staged, nextRunAt: key === undefined ? null : (key[0] as number) };
      });
    });
  }

  /** Deletes up to `limit` final jobs in `states` that finished before `before`, oldest first. */
  pruneJobs(opts: { before: number; states: readonly JobState[]; limit: number }): Promise<number> {
    return this.#step(() => {
      if (typeof opts !== 'object' || opts === null)
        throw invalidArgument('opts', 'a prune options object', opts);
      assertIntegerMs('before', opts.before, 0);
      const states = checkStates('states', opts.states);
      states.forEach((s, i) => {
        if (!isFinal(s))
          throw invalidArgument(`states[${i}]`, 'a final state (completed, discarded, cancelled)', s);
      });
      if (typeof opts.limit !== 'number' || !Number.isInteger(opts.limit) || opts.limit < 0) {
        throw invalidArgument('limit', 'a non-negative integer', opts.limit);
      }
      const wanted = new Set(states);
      return this.#t.atomic(() => {
        let n = 0;
        const finished = this.#t.finished;
        let key = finished.first() as readonly number[] | undefined;
        while (key !== undefined && (key[0] as number) < opts.before && n < opts.limit) {
          const job = this.#t.bySeq(key[1] as number) as JobRecord;
          const after = finished.next(key) as readonly number[] | undefined;
          if (wanted.has(job.state)) {
            this.#t.remove(job);
            n++;
          }
          key = after;
        }
        return n;
      });
    });
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
    return this.#step(() => {
      const out: JobCounts = {};
      for (const [queue, array] of this.#t.counts) {
        const counts = countsOf(array);
        if (Object.keys(counts).length > 0) out[queue] = counts;
      }
      return out;
    });
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
    return this.#step(() =>
      this.#t.queues
        .toList()
        .map(([name, paused]): QueueInfo => Object.freeze({ name, paused }))
        .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0)),
    );
  }

  /** Delivers this store's events after each step commits; returns unsubscribe. */
  subscribe(listener: (event: StoreEvent) => void): () => void {
    assertFunction('listener', listener);
    if (this.#closed) throw new StoppedError('memory store');
    this.#listeners.add(listener);
    return () => {
      this.#listeners.delete(listener);
    };
  }

  // ---- machinery ----

  /** Runs one step: rejects after close, turns throws into rejections, emits events only on success. */
  #step<T>(fn: () => T): Promise<T> {
    if (this.#closed) return Promise.reject(new StoppedError('memory store'));
    let result: T;
    try {
      this.#t.now = this.#clock();
      result = fn();
    } catch (err) {
      this.#events = [];
      this.#t.woken.clear();
      return Promise.reject(coerceError(err));
    }
    if (this.#events.length > 0 || this.#t.woken.size > 0) this.#flush();
    return Promise.resolve(result);
  }

  #flush(): void {
    const events = this.#events;
    for (const [queue, runAt] of this.#t.woken)
      events.push(Object.freeze({ type: 'inserted', queue, runAt }));
    this.#events = [];
    this.#t.woken.clear();
    for (const event of events) {
      for (const listener of [...this.#listeners]) {
        try {
          listener(event);
        } catch (err) {
          report({ source: 'store', name: 'memory', event: 'listener.crashed', reason: coerceError(err) });
        }
      }
    }
  }

  /**
   * Runs `fn` on the job `lease` holds; stale or missing leases change nothing. A job with
   * dependants may move others too, so that runs as one atomic step; a lone job is one `put`.
   */
  #holding(lease: LeaseRef, fn: (job: JobRecord) => JobRecord): TransitionResult {
    const job = this.#t.byId(lease.id);
    if (job === undefined) return NOT_FOUND;
    if (job.state !== 'executing' || job.lease?.token !== lease.token) return STALE;
    const next = this.#t.hasChildren(job) ? this.#t.atomic(() => fn(job)) : fn(job);
    return Object.freeze({ ok: true, job: next });
  }

  #setPaused(queue: string, paused: boolean): void {
    if (typeof queue !== 'string' || queue.length === 0)
      throw invalidArgument('queue', 'a non-empty string', queue);
    this.#t.ensureQueue(queue);
    this.#t.queues.updateElement(queue, [1, paused]);
    this.#events.push(Object.freeze({ type: paused ? 'queue_paused' : 'queue_resumed', queue }));
  }
}
