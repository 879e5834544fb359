/**
 * The Completer: the successes of one turn of the event loop, recorded with one `completeJobs`
 * store call (see the class). Split from the executor, which hands it each success.
 */
import { nextTurn } from '../runtime/internal/timers.js';
import type { CompletionResult, JobRecord, Store } from '../store/types.js';
import { ended } from './executor.js';
import type { Telemetry } from './instrument.js';
import type { Execution } from './running.js';

/** Most completions in one store call: bounds one transaction (and one JSON batch) in SQL. */
const MAX_COMPLETIONS = 1000;

/**
 * Collects the successes of one event-loop turn and records them with one `completeJobs` call,
 * flushed by `nextTurn` (so jobs ending on separate timer callbacks of one turn share it). One store call and one promise per
 * batch instead of per job, and the executions themselves are the completions (no object per
 * job): in memory that is most of what a no-op job costs; in SQLite, one statement set per tick.
 */
export class Completer {
  readonly #store: Store;
  readonly #telemetry: Telemetry;
  #pending: Execution[] = [];
  #scheduled = false;

  /** A completer writing through `store` and announcing on `telemetry`. */
  constructor(store: Store, telemetry: Telemetry) {
    this.#store = store;
    this.#telemetry = telemetry;
  }

  /** Queues a success (its `result`, `value` and `durationMs` set); ends it once recorded. */
  add(execution: Execution): void {
    this.#pending.push(execution);
    if (!this.#scheduled) {
      this.#scheduled = true;
      nextTurn(() => this.#flush());
    }
  }

  #flush(): void {
    this.#scheduled = false;
    while (this.#pending.length > 0) {
      let batch = this.#pending;
      if (batch.length <= MAX_COMPLETIONS) this.#pending = [];
      else batch = this.#pending.splice(0, MAX_COMPLETIONS);
      this.#send(batch);
    }
  }

  #send(batch: readonly Execution[]): void {
    let answer: Promise<CompletionResult[]>;
    try {
      answer = this.#store.completeJobs(batch);
    } catch (err) {
      answer = Promise.reject(err as Error);
    }
    answer.then(
      (results) => {
        for (let i = 0; i < batch.length; i++) this.#settle(batch[i] as Execution, results[i]);
      },
      (err: unknown) => {
        for (const execution of batch) ended(execution, 'success', err);
      },
    );
  }

  #settle(execution: Execution, r: CompletionResult | undefined): void {
    try {
      const { job } = execution;
      if (r === undefined) throw new Error(`the store answered nothing for job ${job.id}`);
      const telemetry = this.#telemetry;
      const durationMs = execution.durationMs;
      if (!r.ok) {
        telemetry.emit('job.stale', { jobId: job.id });
      } else if (telemetry.has(r.state === 'cancelled' ? 'job.cancel' : 'job.stop')) {
        // The store answers what changed (SQL stores leave the record out: rebuilding it there
        // costs more than the update); the rest of the record is the job as fetched.
        const done: JobRecord =
          r.job ??
          Object.freeze({
            ...job,
            state: r.state,
            finishedAt: r.finishedAt,
            result: r.state === 'completed' ? execution.result : job.result,
            lease: null,
          });
        if (r.state === 'cancelled') telemetry.emit('job.cancel', { job: done, durationMs });
        else
          telemetry.emit('job.stop', { job: done, outcome: 'success', durationMs, result: execution.value });
      }
    } catch (err) {
      ended(execution, 'success', err);
      return;
    }
    ended(execution);
  }
}
