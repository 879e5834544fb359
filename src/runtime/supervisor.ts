/**
 * Supervisor: starts child processes in order, watches them, and restarts them by a
 * strategy when they end, after OTP's `Supervisor`. Like an OTP supervisor it handles
 * one thing at a time: every child exit, restart and call is a step in one queue, so
 * a crash that arrives while a restart or a stop is under way waits its turn and is
 * then judged against the state that step left behind.
 */
import { StoppedError, coerceError } from './errors.js';
import { deferred } from './internal/deferred.js';
import { Emitter } from './internal/emitter.js';
import { periodicSpec, workerSpec } from './internal/child-worker.js';
import type { PeriodicOptions } from './internal/child-worker.js';
import { ChildStartError, SupervisorIntensityError } from './internal/supervisor-errors.js';
import { exitOf, leavePending, newChild, restartGroup, stopWithin } from './internal/supervisor-child.js';
import type {
  Child,
  ChildCounts,
  ChildInfo,
  PendingRestart,
  SupervisorEvents,
} from './internal/supervisor-child.js';
import {
  isProcess,
  normalizeChildSpec,
  normalizeChildSpecs,
  normalizeOptions,
} from './internal/supervisor-spec.js';
import type {
  ChildOptions,
  ChildSpec,
  NormalizedChildSpec,
  NormalizedOptions,
  SupervisorOptions,
} from './internal/supervisor-spec.js';
import { after, backoffDelay } from './internal/supervisor-timers.js';
import { SHUTDOWN, crashed } from './process.js';
import type { ExitReason, Process } from './process.js';
import { markSupervised } from './internal/watched.js';
import { report } from './report.js';
import { assertTimeout, invalidArgument } from './validate.js';

export { ChildStartError, SupervisorIntensityError } from './internal/supervisor-errors.js';
export type { PeriodicOptions } from './internal/child-worker.js';
export type { ChildCounts, ChildInfo, ChildStatus, SupervisorEvents } from './internal/supervisor-child.js';
export type { ChildOptions, ChildSpec, Strategy, SupervisorOptions } from './internal/supervisor-spec.js';

/**
 * A supervision tree node. Implements Process, so supervisors nest and a child
 * supervisor that gives up is just a crashed child to its parent.
 *
 * @example
 * const sup = await Supervisor.start(
 *   [
 *     Supervisor.worker('poller', (signal) => pollJobs(signal)),
 *     Supervisor.periodic('metrics', () => reportMetrics(), 5000),
 *   ],
 *   { name: 'app', strategy: 'one_for_one', maxRestarts: 3, maxSeconds: 5 },
 * );
 * await sup.stop();
 */
export class Supervisor implements Process {
  /** The supervisor's name, used in reports and errors. */
  readonly name: string;
  /** Resolves with `shutdown` after `stop()`, or with an `error` (SupervisorIntensityError) when it gave up. */
  readonly exited: Promise<ExitReason>;
  readonly #opts: NormalizedOptions;
  readonly #events = new Emitter<SupervisorEvents>();
  readonly #exit = deferred<ExitReason>();
  #children: Child[] = [];
  #restartTimes: number[] = [];
  #queue: Promise<unknown> = Promise.resolve();
  /** Set once shutdown is decided: from then on no child is started or restarted. */
  #stopping = false;
  #shutdownStarted = false;

  private constructor(opts: NormalizedOptions) {
    this.name = opts.name;
    this.#opts = opts;
    this.exited = this.#exit.promise;
  }

  /**
   * Starts a supervisor and its children in order, awaiting each start. If one fails,
   * the children already started are stopped in reverse order and the promise rejects
   * with a ChildStartError naming the child. Bad arguments reject with a TypeError.
   */
  static async start(children: readonly ChildSpec[], opts?: SupervisorOptions): Promise<Supervisor> {
    const options = normalizeOptions(opts);
    const specs = normalizeChildSpecs(children);
    const sup = new Supervisor(options);
    await sup.#enqueue(() => sup.#init(specs));
    return sup;
  }

  /**
   * A child spec whose process runs `run(signal)`: returning is a normal exit, throwing
   * a crash; stopping aborts `signal` and waits up to the child's `shutdown` grace.
   */
  static worker(
    id: string,
    run: (signal: AbortSignal) => Promise<void> | void,
    opts?: ChildOptions,
  ): ChildSpec {
    return workerSpec(id, run, opts);
  }

  /**
   * A child spec that calls `fn(signal)` every `intervalMs`, the next wait starting when
   * the previous call finished (no overlap). A throw crashes the child, so its supervisor
   * restarts it; stopping lets a running call finish within the grace and clears the timer.
   */
  static periodic(
    id: string,
    fn: (signal: AbortSignal) => unknown,
    intervalMs: number,
    opts?: PeriodicOptions,
  ): ChildSpec {
    return periodicSpec(id, fn, intervalMs, opts);
  }

  /** Subscribes to an event; returns the function that unsubscribes. */
  on<K extends keyof SupervisorEvents>(
    event: K,
    listener: (payload: SupervisorEvents[K]) => void,
  ): () => void {
    return this.#events.on(event, listener);
  }

  /** Unsubscribes a listener added with `on`. */
  off<K extends keyof SupervisorEvents>(event: K, listener: (payload: SupervisorEvents[K]) => void): void {
    this.#events.off(event, listener);
  }

  /** The children in start order, with their status and automatic restart counts. */
  whichChildren(): ChildInfo[] {
    return this.#children.map((c) => {
      const { id, restart, type } = c.spec;
      const info = { id, status: c.status, restart, type, restarts: c.restarts };
      return c.process ? { ...info, process: c.process } : info;
    });
  }

  /** How many specs, running children, supervisors and workers this supervisor has. */
  countChildren(): ChildCounts {
    const supervisors = this.#children.filter((c) => c.spec.type === 'supervisor').length;
    return {
      specs: this.#children.length,
      active: this.#children.filter((c) => c.status === 'running').length,
      supervisors,
      workers: this.#children.length - supervisors,
    };
  }

  /**
   * Adds a child and starts it, resolving with its process. Rejects with a TypeError
   * for a bad spec or a duplicate id, a ChildStartError if its start fails (the spec
   * is then not kept), a StoppedError once the supervisor is stopping.
   */
  async startChild(spec: ChildSpec): Promise<Process> {
    const normalized = normalizeChildSpec('spec', spec);
    return this.#enqueue(async () => {
      this.#assertRunning();
      if (this.#find(normalized.id)) {
        throw invalidArgument('spec.id', `an id not yet used in supervisor "${this.name}"`, normalized.id);
      }
      const child = newChild(normalized);
      const proc = await this.#startProcess(child);
      this.#children.push(child);
      return proc;
    });
  }

  /** Stops a child (or cancels its pending restart) and keeps its spec as `stopped`; temporary ones are removed. */
  async terminateChild(id: string): Promise<void> {
    return this.#enqueue(async () => {
      this.#assertRunning();
      const child = this.#require(id);
      leavePending(child);
      await this.#stopChild(child, child.spec.shutdown);
      if (child.spec.restart === 'temporary') this.#remove(child);
    });
  }

  /** Starts a stopped child again, resolving with its new process; rejects unless the child is stopped. */
  async restartChild(id: string): Promise<Process> {
    return this.#enqueue(async () => {
      this.#assertRunning();
      const child = this.#require(id);
      this.#assertStopped(child, 'restart');
      return this.#startProcess(child);
    });
  }

  /** Removes the spec of a stopped child; rejects unless the child is stopped. */
  async deleteChild(id: string): Promise<void> {
    return this.#enqueue(async () => {
      this.#assertRunning();
      const child = this.#require(id);
      this.#assertStopped(child, 'delete');
      this.#remove(child);
    });
  }

  /**
   * Stops every child in reverse start order, each within its own `shutdown` budget
   * (and within `graceMs` overall); a child still running when its budget runs out is
   * abandoned and reported (`child.abandoned`). Exits with `shutdown`; idempotent.
   * @default graceMs Infinity (each child is still bounded by its own `shutdown`)
   */
  async stop(graceMs: number = Infinity): Promise<void> {
    assertTimeout('graceMs', graceMs);
    if (!this.#stopping) {
      const deadline = Date.now() + graceMs;
      this.#beginStopping();
      this.#post(() => this.#shutdown(SHUTDOWN, deadline));
    }
    await this.exited;
  }

  // ---- steps (each runs alone in the queue) ----

  async #init(specs: readonly NormalizedChildSpec[]): Promise<void> {
    for (const spec of specs) {
      const child = newChild(spec);
      try {
        await this.#startProcess(child);
      } catch (err) {
        this.#beginStopping();
        for (const started of [...this.#children].reverse())
          await this.#stopChild(started, started.spec.shutdown);
        this.#finish(crashed(coerceError(err)));
        throw err;
      }
      this.#children.push(child);
    }
  }

  async #onChildExit(child: Child, proc: Process, reason: ExitReason): Promise<void> {
    if (child.process !== proc) return; // we stopped or replaced it: not news
    child.process = undefined;
    child.status = 'stopped';
    this.#events.emit('child.exited', { id: child.spec.id, reason });
    if (reason.kind === 'error') this.#crashed(child, reason.error, 'run');
    const { restart } = child.spec;
    const wanted = restart === 'permanent' || (restart === 'transient' && reason.kind === 'error');
    if (this.#stopping || !wanted) {
      if (restart === 'temporary') this.#remove(child);
      return;
    }
    await this.#restartAfterExit(child, reason.kind === 'error' ? reason.error : undefined);
  }

  /** Counts the restart against the intensity, stops the siblings the strategy names and schedules them. */
  async #restartAfterExit(child: Child, cause: Error | undefined): Promise<void> {
    const now = Date.now();
    const windowMs = this.#opts.maxSeconds * 1000;
    this.#restartTimes = [...this.#restartTimes.filter((t) => now - t < windowMs), now];
    if (this.#restartTimes.length > this.#opts.maxRestarts) {
      const { maxRestarts, maxSeconds } = this.#opts;
      const error = new SupervisorIntensityError(this.name, child.spec.id, maxRestarts, maxSeconds, cause);
      report({ source: 'supervisor', name: this.name, event: 'supervisor.shutdown', reason: error });
      this.#beginStopping();
      await this.#shutdown(crashed(error), Infinity);
      return;
    }
    child.recent = [...child.recent.filter((t) => now - t < windowMs), now];
    const delayMs = backoffDelay(child.recent.length, this.#opts.initialBackoffMs, this.#opts.maxBackoffMs);
    const group = restartGroup(this.#children, child, this.#opts.strategy);
    for (const sibling of [...group].reverse()) {
      if (sibling !== child) await this.#stopChild(sibling, sibling.spec.shutdown);
    }
    // OTP never restarts a temporary child, even when a sibling's crash took it down.
    for (const sibling of group)
      if (sibling.spec.restart === 'temporary' && sibling !== child) this.#remove(sibling);
    this.#schedule(
      group.filter((c) => c.spec.restart !== 'temporary'),
      delayMs,
    );
  }

  #schedule(members: Child[], delayMs: number): void {
    if (this.#stopping || members.length === 0) return;
    const pending: PendingRestart = { members: new Set(members), cancel: noop };
    for (const member of members) {
      leavePending(member);
      member.status = 'restarting';
      member.pending = pending;
    }
    const fire = (): void => this.#post(() => this.#restartPending(pending));
    if (delayMs === 0) fire();
    else pending.cancel = after(delayMs, fire);
  }

  async #restartPending(pending: PendingRestart): Promise<void> {
    for (const child of this.#children) {
      if (this.#stopping) return;
      if (child.pending !== pending) continue; // terminated or regrouped meanwhile
      child.pending = undefined;
      try {
        const proc = await this.#startProcess(child);
        child.restarts += 1;
        this.#events.emit('child.restarted', { id: child.spec.id, process: proc, restarts: child.restarts });
      } catch (err) {
        // A failed restart is one more crash: it counts against the intensity and
        // re-applies the strategy, which regroups the members not started yet.
        const error = coerceError(err);
        child.status = 'stopped';
        this.#crashed(child, error, 'start');
        await this.#restartAfterExit(child, error);
        return;
      }
    }
  }

  /** Stops the children in reverse order (each within its budget, all by `deadline`) and exits. */
  async #shutdown(reason: ExitReason, deadline: number): Promise<void> {
    if (this.#shutdownStarted) return;
    this.#shutdownStarted = true;
    for (const child of [...this.#children].reverse()) {
      leavePending(child);
      const budget = Math.min(child.spec.shutdown, Math.max(0, deadline - Date.now()));
      await this.#stopChild(child, budget);
    }
    this.#children = this.#children.filter((c) => c.spec.restart !== 'temporary');
    this.#finish(reason);
  }

  // ---- helpers ----

  #enqueue<T>(step: () => Promise<T>): Promise<T> {
    const result = this.#queue.then(step);
    this.#queue = result.catch(noop);
    return result;
  }

  /** Enqueues a step nobody awaits; a failure in it is a bug, reported rather than lost. */
  #post(step: () => Promise<void>): void {
    this.#enqueue(step).catch((err: unknown) => {
      report({
        source: 'supervisor',
        name: this.name,
        event: 'supervisor.internal_error',
        reason: coerceError(err),
      });
    });
  }

  async #startProcess(child: Child): Promise<Process> {
    const { id, start } = child.spec;
    let returned: unknown;
    try {
      returned = await start();
    } catch (err) {
      throw new ChildStartError(this.name, id, coerceError(err));
    }
    if (!isProcess(returned)) {
      throw new ChildStartError(
        this.name,
        id,
        invalidArgument(`start() of child "${id}"`, 'a Process', returned),
      );
    }
    const started = returned;
    markSupervised(started); // this supervisor reports the child's crash; the child need not as well
    child.process = started;
    child.status = 'running';
    void exitOf(started).then((reason) => this.#post(() => this.#onChildExit(child, started, reason)));
    this.#events.emit('child.started', { id, process: started });
    return started;
  }

  /** Stops a running child within `budgetMs`, reporting it as abandoned if it does not end in time. */
  async #stopChild(child: Child, budgetMs: number): Promise<void> {
    const proc = child.process;
    child.process = undefined;
    child.status = 'stopped';
    if (!proc) return;
    const { id } = child.spec;
    const base = { source: 'supervisor', name: this.name } as const;
    const outcome = await stopWithin(proc, budgetMs, (reason) =>
      report({ ...base, event: 'child.stop_failed', reason, meta: { id } }),
    );
    if (!outcome.settled) {
      report({ ...base, event: 'child.abandoned', meta: { id, shutdownMs: budgetMs } });
      return;
    }
    this.#events.emit('child.exited', { id, reason: outcome.value });
    if (outcome.value.kind === 'error') this.#crashed(child, outcome.value.error, 'stop');
  }

  #crashed(child: Child, error: Error, phase: 'run' | 'start' | 'stop'): void {
    const { id } = child.spec;
    this.#events.emit('child.crashed', { id, error, restarts: child.restarts });
    report({
      source: 'supervisor',
      name: this.name,
      event: 'child.crashed',
      reason: error,
      meta: { id, restarts: child.restarts, phase },
    });
  }

  #beginStopping(): void {
    this.#stopping = true;
    for (const child of this.#children) leavePending(child);
  }

  #finish(reason: ExitReason): void {
    this.#exit.resolve(reason);
    this.#events.emit('supervisor.exited', { reason });
  }

  #find(id: string): Child | undefined {
    return this.#children.find((c) => c.spec.id === id);
  }

  #require(id: string): Child {
    const child = this.#find(id);
    if (!child) throw invalidArgument('id', `the id of a child of supervisor "${this.name}"`, id);
    return child;
  }

  #remove(child: Child): void {
    this.#children = this.#children.filter((c) => c !== child);
  }

  #assertRunning(): void {
    if (this.#stopping) throw new StoppedError(`supervisor "${this.name}"`);
  }

  #assertStopped(child: Child, what: string): void {
    if (child.status !== 'stopped') {
      throw new Error(
        `cannot ${what} child "${child.spec.id}" of supervisor "${this.name}": it is ${child.status}`,
      );
    }
  }
}

function noop(): void {}
