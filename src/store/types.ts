/**
 * The Store contract: every method is one atomic job state transition (Oban's Engine,
 * BullMQ's moveToActive / moveToFinished), not CRUD. One transaction in SQL, one
 * synchronous step in memory. No connection or transaction type leaks in; a backend
 * that cannot do something says so in `capabilities`, never by leaving a method out.
 *
 * Times are integers: milliseconds since the epoch, read from the store's clock (so a
 * test can control time). Ids are strings, assigned by the store, increasing in
 * insertion order within one store (FIFO among equal priorities relies on it).
 */

/** A JSON value: what payloads, results and progress may hold (they cross processes and disks). */
export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/** Where a job is in its life. See the lifecycle diagram in DESIGN.md. */
export type JobState =
  | 'scheduled' // waiting for its runAt
  | 'available' // ready to be fetched
  | 'waiting' // waiting for its dependencies to complete
  | 'executing' // held by a worker under a lease
  | 'retryable' // failed, will run again at its runAt
  | 'completed'
  | 'discarded' // the dead-letter queue: out of attempts, or unrecoverable
  | 'cancelled';

/** Every state, in lifecycle order. */
export const JOB_STATES: readonly JobState[] = [
  'scheduled',
  'available',
  'waiting',
  'executing',
  'retryable',
  'completed',
  'discarded',
  'cancelled',
];

/** States a job never leaves on its own. */
export const FINAL_STATES: readonly JobState[] = ['completed', 'discarded', 'cancelled'];

/** One failed attempt, kept on the job (every attempt's error is kept). */
export interface JobError {
  readonly attempt: number;
  /** When the attempt failed (ms epoch). */
  readonly at: number;
  /** The error's class name: `Error`, `TimeoutError`, `UnrecoverableError`, ... */
  readonly name: string;
  readonly message: string;
  readonly stack?: string;
}

/** An executing job's lease: who holds it, until when, and the fencing token that proves it. */
export interface Lease {
  /** The worker (node) that holds it. */
  readonly owner: string;
  /** Increases with every fetch of the job: a stale holder's token no longer matches. */
  readonly token: number;
  /** When the lease runs out unless renewed (ms epoch). */
  readonly expiresAt: number;
}

/** A stored job. */
export interface JobRecord {
  readonly id: string;
  /** The job kind: which handler runs it. */
  readonly kind: string;
  readonly queue: string;
  readonly payload: Json;
  readonly state: JobState;
  /** 0 (most urgent) to 9; the seed's levels are 1 critical, 3 high, 5 normal, 7 low, 9 background. */
  readonly priority: number;
  /** Attempts started so far. */
  readonly attempt: number;
  readonly maxAttempts: number;
  /** When it may run (ms epoch); for scheduled and retryable jobs, when it becomes available. */
  readonly runAt: number;
  readonly insertedAt: number;
  /** When the latest attempt started. */
  readonly attemptedAt: number | null;
  /** When it reached a final state. */
  readonly finishedAt: number | null;
  /** Per-attempt time limit in ms (null: none). */
  readonly timeoutMs: number | null;
  /** The parents that must complete before it runs. */
  readonly dependsOn: readonly string[];
  /** The uniqueness key it was inserted with, if any. */
  readonly uniqueKey: string | null;
  readonly errors: readonly JobError[];
  readonly result: Json | null;
  readonly progress: Json | null;
  /** Set while executing; null otherwise. */
  readonly lease: Lease | null;
  /** A cancel was asked for while it was executing: whatever the handler does next, it ends cancelled. */
  readonly cancelRequested: boolean;
  /** Free-form labels, for listing and the dashboard. */
  readonly tags: readonly string[];
}

/** What `insertJobs` takes for one job. Defaults are applied by the queue layer, not the store. */
export interface JobInsert {
  readonly kind: string;
  readonly queue: string;
  readonly payload: Json;
  readonly priority: number;
  readonly maxAttempts: number;
  /** When it may run; a time in the future makes it `scheduled`. */
  readonly runAt: number;
  readonly timeoutMs: number | null;
  /**
   * Parents: existing job ids, or `{ ref }` naming another job of the same insert
   * batch, so a whole DAG goes in at once. A job with an unfinished parent is `waiting`.
   */
  readonly dependsOn: readonly (string | { readonly ref: string })[];
  /** The name other jobs of the batch use in `{ ref }`. */
  readonly ref?: string;
  readonly unique: UniqueSpec | null;
  readonly tags: readonly string[];
}

/** Makes a second insert of an equal job return the first instead of a duplicate. */
export interface UniqueSpec {
  /** Equal keys are duplicates (the queue layer derives it from kind + payload by default). */
  readonly key: string;
  /** Only jobs inserted within this many ms count (null: forever). */
  readonly periodMs: number | null;
  /** Only jobs in these states count. */
  readonly states: readonly JobState[];
}

/** The outcome of one insert: the stored job, and whether it was an existing duplicate. */
export interface InsertResult {
  readonly job: JobRecord;
  /** True when `unique` matched an existing job, which is returned instead. */
  readonly duplicate: boolean;
}

/** A fetch request: how many jobs one queue can take now, and the lease they get. */
export interface FetchRequest {
  readonly queue: string;
  /** The most jobs to take (the queue layer's free slots). */
  readonly demand: number;
  /** Who takes them. */
  readonly owner: string;
  /** Lease length in ms. */
  readonly leaseMs: number;
  /**
   * Never more than `limit` starts in any window of `windowMs` on this queue, counted
   * in the store, so every worker sharing the store shares the limit (a sliding log,
   * not a fixed window: a fixed window admits 2×limit around its boundary).
   */
  readonly rateLimit?: { readonly limit: number; readonly windowMs: number };
}

/** Proof of holding a job: its id and the lease token from the fetch. */
export interface LeaseRef {
  readonly id: string;
  readonly token: number;
}

/** One job of a `completeJobs` batch: the lease that holds it and its result. */
export interface Completion {
  readonly lease: LeaseRef;
  readonly result: Json | null;
}

/** What one completion of `completeJobs` did: the job's final state (cancelled when a cancel was requested). */
export type CompletionResult =
  | {
      readonly ok: true;
      readonly state: 'completed' | 'cancelled';
      readonly finishedAt: number;
      /** The job after the transition, when the store has it at no cost (memory); SQL stores leave it out. */
      readonly job?: JobRecord;
    }
  | { readonly ok: false; readonly reason: 'stale' | 'not_found' };

/**
 * The outcome of a transition a worker asks for with a lease. `stale` means the lease
 * was no longer this worker's (it expired and the job was rescued, or it was fetched
 * again): nothing was changed. `cancelled` means a cancel arrived while it ran.
 */
export type TransitionResult =
  | { readonly ok: true; readonly job: JobRecord }
  | { readonly ok: false; readonly reason: 'stale' | 'not_found' };

/** What a heartbeat learns about one lease. */
export interface HeartbeatResult {
  readonly id: string;
  /** False when the lease is lost (stale token, job gone): the worker should stop the job. */
  readonly held: boolean;
  /** True when a cancel was requested: the worker should abort the handler. */
  readonly cancelRequested: boolean;
}

/** A filter for `listJobs` / `countJobs`. */
export interface JobFilter {
  readonly state?: JobState | readonly JobState[];
  readonly queue?: string;
  readonly kind?: string;
  /** Most jobs returned. @default 100 */
  readonly limit?: number;
  /** Jobs after this id in the listing order (keyset pagination). */
  readonly after?: string;
  /** `asc` (oldest first, default) or `desc`. */
  readonly order?: 'asc' | 'desc';
}

/** What one cancel did. */
export type CancelOutcome =
  | 'cancelled' // was queued, now cancelled
  | 'cancelling' // was executing: its worker is told, and it will end cancelled
  | 'unchanged' // already final
  | 'not_found';

/** Counts of jobs by queue and state. */
export type JobCounts = Record<string, Partial<Record<JobState, number>>>;

/** A queue the store knows about. */
export interface QueueInfo {
  readonly name: string;
  readonly paused: boolean;
}

/** Something that changed in the store that other workers may want to react to. */
export type StoreEvent =
  | { readonly type: 'inserted'; readonly queue: string; readonly runAt: number }
  | { readonly type: 'cancel_requested'; readonly id: string }
  /** Waiting dependants cancelled because a parent ended discarded or cancelled (or was deleted). */
  | { readonly type: 'cascade_cancelled'; readonly ids: readonly string[] }
  | { readonly type: 'queue_paused' | 'queue_resumed'; readonly queue: string };

/** What a backend can and cannot do; callers branch on this, never on a missing method. */
export interface StoreCapabilities {
  /** Survives a restart of the process. */
  readonly durable: boolean;
  /** Several processes (or hosts, with `multiHost`) can share it safely. */
  readonly multiProcess: boolean;
  readonly multiHost: boolean;
  /** `subscribe` delivers events from other processes too (not just this one). */
  readonly crossProcessEvents: boolean;
}

/** The contract every store (memory, sqlite, postgres) fulfils. See each method's transition. */
export interface Store {
  /** The URL scheme it serves: `memory`, `sqlite`, `postgres`. */
  readonly kind: string;
  readonly capabilities: StoreCapabilities;

  /** Prepares it for use (opens files or connections, runs migrations); idempotent. */
  open(): Promise<void>;
  /** Releases what it holds; idempotent. Calls after close reject. */
  close(): Promise<void>;
  /** The store's clock, ms since the epoch. */
  now(): number;

  /**
   * Inserts a batch atomically: all or none. Resolves `{ ref }` parents within the batch;
   * rejects (changing nothing) on an unknown parent id, an unknown ref, or a cycle.
   * A job whose parents are all completed is scheduled/available; one with a parent
   * discarded or cancelled is inserted cancelled; otherwise waiting. Results are in input order.
   */
  insertJobs(jobs: readonly JobInsert[]): Promise<InsertResult[]>;

  /**
   * Takes up to `demand` available jobs of a queue (not paused) whose runAt has passed,
   * in order priority, runAt, id; each becomes executing with attempt + 1, a fresh lease
   * and a new token. Honours the rate limit. Each job goes to exactly one fetcher.
   */
  fetchJobs(request: FetchRequest): Promise<JobRecord[]>;

  /** executing → completed with its result (or → cancelled if a cancel was requested); wakes dependants. */
  completeJob(lease: LeaseRef, result: Json | null): Promise<TransitionResult>;

  /**
   * Many `completeJob`s in one call, results in input order: the engine completes the jobs that
   * finished in one tick together (one promise and, in SQL, one statement set instead of one each).
   * Each completion is its own transition (a stale one changes only itself); a malformed
   * completion rejects the whole call, changing nothing. Answers what changed, not whole records:
   * the caller holds the job already, and rebuilding records cost more than the update in SQLite.
   */
  completeJobs(completions: readonly Completion[]): Promise<CompletionResult[]>;

  /**
   * executing → retryable at `retryAt` (null: no retry → discarded, the dead-letter queue),
   * keeping the error; a discard cancels dependants, cascading. With a cancel requested → cancelled.
   */
  errorJob(lease: LeaseRef, error: JobError, retryAt: number | null): Promise<TransitionResult>;

  /** executing → scheduled at `runAt`, the attempt not counted (the handler asked to run later). */
  snoozeJob(lease: LeaseRef, runAt: number): Promise<TransitionResult>;

  /** executing → cancelled (the worker saw the cancel through and stopped the handler); cascades. */
  cancelExecuting(lease: LeaseRef, reason: JobError): Promise<TransitionResult>;

  /** executing → available (graceful shutdown hands the job back), the attempt not counted. */
  releaseJob(lease: LeaseRef): Promise<TransitionResult>;

  /**
   * Cancels jobs: queued ones at once (cascading to dependants), executing ones by
   * request (their worker is told through heartbeats and a `cancel_requested` event).
   */
  cancelJobs(ids: readonly string[]): Promise<CancelOutcome[]>;

  /**
   * Runs jobs again by hand: discarded, cancelled or completed → available, with a fresh
   * attempt budget if exhausted (errors are kept). Dependants cancelled by a cascade stay
   * cancelled (retry them too, as with Oban). Returns the jobs that changed.
   */
  retryJobs(ids: readonly string[]): Promise<JobRecord[]>;

  /** Deletes jobs that are not executing; returns how many were deleted. */
  deleteJobs(ids: readonly string[]): Promise<number>;

  /** Renews leases for `extendMs` from now; reports lost leases and cancel requests. */
  heartbeat(leases: readonly LeaseRef[], extendMs: number): Promise<HeartbeatResult[]>;

  /** Writes a running job's progress (ignored for a stale lease). */
  recordProgress(lease: LeaseRef, progress: Json): Promise<boolean>;

  /**
   * Expired leases → available again (or discarded when out of attempts, or cancelled
   * if a cancel was requested). Returns the rescued jobs.
   */
  rescueJobs(): Promise<JobRecord[]>;

  /**
   * scheduled / retryable jobs whose runAt has passed → available. Returns how many moved
   * and when the next one is due (null: none), so the scheduler sleeps until then.
   */
  stageJobs(limit: number): Promise<{ staged: number; nextRunAt: number | null }>;

  /** Deletes final jobs that finished before `before`; returns how many. */
  pruneJobs(opts: {
    readonly before: number;
    readonly states: readonly JobState[];
    readonly limit: number;
  }): Promise<number>;

  getJob(id: string): Promise<JobRecord | null>;
  listJobs(filter?: JobFilter): Promise<JobRecord[]>;
  /** Counts by queue and state (only non-zero counts appear). */
  countJobs(): Promise<JobCounts>;

  pauseQueue(queue: string): Promise<void>;
  resumeQueue(queue: string): Promise<void>;
  listQueues(): Promise<QueueInfo[]>;

  /** Delivers store events (this process's; others' too where `crossProcessEvents`); returns unsubscribe. */
  subscribe(listener: (event: StoreEvent) => void): () => void;
}
