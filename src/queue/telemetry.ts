/**
 * Telemetry: the job system's lifecycle events, emitted in one place (Oban's
 * `:telemetry` spans). Metrics, the monitor, logs, the dashboard and Prometheus all
 * read from here; a listener that throws never breaks a job (the Emitter swallows and
 * reports it).
 */
import type { JobRecord, JobState } from '../store/types.js';
import type { StewardStats } from './types.js';

/** The closed set of outcomes an attempt can have (Oban's), decided before the store is touched. */
export type JobOutcome = 'success' | 'failure' | 'snoozed' | 'cancelled' | 'discard' | 'exhausted';

/** Payloads of every telemetry event, by dotted name. */
export type TelemetryEvents = {
  /** Jobs were inserted (one event per insert call): `jobs` are the new ones; duplicates returned by `unique` are only counted. */
  'job.insert': { readonly jobs: readonly JobRecord[]; readonly duplicates: number };
  /** An attempt started. */
  'job.start': { readonly job: JobRecord; readonly at: number };
  /** An attempt ended without an exception: completed, or snoozed. */
  'job.stop': {
    readonly job: JobRecord;
    readonly outcome: 'success' | 'snoozed';
    readonly durationMs: number;
    readonly result: unknown;
  };
  /** An attempt failed (the job is retryable, or discarded when `outcome` is discard/exhausted). */
  'job.exception': {
    readonly job: JobRecord;
    readonly outcome: 'failure' | 'discard' | 'exhausted';
    readonly durationMs: number;
    readonly error: Error;
  };
  /** A job was cancelled: queued (no duration) or while running. */
  'job.cancel': { readonly job: JobRecord; readonly durationMs: number | null };
  /** An executing job was handed back (available again, attempt not counted): graceful shutdown. */
  'job.release': { readonly job: JobRecord };
  /** A handler logged through `ctx.log` (the system logger writes it through the job's pino child logger). */
  'job.log': {
    readonly job: JobRecord;
    readonly level: 'info' | 'warn' | 'error';
    readonly message: string;
    readonly fields: Readonly<Record<string, unknown>> | undefined;
  };
  /** Jobs whose worker vanished were rescued from an expired lease. */
  'job.rescue': { readonly jobs: readonly JobRecord[] };
  /** A worker lost a job's lease (it expired and was taken elsewhere): its outcome was dropped. */
  'job.stale': { readonly jobId: string };
  /** A store call finished (every call of the instrumented store). */
  'store.call': { readonly method: string; readonly durationMs: number; readonly error: Error | null };
  /** Scheduled/retryable jobs became available. */
  'scheduler.stage': { readonly staged: number; readonly nextRunAt: number | null };
  /** Finished jobs were pruned. */
  'pruner.prune': { readonly pruned: number };
  /** A queue was paused. */
  'queue.pause': { readonly queue: string };
  /** A queue was resumed. */
  'queue.resume': { readonly queue: string };
  /**
   * A periodic report of queue sizes and stats (the monitor's tick): `counts` over every
   * queue, `queues` per queue (only non-zero counts appear), `stats` this node's statistics.
   */
  'monitor.report': {
    readonly at: number;
    readonly counts: Readonly<Record<JobState, number>>;
    readonly queues: Readonly<Record<string, Readonly<Partial<Record<JobState, number>>>>>;
    readonly stats: StewardStats;
  };
};

/** A telemetry event name. */
export type TelemetryEvent = keyof TelemetryEvents;
