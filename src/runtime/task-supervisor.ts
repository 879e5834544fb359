/**
 * TaskSupervisor: owns dynamically started tasks, after Elixir's `Task.Supervisor`.
 * It observes every child, so no child failure is ever "unobserved": each crash is
 * emitted as `child.crashed` and reported, and one child's crash never touches its
 * siblings or the caller that started it.
 */
import { StoppedError } from './errors.js';
import { Emitter } from './internal/emitter.js';
import { deferred } from './internal/deferred.js';
import { SHUTDOWN } from './process.js';
import type { ExitReason, Process } from './process.js';
import { report } from './report.js';
import { validateTaskOptions } from './internal/task-options.js';
import { Task, spawnTask } from './task.js';
import type { TaskOptions } from './task.js';
import { assertFunction, assertOneOf, assertTimeout, invalidArgument } from './validate.js';

/** Options of `TaskSupervisor.start`. */
export interface TaskSupervisorOptions {
  /** A name for reports. @default 'task_supervisor' */
  name?: string;
  /** Restarts a transient child may use within `maxSeconds`; one more crash and it is given up. @default 3 */
  maxRestarts?: number;
  /** The window, in seconds, in which `maxRestarts` is counted. @default 5 */
  maxSeconds?: number;
}

/** Options of `startChild`. */
export interface TaskChildOptions {
  /** `temporary`: never restarted; `transient`: restarted when it crashes (not when it returns). @default 'temporary' */
  restart?: 'temporary' | 'transient';
  /** The child's name, for events and reports. @default the function's name */
  name?: string;
  /** Ms after which the child is aborted and fails with TaskTimeoutError. @default Infinity */
  timeout?: number;
}

/** Options of `asyncNolink`. */
export interface NolinkOptions {
  /** The task's name. @default the function's name */
  name?: string;
  /** Ms after which the task is aborted and fails with TaskTimeoutError. @default Infinity */
  timeout?: number;
}

/** The events a TaskSupervisor emits; listeners never break the supervisor. */
export type TaskSupervisorEvents = {
  /** A child failed (not by a requested stop). */
  'child.crashed': { readonly task: Task<unknown>; readonly reason: Error };
  /** A crashed transient child was started again as `task`; `restarts` counts them all. */
  'child.restarted': {
    readonly task: Task<unknown>;
    readonly previous: Task<unknown>;
    readonly restarts: number;
  };
  /** A transient child crashed more than `maxRestarts` times within `maxSeconds` and is not restarted. */
  'child.gave_up': { readonly task: Task<unknown>; readonly reason: Error; readonly crashes: number };
  /** A child task ended (each incarnation of a restarted child ends once). */
  'child.exited': { readonly task: Task<unknown>; readonly reason: ExitReason };
};

/** One logical child: a function and its current incarnation. */
interface ChildRecord {
  readonly fn: (signal: AbortSignal) => unknown;
  readonly opts: TaskOptions;
  readonly restart: 'temporary' | 'transient';
  readonly first: Task<unknown>;
  current: Task<unknown>;
  /** Crash times (ms) inside the restart window. */
  crashes: number[];
  restarts: number;
  terminating: boolean;
}

/**
 * A supervisor of tasks started on demand. Children run concurrently and independently;
 * their crashes are events (`child.crashed`, `child.restarted`, `child.gave_up`,
 * `child.exited`) and reports, never throws at the starter.
 * @example
 * const sup = TaskSupervisor.start({ name: 'jobs' });
 * sup.on('child.crashed', ({ task, reason }) => log.warn(`${task.name}: ${reason.message}`));
 * sup.startChild((signal) => sendEmail(to, signal), { name: `email:${to}`, restart: 'transient' });
 * const total = await sup.asyncNolink(() => countRows()).await(); // rejects only here, if it crashes
 * await sup.shutdown();
 */
export class TaskSupervisor implements Process {
  /** The supervisor's name, for reports. */
  readonly name: string;
  readonly #maxRestarts: number;
  readonly #windowMs: number;
  readonly #events = new Emitter<TaskSupervisorEvents>();
  /** Each live child by its first handle and by its current incarnation. */
  readonly #records = new Map<Task<unknown>, ChildRecord>();
  readonly #running = new Set<Task<unknown>>();
  readonly #exited = deferred<ExitReason>();
  #stopping: Promise<void> | undefined;

  private constructor(name: string, maxRestarts: number, maxSeconds: number) {
    this.name = name;
    this.#maxRestarts = maxRestarts;
    this.#windowMs = maxSeconds * 1000;
  }

  /**
   * Starts a TaskSupervisor.
   * @default name 'task_supervisor', maxRestarts 3, maxSeconds 5
   */
  static start(opts: TaskSupervisorOptions = {}): TaskSupervisor {
    if (typeof opts !== 'object' || opts === null) throw invalidArgument('opts', 'an options object', opts);
    const { name = 'task_supervisor', maxRestarts = 3, maxSeconds = 5 } = opts;
    if (typeof name !== 'string' || name === '') throw invalidArgument('name', 'a non-empty string', name);
    if (typeof maxRestarts !== 'number' || !Number.isInteger(maxRestarts) || maxRestarts < 0) {
      throw invalidArgument('maxRestarts', 'a non-negative integer', maxRestarts);
    }
    if (typeof maxSeconds !== 'number' || !Number.isFinite(maxSeconds) || maxSeconds <= 0) {
      throw invalidArgument('maxSeconds', 'a positive finite number of seconds', maxSeconds);
    }
    return new TaskSupervisor(name, maxRestarts, maxSeconds);
  }

  /** Resolves (never rejects) once the supervisor has shut down. */
  get exited(): Promise<ExitReason> {
    return this.#exited.promise;
  }

  /** Subscribes to a supervisor event; returns the function that unsubscribes. */
  on<K extends keyof TaskSupervisorEvents>(
    event: K,
    listener: (payload: TaskSupervisorEvents[K]) => void,
  ): () => void {
    return this.#events.on(event, listener);
  }

  /**
   * Starts a supervised fire-and-forget child and returns its Task handle. `temporary`
   * children are never restarted; `transient` ones are restarted when they crash.
   * The handle stays valid for `terminateChild` across restarts.
   * @throws StoppedError after shutdown.
   */
  startChild<T>(fn: (signal: AbortSignal) => T | Promise<T>, opts: TaskChildOptions = {}): Task<T> {
    assertFunction('fn', fn);
    validateTaskOptions(opts);
    const { restart = 'temporary', name, timeout } = opts;
    assertOneOf('restart', restart, ['temporary', 'transient'] as const);
    return this.#startRecord(fn, { name, timeout }, restart);
  }

  /**
   * Starts a supervised task whose result the caller may collect (Elixir's
   * `async_nolink`): a crash reaches the caller only through `await`/`yield`, and never
   * counts as unobserved (the supervisor reports it as `child.crashed`).
   * @throws StoppedError after shutdown.
   */
  asyncNolink<T>(fn: (signal: AbortSignal) => T | Promise<T>, opts: NolinkOptions = {}): Task<T> {
    assertFunction('fn', fn);
    validateTaskOptions(opts);
    return this.#startRecord(fn, { name: opts.name, timeout: opts.timeout }, 'temporary');
  }

  /** The child tasks running now (current incarnations). */
  children(): Task<unknown>[] {
    return [...this.#running];
  }

  /**
   * Aborts a child (any handle of it) and waits up to `graceMs` for it to end; it is
   * not restarted. Resolves `true` once it ended or was abandoned, `false` if `task` is
   * not a running child of this supervisor.
   * @default graceMs 5000
   */
  async terminateChild(task: Task<unknown>, graceMs = 5000): Promise<boolean> {
    if (!(task instanceof Task)) throw invalidArgument('task', 'a Task', task);
    assertTimeout('graceMs', graceMs);
    const record = this.#records.get(task);
    if (!record || !this.#running.has(record.current)) return false;
    record.terminating = true;
    await this.#stopChild(record.current, graceMs);
    return true;
  }

  /**
   * Stops accepting children, aborts every running child and waits up to `graceMs`;
   * children still running then are abandoned and reported (`child.abandoned`).
   * Idempotent: later calls return the first call's promise.
   * @default graceMs 5000
   */
  shutdown(graceMs = 5000): Promise<void> {
    assertTimeout('graceMs', graceMs);
    this.#stopping ??= this.#shutdownAll(graceMs);
    return this.#stopping;
  }

  /** Process contract: same as `shutdown(graceMs)`. */
  stop(graceMs?: number): Promise<void> {
    return this.shutdown(graceMs);
  }

  async #shutdownAll(graceMs: number): Promise<void> {
    for (const record of this.#records.values()) record.terminating = true;
    await Promise.all([...this.#running].map((task) => this.#stopChild(task, graceMs)));
    this.#exited.resolve(SHUTDOWN);
  }

  async #stopChild(task: Task<unknown>, graceMs: number): Promise<void> {
    const result = await task.shutdown(graceMs);
    if (result !== undefined) return;
    report({
      source: 'task_supervisor',
      name: this.name,
      event: 'child.abandoned',
      reason: task.result?.ok === false ? task.result.reason : undefined,
      meta: { child: task.name, graceMs },
    });
  }

  #startRecord<T>(
    fn: (signal: AbortSignal) => T | Promise<T>,
    opts: TaskOptions,
    restart: ChildRecord['restart'],
  ) {
    if (this.#stopping) throw new StoppedError(`task supervisor "${this.name}"`);
    // The record needs the task and the task's end handler needs the record; the handler
    // runs in a microtask after settling, by which time `record` exists.
    const task = this.#spawn(fn, opts, () => record);
    const record: ChildRecord = {
      fn,
      opts,
      restart,
      first: task,
      current: task,
      crashes: [],
      restarts: 0,
      terminating: false,
    };
    this.#records.set(task, record);
    return task;
  }

  /** Starts one incarnation; `recordOf` is read after the task settles, when the record exists. */
  #spawn<T>(
    fn: (signal: AbortSignal) => T | Promise<T>,
    opts: TaskOptions,
    recordOf: () => ChildRecord,
  ): Task<T> {
    const task: Task<T> = spawnTask(fn, opts, {
      supervised: true,
      onSettle: (result, exit) =>
        this.#onChildEnded(recordOf(), task, result.ok ? undefined : result.reason, exit),
    });
    this.#running.add(task);
    return task;
  }

  #onChildEnded(record: ChildRecord, task: Task<unknown>, reason: Error | undefined, exit: ExitReason): void {
    this.#running.delete(task);
    if (exit.kind === 'error' && reason) {
      this.#events.emit('child.crashed', { task, reason });
      report({
        source: 'task_supervisor',
        name: this.name,
        event: 'child.crashed',
        reason,
        meta: { child: task.name },
      });
    }
    this.#events.emit('child.exited', { task, reason: exit });
    if (
      exit.kind === 'error' &&
      reason &&
      record.restart === 'transient' &&
      !record.terminating &&
      !this.#stopping
    ) {
      if (this.#restart(record, task, reason)) return;
    }
    this.#records.delete(record.first);
    this.#records.delete(record.current);
  }

  /** Restarts a crashed transient child unless it exceeded its intensity; returns whether it did. */
  #restart(record: ChildRecord, previous: Task<unknown>, reason: Error): boolean {
    const now = Date.now();
    record.crashes = record.crashes.filter((at) => now - at < this.#windowMs);
    record.crashes.push(now);
    const crashes = record.crashes.length;
    if (crashes > this.#maxRestarts) {
      this.#events.emit('child.gave_up', { task: previous, reason, crashes });
      const meta = {
        child: previous.name,
        crashes,
        maxRestarts: this.#maxRestarts,
        maxSeconds: this.#windowMs / 1000,
      };
      report({ source: 'task_supervisor', name: this.name, event: 'child.gave_up', reason, meta });
      return false;
    }
    const task = this.#spawn(record.fn, record.opts, () => record);
    if (record.current !== record.first) this.#records.delete(record.current);
    record.current = task;
    record.restarts += 1;
    this.#records.set(task, record);
    this.#events.emit('child.restarted', { task, previous, restarts: record.restarts });
    const meta = { child: task.name, restarts: record.restarts };
    report({ source: 'task_supervisor', name: this.name, event: 'child.restarted', reason, meta });
    return true;
  }
}
