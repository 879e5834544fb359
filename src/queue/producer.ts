/**
 * The producer of one queue (Oban's Producer): no `while` loop. Inserts, finished jobs,
 * resumes and a jittered poll tick all call one `scheduleDispatch()`, which fetches as
 * many jobs as the queue has free slots (`concurrency − running`) and starts them on a
 * TaskSupervisor (one supervised child per fetched batch). The rate limit travels in the fetch request, so the store admits a job
 * only when the window has room: checked before a job is taken, never by putting it back.
 *
 * Stopping is the watchman: stop fetching, let running jobs finish within the grace
 * period, then abort the rest, whose executors hand them back to the store (`releaseJob`).
 */
import { ShutdownError, coerceError } from '../runtime/errors.js';
import { deferred } from '../runtime/internal/deferred.js';
import { after } from '../runtime/internal/timers.js';
import { SHUTDOWN } from '../runtime/process.js';
import type { ExitReason, Process } from '../runtime/process.js';
import { report } from '../runtime/report.js';
import { TaskSupervisor } from '../runtime/task-supervisor.js';
import type { JobRecord } from '../store/types.js';
import { execute } from './executor.js';
import type { ExecutorDeps } from './executor.js';
import { Execution } from './running.js';
import type { Running } from './running.js';
import type { QueueSpec } from './validate.js';

/** What a producer needs besides its queue's settings. */
export interface ProducerDeps extends ExecutorDeps {
  readonly running: Running;
  /** This worker's name in leases. */
  readonly node: string;
  readonly leaseMs: number;
  readonly pollIntervalMs: number;
}

/** One queue's fetch-and-start loop, as a Process for the supervision tree. */
export class Producer implements Process {
  readonly name: string;
  readonly queue: string;
  readonly #spec: QueueSpec;
  readonly #deps: ProducerDeps;
  readonly #tasks: TaskSupervisor;
  readonly #batchName: string;
  /**
   * Handlers of this queue running on this node: the slots `concurrency` bounds. A slot frees when
   * its handler is over, before the outcome is written, so the next fetch can share a transaction
   * (one commit) with the completions that freed it.
   */
  #mine = 0;
  /** Executions not yet over (handler running or outcome being written); stop waits for these. */
  #open = 0;
  readonly #exit = deferred<ExitReason>();
  #paused: boolean;
  #fetching = false;
  #again = false;
  #stopping: Promise<void> | null = null;
  #cancelTick: () => void = noop;
  #idle: (() => void) | null = null;
  /** The fetch in flight (or last finished), which a stop waits for before counting running jobs. */
  #dispatching: Promise<void> = Promise.resolve();

  /** Starts the producer; it fetches at once unless `paused`. */
  constructor(spec: QueueSpec, paused: boolean, deps: ProducerDeps) {
    this.queue = spec.name;
    this.name = `producer:${spec.name}`;
    this.#spec = spec;
    this.#deps = deps;
    this.#paused = paused;
    this.#tasks = TaskSupervisor.start({ name: `jobs:${spec.name}` });
    this.#batchName = `jobs:${spec.name}:batch`;
    this.scheduleDispatch();
  }

  /** Resolves once the producer has stopped. */
  get exited(): Promise<ExitReason> {
    return this.#exit.promise;
  }

  /** Jobs of this queue running on this node now. */
  get running(): number {
    return this.#mine;
  }

  /** Marks the queue paused (nothing is fetched) or resumed (fetching starts again). */
  setPaused(paused: boolean): void {
    this.#paused = paused;
    if (!paused) this.scheduleDispatch();
  }

  /**
   * Asks for a fetch of as many jobs as there are free slots. Calls made while a fetch is
   * in flight fold into one more fetch after it, so a burst of finished jobs or inserts
   * costs one store call, not one each.
   */
  scheduleDispatch(): void {
    if (this.#stopping || this.#paused) return;
    if (this.#fetching) {
      this.#again = true;
      return;
    }
    this.#fetching = true;
    // Waiting for the next turn of the event loop folds every trigger of this one (a burst
    // of finished jobs, timers firing together, an insert batch) into a single fetch.
    this.#dispatching = new Promise<void>((resolve) => setImmediate(resolve))
      .then(() => this.#dispatch())
      .catch((err: unknown) => {
        // Only a bug lands here (store failures are handled inside); never lose it.
        report({
          source: 'steward',
          name: this.name,
          event: 'producer.dispatch_failed',
          reason: coerceError(err),
        });
      });
  }

  /**
   * One fetch of as many jobs as there are free slots. A full batch asks for another fetch on the
   * next turn rather than looping here: the event loop turns between batches (timers and I/O
   * run), and in SQLite the completions that freed the slots and the next fetch meet in one commit.
   */
  async #dispatch(): Promise<void> {
    const { store, node, leaseMs } = this.#deps;
    let again = false;
    try {
      this.#again = false;
      const demand = this.#spec.concurrency - this.#mine;
      if (demand <= 0 || this.#stopping || this.#paused) return;
      let jobs: JobRecord[];
      try {
        jobs = await store.fetchJobs({
          queue: this.queue,
          demand,
          owner: node,
          leaseMs,
          ...(this.#spec.rateLimit ? { rateLimit: this.#spec.rateLimit } : {}),
        });
      } catch (err) {
        // A failing store is not this producer's crash: report it and try again on the next tick.
        report({
          source: 'steward',
          name: this.name,
          event: 'producer.fetch_failed',
          reason: coerceError(err),
        });
        return;
      }
      if (jobs.length > 0) this.#start(jobs);
      again = jobs.length === demand;
    } finally {
      this.#fetching = false;
      if (again || this.#again) this.scheduleDispatch();
      else this.#armTick();
    }
  }

  /**
   * Starts one fetch's jobs as one child of the TaskSupervisor: a child per batch rather
   * than per job, because a supervised Task costs several times a no-op job's whole run.
   * Each job still frees its slot the moment it ends.
   */
  #start(jobs: readonly JobRecord[]): void {
    const { running } = this.#deps;
    const executions: Execution[] = [];
    for (const job of jobs) {
      const execution = new Execution(job);
      // Fetched while stopping: the handler never starts and the executor hands the job back.
      if (this.#stopping) execution.abort(new ShutdownError(`queue "${this.queue}" is stopping`));
      running.add(execution);
      executions.push(execution);
    }
    this.#mine += executions.length;
    this.#open += executions.length;
    for (const execution of executions) execution.onFree = this.#free;
    this.#tasks.startChild(() => this.#runBatch(executions), { name: this.#batchName });
  }

  /** Runs a batch; resolves once every job in it ended (a counter: Promise.all costs a promise per job). */
  #runBatch(executions: readonly Execution[]): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      let left = executions.length;
      if (left === 0) resolve();
      // execute() calls back once per job whatever happened, so one callback covers every
      // ending; a throw in #ended (a bug) fails the batch, which its TaskSupervisor reports.
      for (const execution of executions) {
        execute(execution, this.#deps, () => {
          try {
            this.#ended(execution);
          } catch (err) {
            reject(err as Error);
          }
          if (--left === 0) resolve();
        });
      }
    });
  }

  /** A handler is over: its slot is free for the next fetch. */
  readonly #free = (): void => {
    this.#mine--;
    this.scheduleDispatch();
  };

  #ended(execution: Execution): void {
    this.#open--;
    this.#deps.running.delete(execution);
    if (this.#open === 0) this.#idle?.();
  }

  /**
   * The poll tick: a fetch every `pollIntervalMs` (±10%, so many nodes do not poll in
   * step), sooner on a rate-limited queue so it picks up again as its window frees.
   */
  #armTick(): void {
    this.#cancelTick();
    if (this.#stopping) return;
    let interval = this.#deps.pollIntervalMs;
    const limit = this.#spec.rateLimit;
    if (limit) interval = Math.min(interval, Math.max(5, limit.windowMs / limit.limit));
    const jittered = interval * (0.9 + Math.random() * 0.2);
    this.#cancelTick = after(jittered, () => this.scheduleDispatch());
  }

  /**
   * Stops fetching, waits up to `graceMs` for running jobs, aborts the rest (their
   * executors release them to the store), and resolves once every execution ended.
   * @default graceMs 10000
   */
  stop(graceMs = 10_000): Promise<void> {
    this.#stopping ??= this.#drain(graceMs);
    return this.#stopping;
  }

  async #drain(graceMs: number): Promise<void> {
    this.#cancelTick();
    await this.#dispatching;
    if (this.#open > 0) {
      const idle = new Promise<void>((resolve) => (this.#idle = resolve));
      let cancelGrace = noop;
      const graceOver = new Promise<void>((resolve) => (cancelGrace = after(graceMs, resolve)));
      await Promise.race([idle, graceOver]);
      cancelGrace();
      if (this.#open > 0) {
        const shutdown = new ShutdownError(`queue "${this.queue}" stopped before the job finished`);
        for (const execution of this.#deps.running.all()) {
          if (execution.job.queue === this.queue) execution.abort(shutdown);
        }
        // Aborted runs end at once; what remains is one store call each to hand the job back.
        await idle;
      }
    }
    // Every batch has ended or is settling in a microtask: the grace only covers that.
    await this.#tasks.shutdown(1000);
    this.#exit.resolve(SHUTDOWN);
  }
}

function noop(): void {}
