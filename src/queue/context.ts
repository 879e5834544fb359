/**
 * What a handler receives besides its payload: the job, its signal, the attempt, a way
 * to store progress, and a logger bound to the job (lines go out as `job.log` telemetry,
 * which the system logger writes through the job's pino child logger).
 */
import type { JobRecord, Json } from '../store/types.js';
import type { ExecutorDeps } from './executor.js';
import type { Telemetry } from './instrument.js';
import type { Execution } from './running.js';
import type { JobContext, JobLogger } from './types.js';
import { toJson } from './validate.js';

/** The JobContext of one attempt; a class, so its methods are shared rather than made per job. */
export class Context implements JobContext {
  readonly #execution: Execution;
  readonly #deps: Pick<ExecutorDeps, 'store' | 'telemetry'>;
  #log: JobLogger | undefined;

  /** Binds the context to one execution. */
  constructor(execution: Execution, deps: Pick<ExecutorDeps, 'store' | 'telemetry'>) {
    this.#execution = execution;
    this.#deps = deps;
  }

  /** The job as fetched for this attempt. */
  get job(): JobRecord {
    return this.#execution.job;
  }

  /** Aborts on cancel, timeout, lost lease or shutdown (made on first read). */
  get signal(): AbortSignal {
    return this.#execution.signal;
  }

  /** This attempt's number, 1-based. */
  get attempt(): number {
    return this.#execution.job.attempt;
  }

  /** Stores a progress value (JSON); ignored once the lease is lost. */
  async progress(value: Json): Promise<void> {
    const json = toJson('value', value);
    await this.#deps.store.recordProgress(this.#execution.lease, json);
  }

  /** A logger bound to the job (made on first use). */
  get log(): JobLogger {
    this.#log ??= makeLogger(this.#execution.job, this.#deps.telemetry);
    return this.#log;
  }
}

function makeLogger(job: JobRecord, telemetry: Telemetry): JobLogger {
  // The system logger (logger.ts) listens to job.log and writes the line through the
  // job's child logger; with no listener at all (logger: false) a line costs nothing.
  const line =
    (level: 'info' | 'warn' | 'error') =>
    (message: string, fields?: Record<string, unknown>): void => {
      if (telemetry.has('job.log')) {
        telemetry.emit('job.log', { job, level, message: String(message), fields });
      }
    };
  return { info: line('info'), warn: line('warn'), error: line('error') };
}
