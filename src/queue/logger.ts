/**
 * Structured logs (pino), read from telemetry like everything else (DESIGN: metrics, logs,
 * the dashboard and Prometheus all read from it). The system logger gets Steward's own
 * lines; each job gets a child logger bound to its id, kind, queue and attempt, behind
 * `ctx.log` (whose calls travel as `job.log` telemetry, so a listener sees them too).
 *
 * Default: pino at level 'warn' on stderr — handler warnings and errors, discarded jobs and
 * lost leases — and 'silent' when NODE_ENV is 'test' (vitest and jest set it), so a test
 * suite stays quiet unless it passes a logger. Nothing about successful jobs is logged:
 * at 200k jobs/s a line per job would cost more than the jobs.
 */
import pino from 'pino';
import type { Logger } from 'pino';
import { invalidArgument } from '../runtime/validate.js';
import type { JobRecord } from '../store/types.js';
import type { TelemetrySource } from './metrics.js';

/** The level of the default logger: 'warn', or 'silent' when `env.NODE_ENV` is 'test'. */
export function defaultLevel(env: { readonly NODE_ENV?: string } = process.env): 'warn' | 'silent' {
  return env.NODE_ENV === 'test' ? 'silent' : 'warn';
}

/** Checks the `logger` option: a pino logger, false, or undefined (the default). */
export function checkLogger(value: unknown): Logger | false | undefined {
  if (value === undefined || value === false) return value;
  const v = value as Partial<Record<'child' | 'info' | 'warn' | 'error' | 'isLevelEnabled', unknown>> | null;
  if (
    typeof v !== 'object' ||
    v === null ||
    typeof v.child !== 'function' ||
    typeof v.info !== 'function' ||
    typeof v.warn !== 'function' ||
    typeof v.error !== 'function' ||
    typeof v.isLevelEnabled !== 'function'
  ) {
    throw invalidArgument('logger', 'a pino logger (or false for no logs)', value);
  }
  return value as Logger;
}

/** The system logger for the `logger` option: yours, the default (see the module comment), or none. */
export function systemLogger(option: Logger | false | undefined, node: string): Logger | null {
  if (option === false) return null;
  const base =
    option ?? pino({ name: 'steward', level: defaultLevel() }, pino.destination({ fd: 2, sync: true }));
  return base.child({ node });
}

/** Child loggers of the attempts that logged, by the record the attempt started with. */
const jobLoggers = new WeakMap<Logger, WeakMap<JobRecord, Logger>>();

/** The child logger of one attempt: `logger` bound to jobId, kind, queue and attempt (made once per attempt). */
export function jobLogger(logger: Logger, job: JobRecord): Logger {
  let byJob = jobLoggers.get(logger);
  if (byJob === undefined) jobLoggers.set(logger, (byJob = new WeakMap()));
  let child = byJob.get(job);
  if (child === undefined) {
    child = logger.child({ jobId: job.id, kind: job.kind, queue: job.queue, attempt: job.attempt });
    byJob.set(job, child);
  }
  return child;
}

/**
 * Writes the system's log lines from telemetry: handler logs at their level, discarded
 * jobs and lost leases (warn), retried attempts (info). Returns the function that stops.
 */
export function attachLogger(telemetry: TelemetrySource, logger: Logger): () => void {
  const offs = [
    telemetry.on('job.log', ({ job, level, message, fields }) => {
      if (!logger.isLevelEnabled(level)) return;
      const child = jobLogger(logger, job);
      if (fields === undefined) child[level](message);
      else child[level](fields, message);
    }),
    telemetry.on('job.exception', ({ job, outcome, error }) => {
      const level = outcome === 'failure' ? 'info' : 'warn';
      if (!logger.isLevelEnabled(level)) return;
      const message = outcome === 'failure' ? 'job attempt failed; will retry' : 'job discarded';
      jobLogger(logger, job)[level]({ outcome, maxAttempts: job.maxAttempts, err: error }, message);
    }),
    telemetry.on('job.rescue', ({ jobs }) => {
      logger.warn(
        { count: jobs.length, jobIds: jobs.slice(0, 20).map((j) => j.id) },
        'rescued jobs whose lease expired (their worker vanished or stalled)',
      );
    }),
    telemetry.on('job.stale', ({ jobId }) => {
      logger.warn({ jobId }, 'lost a job lease: this worker’s outcome was dropped');
    }),
  ];
  return () => {
    for (const off of offs) off();
  };
}
