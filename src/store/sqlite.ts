/**
 * The SQLite Store (better-sqlite3): the embedded default. Durable, and shared safely by several
 * processes on one host through one database file.
 *
 * - Each call is one atomic transition: it runs inside a `BEGIN IMMEDIATE` transaction (in its own
 *   savepoint when several calls share a group commit, see sqlite-group.ts), so it takes the write
 *   lock before reading what it changes. Two processes can never both take a job: a job is held by
 *   one lease at a time, and only an expired lease (or a holder whose process is gone) lets
 *   another worker run it again.
 * - WAL mode: readers never block the writer or each other; a busy timeout makes a writer wait for
 *   another process's transaction rather than fail.
 * - `synchronous` defaults to FULL. A job system acknowledges an insert as a promise to run the
 *   job; with NORMAL, a power cut or OS crash can roll back the transactions committed since the
 *   last checkpoint (acknowledged inserts lost, finished jobs run again). FULL fsyncs the WAL at
 *   every commit, and group commit shares that fsync among the calls of one tick. A process crash
 *   loses nothing committed in either mode. Choose `normal` for throughput when the last moments
 *   before a power cut may be lost.
 * - Events (`subscribe`) are this process's only (crossProcessEvents: false): other processes
 *   learn by polling, and a cancel reaches a worker in another process through its heartbeat's
 *   answer (the `cancel_requested` column).
 * - Retention: pruneJobs deletes final jobs by `finished_at` through a partial index.
 */
import { hostname } from 'node:os';
import { resolve } from 'node:path';
import { coerceError, StoppedError } from '../runtime/errors.js';
import { closed, opened } from '../runtime/internal/live.js';
import { report } from '../runtime/report.js';
import { assertFunction, invalidArgument } from '../runtime/validate.js';
import {
  assertIntegerMs,
  checkCompletions,
  checkFetch,
  checkIds,
  checkInsert,
  checkJobError,
  checkLease,
  checkStates,
  freezeJson,
} from './memory-validate.js';
import {
  cancelJobs,
  countJobs,
  deleteJobs,
  heartbeat,
  listJobs,
  listQueues,
  mayRescue,
  nextDue,
  pruneJobs,
  rescueJobs,
  retryJobs,
  setPaused,
  stageJobs,
  writeCounts,
} from './sqlite-admin.js';
import { busyError, openDatabase } from './sqlite-db.js';
import type { Db } from './sqlite-db.js';
import { GroupCommit } from './sqlite-group.js';
import { MIGRATIONS } from './sqlite-migrations.js';
import { JobSql } from './sqlite-ops.js';
import { idOf, isFinal, Step, toRecord } from './sqlite-rows.js';
import { fetch, insertBatch, mayFetch } from './sqlite-take.js';
import { checkFilter, checkOptions } from './sqlite-validate.js';
import type { SqliteStoreOptions } from './sqlite-validate.js';
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
  LeaseRef,
  QueueInfo,
  Store,
  StoreCapabilities,
  StoreEvent,
  TransitionResult,
} from './types.js';

export type { SynchronousMode } from './sqlite-db.js';
export type { SqliteStoreOptions } from './sqlite-validate.js';
export { NewerSchemaError, SqliteOpenError } from './sqlite-db.js';

/**
 * Creates a SQLite Store on a file (unopened: `open()` creates and migrates it; any other call
 * opens it too). Throws naming the option when an option is bad.
 * @example
 * const store = createSqliteStore({ path: './steward.db' });
 * await store.open();
 */
export function createSqliteStore(opts: SqliteStoreOptions): Store {
  const settings = checkOptions(opts);
  const { path } = settings;
  // Absolute, so a later chdir changes nothing and the name is never read as a `file:` URI.
  const file = path === ':memory:' ? path : resolve(path);
  return new SqliteStore({ ...settings, path: file });
}

type Settings = Required<SqliteStoreOptions>;
type Listener = (event: StoreEvent) => void;

class SqliteStore implements Store {
  readonly kind = 'sqlite';
  readonly capabilities: StoreCapabilities;
  readonly #settings: Settings;
  #db: Db | undefined;
  #sql: JobSql | undefined;
  #group: GroupCommit<Step> | undefined;
  #listeners: readonly Listener[] = [];
  #closed = false;

  constructor(settings: Settings) {
    this.#settings = settings;
    const durable = settings.path !== ':memory:';
    this.capabilities = Object.freeze({
      durable,
      multiProcess: durable,
      multiHost: false,
      crossProcessEvents: false,
    });
  }

  /** Opens the file and migrates it (idempotent); rejects with a one-line reason when it cannot. */
  open(): Promise<void> {
    return this.#call(() => Promise.resolve());
  }

  /** Runs the calls already made, then closes the file; later calls reject. Idempotent. */
  close(): Promise<void> {
    if (!this.#closed) {
      this.#closed = true;
      try {
        this.#group?.close();
      } finally {
        this.#db?.close();
        this.#listeners = [];
        closed(this);
      }
    }
    return Promise.resolve();
  }

  /** The store's clock. */
  now(): number {
    return this.#settings.clock();
  }

  /** Inserts a batch atomically; see Store.insertJobs. */
  insertJobs(jobs: readonly JobInsert[]): Promise<InsertResult[]> {
    return this.#call(() => {
      if (!Array.isArray(jobs)) throw invalidArgument('jobs', 'an array of job inserts', jobs);
      const items = jobs.map((j: unknown, i) => checkInsert(j, i));
      if (items.length === 0) return Promise.resolve([]);
      return this.#write((sql, s) => insertBatch(sql, s, items));
    });
  }

  /** Takes up to `demand` available jobs under a lease; see Store.fetchJobs. */
  fetchJobs(request: FetchRequest): Promise<JobRecord[]> {
    return this.#call(() => {
      checkFetch(request);
      if (request.demand === 0) return Promise.resolve([]);
      return this.#write(
        (sql, s) => fetch(sql, s, request),
        (sql) => (mayFetch(sql, request.queue) ? undefined : []),
      );
    });
  }

  /** executing → completed (or cancelled when asked); wakes dependants. */
  completeJob(lease: LeaseRef, result: Json | null): Promise<TransitionResult> {
    return this.#call(() => {
      checkLease(lease);
      const text =
        result === undefined || result === null ? null : JSON.stringify(freezeJson('result', result));
      return this.#write((sql, s) => sql.complete(s, lease, text));
    });
  }

  /** Many completions in one call and one statement set; see Store.completeJobs. */
  completeJobs(completions: readonly Completion[]): Promise<CompletionResult[]> {
    return this.#call(() => {
      const items = checkCompletions(completions).map((result, i) => ({
        lease: (completions[i] as Completion).lease,
        result: result === null ? null : JSON.stringify(result),
      }));
      if (items.length === 0) return Promise.resolve([]);
      return this.#write((sql, s) => sql.completeMany(s, items));
    });
  }

  /** executing → retryable at `retryAt`, or discarded (retryAt null or attempts used up); see Store.errorJob. */
  errorJob(lease: LeaseRef, error: JobError, retryAt: number | null): Promise<TransitionResult> {
    return this.#call(() => {
      checkLease(lease);
      const err = checkJobError('error', error);
      if (retryAt !== null) assertIntegerMs('retryAt', retryAt, 0);
      return this.#write((sql, s) => sql.fail(s, lease, err, retryAt));
    });
  }

  /** executing → scheduled at `runAt` (available when not in the future), the attempt not counted. */
  snoozeJob(lease: LeaseRef, runAt: number): Promise<TransitionResult> {
    return this.#call(() => {
      checkLease(lease);
      assertIntegerMs('runAt', runAt, 0);
      return this.#write((sql, s) => sql.snooze(s, lease, runAt));
    });
  }

  /** executing → cancelled, keeping `reason` as the attempt's error; cascades to dependants. */
  cancelExecuting(lease: LeaseRef, reason: JobError): Promise<TransitionResult> {
    return this.#call(() => {
      checkLease(lease);
      const err = checkJobError('reason', reason);
      return this.#write((sql, s) => sql.cancelRunning(s, lease, err));
    });
  }

  /** executing → available, the attempt not counted (or cancelled when a cancel was asked for). */
  releaseJob(lease: LeaseRef): Promise<TransitionResult> {
    return this.#call(() => {
      checkLease(lease);
      return this.#write((sql, s) => sql.release(s, lease));
    });
  }

  /** Cancels queued jobs at once (cascading) and asks executing ones to stop; see CancelOutcome. */
  cancelJobs(ids: readonly string[]): Promise<CancelOutcome[]> {
    return this.#call(() => {
      const checked = checkIds('ids', ids);
      return this.#write((sql, s) => cancelJobs(sql, s, checked));
    });
  }

  /** Final jobs → available (or waiting on unfinished parents); a fresh budget when exhausted. */
  retryJobs(ids: readonly string[]): Promise<JobRecord[]> {
    return this.#call(() => {
      const checked = checkIds('ids', ids);
      return this.#write((sql, s) => retryJobs(sql, s, checked));
    });
  }

  /** Deletes jobs that are not executing; an unfinished parent's waiting dependants are cancelled. */
  deleteJobs(ids: readonly string[]): Promise<number> {
    return this.#call(() => {
      const checked = checkIds('ids', ids);
      return this.#write((sql, s) => deleteJobs(sql, s, checked));
    });
  }

  /** Renews held leases for `extendMs` from now; reports lost leases and cancel requests. */
  heartbeat(leases: readonly LeaseRef[], extendMs: number): Promise<HeartbeatResult[]> {
    return this.#call(() => {
      if (!Array.isArray(leases)) throw invalidArgument('leases', 'an array of { id, token }', leases);
      leases.forEach((l, i) => checkLease(l, `leases[${i}]`));
      assertIntegerMs('extendMs', extendMs, 1);
      return this.#write((sql, s) => heartbeat(sql, s, leases, extendMs));
    });
  }

  /** Stores a running job's progress; false (nothing stored) for a stale lease. */
  recordProgress(lease: LeaseRef, progress: Json): Promise<boolean> {
    return this.#call(() => {
      checkLease(lease);
      const text = JSON.stringify(freezeJson('progress', progress));
      return this.#write((sql) => sql.progress(lease, text));
    });
  }

  /** Expired leases (and leases of exited processes) → available, discarded or cancelled; see Store. */
  rescueJobs(): Promise<JobRecord[]> {
    return this.#call(() => {
      const { detectDeadNodes } = this.#settings;
      return this.#write(
        (sql, s) => rescueJobs(sql, s, detectDeadNodes),
        (sql, now) => (mayRescue(sql, now, detectDeadNodes) ? undefined : []),
      );
    });
  }

  /** Due scheduled/retryable jobs → available (at most `limit`); reports when the next is due. */
  stageJobs(limit: number): Promise<{ staged: number; nextRunAt: number | null }> {
    return this.#call(() => {
      if (typeof limit !== 'number' || !Number.isInteger(limit) || limit < 1) {
        throw invalidArgument('limit', 'a positive integer', limit);
      }
      return this.#write(
        (sql, s) => stageJobs(sql, s, limit),
        (sql, now) => {
          const next = nextDue(sql);
          return next === null || next > now ? { staged: 0, nextRunAt: next } : undefined;
        },
      );
    });
  }

  /** Deletes up to `limit` final jobs in `states` that finished before `before`, oldest first. */
  pruneJobs(opts: { before: number; states: readonly JobState[]; limit: number }): Promise<number> {
    return this.#call(() => {
      if (typeof opts !== 'object' || opts === null) {
        throw invalidArgument('opts', 'a prune options object', opts);
      }
      assertIntegerMs('before', opts.before, 0);
      const states = checkStates('states', opts.states);
      states.forEach((s, i) => {
        if (!isFinal(s)) {
          throw invalidArgument(`states[${i}]`, 'a final state (completed, discarded, cancelled)', s);
        }
      });
      const { before, limit } = opts;
      if (typeof limit !== 'number' || !Number.isInteger(limit) || limit < 0) {
        throw invalidArgument('limit', 'a non-negative integer', limit);
      }
      return this.#write((sql, s) => pruneJobs(sql, s, before, states, limit));
    });
  }

  /** The job with `id`, or null. */
  getJob(id: string): Promise<JobRecord | null> {
    return this.#call(() => {
      if (typeof id !== 'string') throw invalidArgument('id', 'a job id string', id);
      const n = idOf(id);
      return this.#read((sql) => {
        const row = n === undefined ? undefined : sql.row(n);
        return row === undefined ? null : toRecord(row);
      });
    });
  }

  /** Jobs matching `filter`, in id order (asc by default), at most `limit` (100), after `after`. */
  listJobs(filter: JobFilter = {}): Promise<JobRecord[]> {
    return this.#call(() => {
      const f = checkFilter(filter, idOf);
      return this.#read((sql) => listJobs(sql, f));
    });
  }

  /** Counts by queue and state, non-zero only. */
  countJobs(): Promise<JobCounts> {
    return this.#call(() => this.#read(countJobs));
  }

  /** Pauses a queue: fetches from it return nothing until resumed (in every process). */
  pauseQueue(queue: string): Promise<void> {
    return this.#setPaused(queue, true);
  }

  /** Resumes a paused queue. */
  resumeQueue(queue: string): Promise<void> {
    return this.#setPaused(queue, false);
  }

  /** Every queue the store has seen (jobs inserted or paused), by name. */
  listQueues(): Promise<QueueInfo[]> {
    return this.#call(() => this.#read(listQueues));
  }

  /** Delivers this process's store events after each commit; returns unsubscribe. */
  subscribe(listener: (event: StoreEvent) => void): () => void {
    assertFunction('listener', listener);
    if (this.#closed) throw new StoppedError('sqlite store');
    if (!this.#listeners.includes(listener)) this.#listeners = [...this.#listeners, listener];
    return () => {
      this.#listeners = this.#listeners.filter((l) => l !== listener);
    };
  }

  // ---- machinery ----

  /** Rejects after close, opens on first use, and turns throws into rejections. */
  #call<T>(fn: () => Promise<T>): Promise<T> {
    if (this.#closed) return Promise.reject(new StoppedError('sqlite store'));
    try {
      this.#ensureOpen();
      return fn();
    } catch (err) {
      return Promise.reject(coerceError(err));
    }
  }

  #ensureOpen(): void {
    if (this.#db !== undefined) return;
    const { path, synchronous, busyTimeoutMs, clock } = this.#settings;
    const db = openDatabase({ path, synchronous, busyTimeoutMs }, MIGRATIONS, clock());
    this.#db = db;
    opened(this, `an open sqlite store on ${path} (call close())`, () => this.close());
    this.#sql = new JobSql(db, hostname(), process.pid);
    const sql = this.#sql;
    this.#group = new GroupCommit<Step>(db, 'sqlite store', {
      beforeCommit: (steps) => writeCounts(sql, steps),
      afterCommit: (steps) => {
        for (const step of steps) for (const queue of step.registered) sql.knownQueues.add(queue);
        this.#deliver(steps);
      },
      beginError: (err) => busyError(path, busyTimeoutMs, err),
    });
  }

  /**
   * Queues a transition for the next group commit, reading the clock now. `skip`, tried only when
   * nothing is queued (so it sees every earlier call's effect), may answer without a write.
   */
  #write<T>(
    work: (sql: JobSql, s: Step) => T,
    skip?: (sql: JobSql, now: number) => T | undefined,
  ): Promise<T> {
    const sql = this.#sql as JobSql;
    const group = this.#group as GroupCommit<Step>;
    const step = new Step(this.#settings.clock());
    if (skip !== undefined && group.idle) {
      const answer = skip(sql, step.now);
      if (answer !== undefined) return Promise.resolve(answer);
    }
    return group.write(() => work(sql, step), step);
  }

  #read<T>(work: (sql: JobSql) => T): Promise<T> {
    const sql = this.#sql as JobSql;
    return (this.#group as GroupCommit<Step>).read(() => work(sql));
  }

  #setPaused(queue: string, paused: boolean): Promise<void> {
    return this.#call(() => {
      if (typeof queue !== 'string' || queue.length === 0) {
        throw invalidArgument('queue', 'a non-empty string', queue);
      }
      return this.#write((sql, s) => setPaused(sql, s, queue, paused));
    });
  }

  #deliver(steps: readonly Step[]): void {
    for (const step of steps) {
      for (const event of step.drain()) {
        for (const listener of this.#listeners) {
          try {
            listener(event);
          } catch (err) {
            report({ source: 'store', name: 'sqlite', event: 'listener.crashed', reason: coerceError(err) });
          }
        }
      }
    }
  }
}
