/**
 * The job system's public types: job definitions, handler context, enqueue and queue
 * options, and the Steward facade. Implementation lives beside this file.
 */
import type { Logger } from 'pino';
import type { Json, JobFilter, JobRecord, JobState, Store } from '../store/types.js';
import type { TelemetryEvents } from './telemetry.js';

/** A Standard Schema validator (zod 4, valibot, arktype, ...): only the part Steward calls. */
export interface StandardSchemaV1<Input = unknown, Output = Input> {
  readonly '~standard': {
    readonly version: 1;
    readonly vendor: string;
    readonly validate: (
      value: unknown,
    ) =>
      | { readonly value: Output; readonly issues?: undefined }
      | { readonly issues: readonly { readonly message: string; readonly path?: readonly unknown[] }[] }
      | Promise<
          | { readonly value: Output; readonly issues?: undefined }
          | { readonly issues: readonly { readonly message: string; readonly path?: readonly unknown[] }[] }
        >;
    readonly types?: { readonly input: Input; readonly output: Output };
  };
}

/** How long to wait before retry `attempt` (1-based: the wait after the first failure is attempt 1). */
export type BackoffFn = (attempt: number, error: Error) => number;

/** Retry backoff: exponential with jitter (default), fixed, or your own function. */
export type Backoff =
  | {
      readonly type: 'exponential';
      /** First wait, ms. @default 1000 */
      readonly baseMs?: number;
      /** Longest wait, ms. @default 3_600_000 */
      readonly maxMs?: number;
      /** Random spread, 0..1 of the wait (full jitter at 1). @default 0.1 */
      readonly jitter?: number;
    }
  | { readonly type: 'fixed'; readonly delayMs: number }
  | BackoffFn;

/** A job's uniqueness: a second equal enqueue returns the first job instead of a duplicate. */
export interface UniqueOptions {
  /** What makes two jobs equal. @default the kind and the whole payload */
  readonly key?: string;
  /** Only jobs inserted within this many ms count. @default forever */
  readonly periodMs?: number;
  /** Only jobs in these states count. @default every state but completed, discarded and cancelled */
  readonly states?: readonly JobState[];
}

/** What a handler receives besides its payload. */
export interface JobContext {
  /** The job as stored when this attempt started. */
  readonly job: JobRecord;
  /** Aborts on cancel, timeout, lost lease or shutdown: pass it to everything that waits. */
  readonly signal: AbortSignal;
  /** This attempt's number, 1-based. */
  readonly attempt: number;
  /** Stores a progress value (shown by `getJob`, the CLI and the dashboard). */
  progress(value: Json): Promise<void>;
  /** A logger bound to the job (id, kind, attempt). */
  readonly log: JobLogger;
}

/** The logger a handler gets. */
export interface JobLogger {
  info(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
  error(message: string, fields?: Record<string, unknown>): void;
}

/** A job handler: its return value (JSON) is stored as the job's result. */
export type JobHandler<P = Json, R = unknown> = (payload: P, ctx: JobContext) => R | Promise<R>;

/** Defaults and behaviour for one job kind. */
export interface JobDefinition<P = Json, R = unknown> {
  /** Runs the job. Required, unless `thread` names the function that does. */
  readonly handler?: JobHandler<P, R>;
  /** @default 'default' */
  readonly queue?: string;
  /** 0..9, lower runs first. @default 5 */
  readonly priority?: number;
  /** @default 20 (Oban's) */
  readonly maxAttempts?: number;
  /** @default exponential with jitter */
  readonly backoff?: Backoff;
  /** Per-attempt time limit, ms. @default none */
  readonly timeoutMs?: number;
  /** Validates (and may transform) the payload at enqueue and before each run. */
  readonly schema?: StandardSchemaV1<unknown, P>;
  readonly unique?: UniqueOptions;
  /**
   * Runs the kind on the runtime's ThreadPool instead of the event loop (CPU-bound work):
   * `module` exports a function `fn(payload)`, whose return value is the result; cancelling
   * or timing out kills its thread. Give either `thread` or `handler`, not both.
   */
  readonly thread?: { readonly module: string | URL; readonly fn: string };
}

/**
 * Any job definition, whatever its payload type: what `createSteward`'s `jobs` accepts.
 * (`JobDefinition<never>` would not do: a schema's output type sits in a covariant spot.)
 */
export interface AnyJobDefinition extends Omit<JobDefinition<never, unknown>, 'schema'> {
  readonly schema?: StandardSchemaV1<unknown, unknown>;
}

/** Per-enqueue options; each overrides the kind's default. */
export interface EnqueueOptions {
  readonly queue?: string;
  readonly priority?: number;
  readonly maxAttempts?: number;
  /** Run at this time (a Date or ms epoch). */
  readonly runAt?: Date | number;
  /** Run after this many ms. */
  readonly delayMs?: number;
  readonly timeoutMs?: number;
  /** Parents that must complete first: job ids, or `{ ref }` within one `enqueueMany`. */
  readonly dependsOn?: readonly (string | { readonly ref: string })[];
  /** This job's name for `{ ref }` within one `enqueueMany`. */
  readonly ref?: string;
  readonly unique?: UniqueOptions | false;
  readonly tags?: readonly string[];
}

/** Settings of one queue. */
export interface QueueOptions {
  /** Handlers of this queue running at once on this node (a slot frees when its handler returns, while the outcome is written). @default 10 */
  readonly concurrency?: number;
  /** Never more than `limit` starts in any `windowMs` (shared by every node of the store). */
  readonly rateLimit?: { readonly limit: number; readonly windowMs: number };
  /** Start paused. @default false */
  readonly paused?: boolean;
}

/** Options of `createSteward`. */
export interface StewardOptions {
  /** A store URL (`memory:`, `sqlite:./file.db`, `postgres://…`) or a Store. @default 'memory:' */
  readonly store?: string | Store;
  /** Job kinds: a handler, or a definition with defaults. */
  readonly jobs: Readonly<Record<string, JobHandler<never> | AnyJobDefinition>>;
  /** Queues and their settings; a queue named by a job but missing here gets the defaults. */
  readonly queues?: Readonly<Record<string, QueueOptions>>;
  /** This worker's name in leases. @default `${hostname}:${pid}:${random}` */
  readonly node?: string;
  /** Lease length, ms; renewed every leaseMs / 3 while a job runs. @default 30000 */
  readonly leaseMs?: number;
  /** How often idle producers poll the store (events wake them sooner). @default 1000 */
  readonly pollIntervalMs?: number;
  /**
   * Monitor: a periodic report of queue sizes and stats (`monitor.report` telemetry). `log`:
   * false, true (one line per tick on the logger at info, even when its level is higher; on
   * stdout when `logger` is false) or a function that gets the line.
   * @default { intervalMs: 5000, log: false }
   */
  readonly monitor?: { readonly intervalMs?: number; readonly log?: boolean | ((line: string) => void) };
  /**
   * Structured logs (pino): handler `ctx.log` lines (a child logger bound to jobId, kind,
   * queue, attempt), discarded jobs and lost leases (warn), start and stop (info). false:
   * no logs. @default pino at level 'warn' on stderr ('silent' when NODE_ENV is 'test')
   */
  readonly logger?: Logger | false;
  /** Prometheus: also export prom-client's default process metrics. @default { defaultMetrics: false } */
  readonly metrics?: { readonly defaultMetrics?: boolean };
  /**
   * Retention: finished jobs are deleted once they finished longer ago than their state's age, in
   * ms; `false` keeps a state forever, and `prune: false` turns pruning off. The dead-letter queue
   * (discarded) is kept longest, for inspection and retry; completed jobs are rarely read again.
   * `maxAgeMs` gives every state not named its age (`{ maxAgeMs }` alone prunes all three alike, as
   * before per-state ages). Every `intervalMs`, one delete per state (states of equal age share
   * one) of at most `limit` jobs, oldest first (Oban's limit), so pruning never holds the store long.
   * @default { completed: 1 day, cancelled: 7 days, discarded: 30 days, intervalMs: 60000, limit: 10000 }
   * @example prune: { completed: 3_600_000, discarded: false } // completed: an hour; dead letters: forever
   */
  readonly prune?:
    | {
        readonly completed?: number | false;
        readonly cancelled?: number | false;
        readonly discarded?: number | false;
        readonly maxAgeMs?: number;
        readonly intervalMs?: number;
        readonly limit?: number;
      }
    | false;
  /** Runs workers (false: enqueue-only client). @default true */
  readonly run?: boolean;
}

/** Live statistics (the seed's `JobQueue.stats()`, extended): the totals, then per queue and kind. */
export interface StewardStats extends StatsCounters {
  readonly byQueue: Readonly<Record<string, StatsCounters>>;
  readonly byKind: Readonly<Record<string, StatsCounters>>;
  /** The last errors, newest first (at most 100 kept). */
  readonly recentErrors: readonly {
    readonly jobId: string;
    readonly kind: string;
    readonly queue: string;
    readonly attempt: number;
    readonly message: string;
    readonly at: number;
  }[];
}

/**
 * Statistics per queue or kind. `failed` counts failed attempts, of which `retried` will
 * be retried; `started` counts attempts, so a retried job is started more than once.
 */
export interface StatsCounters {
  readonly enqueued: number;
  readonly started: number;
  readonly completed: number;
  readonly failed: number;
  readonly retried: number;
  readonly discarded: number;
  readonly cancelled: number;
  /** Executing jobs handed back by a graceful shutdown (available again; the attempt did not count). */
  readonly released: number;
  /** Running now (never negative). */
  readonly inProgress: number;
  /** Mean and percentiles of completed attempts' run times since start, ms (percentiles within 1.6%). */
  readonly avgRunMs: number;
  readonly p50RunMs: number;
  readonly p95RunMs: number;
  readonly p99RunMs: number;
}

/** One second of activity on this node, for charts (`metricsSeries`). */
export interface MetricsPoint {
  /** The second's start, ms epoch (the store's clock). */
  readonly at: number;
  readonly enqueued: number;
  /** Attempts started. */
  readonly started: number;
  readonly completed: number;
  /** Attempts failed. */
  readonly failed: number;
  /** Jobs not yet final (every queue) at the monitor's report in that second; null: no report. */
  readonly queued: number | null;
}

/** The running job system. */
export interface Steward {
  start(): Promise<void>;
  /** Stops fetching, lets running jobs finish within `graceMs`, aborts and hands back the rest. */
  stop(opts?: { readonly graceMs?: number }): Promise<void>;
  enqueue(kind: string, payload: unknown, opts?: EnqueueOptions): Promise<JobRecord>;
  enqueueMany(
    jobs: readonly { readonly kind: string; readonly payload: unknown; readonly opts?: EnqueueOptions }[],
  ): Promise<JobRecord[]>;
  /** The seed's `JobQueue.submit(data, priority)`: the kind is `data.type`. */
  submit(data: { readonly type: string } & Record<string, unknown>, priority?: number): Promise<JobRecord>;
  getJob(id: string): Promise<JobRecord | null>;
  listJobs(filter?: JobFilter): Promise<JobRecord[]>;
  cancelJob(id: string): Promise<JobRecord | null>;
  cancelJobs(ids: readonly string[]): Promise<(JobRecord | null)[]>;
  retryJob(id: string): Promise<JobRecord | null>;
  retryJobs(ids: readonly string[]): Promise<JobRecord[]>;
  deleteJob(id: string): Promise<boolean>;
  deleteJobs(ids: readonly string[]): Promise<number>;
  pauseQueue(queue: string): Promise<void>;
  resumeQueue(queue: string): Promise<void>;
  stats(): Promise<StewardStats>;
  /** Jobs not yet final (the seed's `queue_size`). */
  queueSize(queue?: string): Promise<number>;
  /** Prometheus text exposition of the metrics. */
  metrics(): Promise<string>;
  /** The last `seconds` seconds of activity, oldest first, one point per second. @default seconds 300 (the most kept) */
  metricsSeries(opts?: { readonly seconds?: number }): Promise<readonly MetricsPoint[]>;
  on<K extends keyof TelemetryEvents>(event: K, listener: (payload: TelemetryEvents[K]) => void): () => void;
  /**
   * For tests and scripts: resolves when nothing is left to run — no job executing, available,
   * or (unless `scheduled: false`) scheduled or awaiting a retry; rejects with TaskTimeoutError
   * after `timeoutMs` (default 30000). Paused queues are not waited for.
   */
  drain(opts?: { readonly timeoutMs?: number; readonly scheduled?: boolean }): Promise<void>;
  /** The supervision tree, for inspection: each child's id, status and automatic restarts so far. */
  readonly supervisor: {
    whichChildren(): readonly { readonly id: string; readonly status: string; readonly restarts: number }[];
  };
  readonly store: Store;
}
