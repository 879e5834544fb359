/**
 * The jobs this node is executing right now: one Execution per fetched job, each with
 * its lease and the AbortController its handler listens to. The heartbeat renews every
 * lease here in one store call; cancel requests, lost leases, timeouts and shutdown all
 * end an attempt through `abort`, so the first reason wins and the rest are ignored.
 */
import { deferred } from '../runtime/internal/deferred.js';
import type { Deferred } from '../runtime/internal/deferred.js';
import type { Completion, JobRecord, Json, LeaseRef } from '../store/types.js';

/** Where an execution is: the handler runs, its outcome is being written, or it is over. */
export type ExecutionPhase = 'running' | 'recording' | 'done';

/**
 * One job being executed on this node. Its AbortController is made only when someone
 * asks for the signal: most handlers never read it, and a controller with its signal
 * costs more than the rest of a no-op job's bookkeeping.
 */
export class Execution implements Completion {
  /** The job as fetched (state executing, with its lease). */
  readonly job: JobRecord;
  /** Proof of holding the job, sent with every transition. */
  readonly lease: LeaseRef;
  phase: ExecutionPhase = 'running';
  /**
   * A success's stored result, set when the handler returned: the execution itself is then the
   * Completion handed to `completeJobs`, so a completed job costs no extra object.
   */
  result: Json | null = null;
  /** The handler's own return value (the `job.stop` event carries it). */
  value: unknown = undefined;
  /** How long the attempt ran, ms (set when it ended). */
  durationMs = 0;
  /** Called once the handler is over, before its outcome is recorded (the producer frees its slot). */
  onFree: () => void = noop;
  /** Called once the outcome is recorded (or dropped). */
  onEnd: () => void = noop;
  /** Called (once) when the attempt is aborted while its handler runs: the executor's race. */
  onAbort: ((reason: Error) => void) | null = null;
  #controller: AbortController | undefined;
  #reason: Error | undefined;
  #done: Deferred<void> | undefined;
  #finished = false;

  /** Wraps a job fresh from `fetchJobs`; a fetched job always carries its lease. */
  constructor(job: JobRecord) {
    if (!job.lease) throw new Error(`store returned fetched job ${job.id} without a lease`);
    this.job = job;
    this.lease = { id: job.id, token: job.lease.token };
  }

  /** The handler's signal; aborts (once) with the reason the attempt was ended early. */
  get signal(): AbortSignal {
    if (!this.#controller) {
      this.#controller = new AbortController();
      if (this.#reason) this.#controller.abort(this.#reason);
    }
    return this.#controller.signal;
  }

  /** Why the attempt was ended early, if it was. */
  get reason(): Error | undefined {
    return this.#reason;
  }

  /** Ends the attempt with `reason` unless it already ended or its outcome is being written. */
  abort(reason: Error): boolean {
    if (this.phase !== 'running' || this.#reason) return false;
    this.#reason = reason;
    this.#controller?.abort(reason);
    this.onAbort?.(reason);
    return true;
  }

  /** Resolves once the outcome is written (or dropped). */
  whenDone(): Promise<void> {
    if (this.#finished) return Promise.resolve();
    this.#done ??= deferred<void>();
    return this.#done.promise;
  }

  /** Marks the execution over. */
  finish(): void {
    this.phase = 'done';
    this.#finished = true;
    this.#done?.resolve();
  }
}

/**
 * The executions of this node. A job id can have two at once: an attempt whose lease was
 * lost (rescued from under it) can still be winding down when the same job is fetched
 * again here, so executions are kept as themselves and `get(id)` answers the newest.
 */
export class Running {
  /** The newest execution of each job: one Map operation per start and per end. */
  readonly #latest = new Map<string, Execution>();
  /** Older executions still winding down after their job was fetched again here (rare). */
  readonly #displaced = new Set<Execution>();
  #idle: Deferred<void> | null = null;

  /** How many executions run now. */
  get size(): number {
    return this.#latest.size + this.#displaced.size;
  }

  /** Registers an execution. */
  add(execution: Execution): void {
    const id = execution.job.id;
    const older = this.#latest.get(id);
    if (older !== undefined) this.#displaced.add(older);
    this.#latest.set(id, execution);
  }

  /** Forgets an execution. */
  delete(execution: Execution): void {
    const id = execution.job.id;
    if (this.#latest.get(id) === execution) this.#latest.delete(id);
    else this.#displaced.delete(execution);
    if (this.#idle && this.size === 0) {
      this.#idle.resolve();
      this.#idle = null;
    }
  }

  /** The newest execution of job `id`, if it runs here. */
  get(id: string): Execution | undefined {
    return this.#latest.get(id);
  }

  /** Every execution. */
  all(): Execution[] {
    return [...this.#latest.values(), ...this.#displaced];
  }

  /** Resolves once nothing runs here. */
  onIdle(): Promise<void> {
    if (this.size === 0) return Promise.resolve();
    this.#idle ??= deferred<void>();
    return this.#idle.promise;
  }
}

function noop(): void {}
