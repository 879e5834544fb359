/**
 * Task: one concurrent computation whose result somebody collects, after Elixir's
 * `Task.async/await`. JavaScript cannot kill a function, so a task is "killed" by
 * aborting its AbortSignal and ending the task at once: its result is fixed from then
 * on, and a function that ignores its signal runs on as abandoned work whose outcome
 * is dropped.
 */
import { ShutdownError, TaskTimeoutError, coerceError } from './errors.js';
import { deferred } from './internal/deferred.js';
import { isThenable, validateTaskOptions } from './internal/task-options.js';
import { after } from './internal/timers.js';
import { NORMAL, SHUTDOWN, crashed } from './process.js';
import type { ExitReason, Process } from './process.js';
import { SUPERVISED } from './internal/watched.js';
import { report } from './report.js';
import { asyncStream } from './task-stream.js';
import { assertFunction, assertTimeout, invalidArgument } from './validate.js';

/** How a task ended: its value, or the error it failed with. Failures are values here, never throws. */
export type TaskResult<T> =
  { readonly ok: true; readonly value: T } | { readonly ok: false; readonly reason: Error };

/** Where a task is: still running, or settled one way or the other (settled is final). */
export type TaskStatus = 'running' | 'ok' | 'failed';

/** Options of `Task.async`. */
export interface TaskOptions {
  /** A name for reports and errors. @default the function's name, else `"anonymous"` */
  name?: string;
  /** Ms after which the task is aborted and fails with TaskTimeoutError. @default Infinity */
  timeout?: number;
  /** A parent signal: when it aborts, the task is aborted and fails with the signal's reason. */
  signal?: AbortSignal;
}

/**
 * Internal wiring for TaskSupervisor (not exported from the runtime barrel): a
 * supervised task's failure is observed by its supervisor, which reports it itself.
 */
export interface TaskHooks {
  /** The supervisor observes failures and abandonment, so the task reports neither. */
  readonly supervised?: boolean;
  /** Called (in a microtask) once the task has settled, with how it ended. */
  readonly onSettle?: (result: TaskResult<unknown>, exit: ExitReason) => void;
}

/** Checks that a value is a TaskResult (`{ok: true, value}` or `{ok: false, reason: Error}`). */
export function isTaskResult(value: unknown): value is TaskResult<unknown> {
  if (typeof value !== 'object' || value === null || !('ok' in value)) return false;
  if (value.ok === true) return 'value' in value;
  return value.ok === false && 'reason' in value && value.reason instanceof Error;
}

/** Method syntax on purpose: it keeps Task covariant (`Task<number>` is a `Task<unknown>`). */
interface Waiter<T> {
  settled(result: TaskResult<T>): void;
}

let construct: <T>(
  fn: (signal: AbortSignal) => T | Promise<T>,
  opts: TaskOptions,
  hooks: TaskHooks,
) => Task<T>;

/**
 * A running computation with exactly one result, started by `Task.async`.
 *
 * Observation rule — a failure is never silently lost: a task that fails while nobody
 * observes it is reported via `report({source: 'task', event: 'task.unobserved_error'})`.
 * The task counts as observed when, at the moment it fails or within one macrotask
 * after (checked with `setImmediate`), it has a pending `await`/`yield`, a
 * `shutdown`/`stop`, is in `Task.awaitMany`, or its failure is fetched (by any of
 * those or by reading `result`). A `yield` that already returned `undefined` no longer
 * observes. Reading `exited` does not observe: owners that only clean up must not hide
 * the crash. Tasks of a TaskSupervisor, or started as a Supervisor child, are observed by their
 * supervisor, which reports the crash itself.
 *
 * A Task is deliberately not a thenable: an `async` function that returns a Task must
 * hand back the Task itself (a Supervisor child's `start`, say), not its value. Wait
 * with `task.await(ms)` (`Infinity` for no limit).
 *
 * @example
 * const t = Task.async((signal) => fetch(url, { signal }).then((r) => r.json()), { timeout: 10_000 });
 * const body = await t.await(); // rejects with the fetch error, or TaskTimeoutError after 5 s
 */
export class Task<out T> implements Process {
  /** The task's name, for reports and errors. */
  readonly name: string;
  /**
   * Created on first need: an AbortSignal costs ~5-10 µs to create on Node 20, more than
   * the rest of a task, and a function that declares no parameter can never read it.
   */
  #controller: AbortController | undefined;
  /** Why the task was aborted before anyone asked for its signal. */
  #abortReason: Error | undefined;
  readonly #hooks: TaskHooks;
  readonly #done = deferred<TaskResult<T>>();
  readonly #waiters = new Set<Waiter<T>>();
  #result: TaskResult<T> | undefined;
  #exited: Promise<ExitReason> | undefined;
  #observed: boolean;
  /** A Supervisor watches this task (see SUPERVISED): it reports crashes and abandonment. */
  #watched = false;
  #shutdownRequested = false;
  #abandoned = false;
  #cleanup: Array<() => void> = [];

  static {
    construct = (fn, opts, hooks) => new Task(fn, opts, hooks);
  }

  private constructor(fn: (signal: AbortSignal) => T | Promise<T>, opts: TaskOptions, hooks: TaskHooks) {
    this.name = opts.name ?? (fn.name || 'anonymous');
    this.#hooks = hooks;
    this.#observed = hooks.supervised === true;
    const { timeout = Infinity, signal } = opts;
    if (signal?.aborted) {
      // Born dead: starting work its parent has already cancelled would only waste it.
      this.#kill(coerceError(signal.reason), false);
      return;
    }
    if (signal) {
      const onParentAbort = (): void => void this.#kill(coerceError(signal.reason), false);
      signal.addEventListener('abort', onParentAbort, { once: true });
      this.#cleanup.push(() => signal.removeEventListener('abort', onParentAbort));
    }
    this.#cleanup.push(after(timeout, () => void this.#kill(this.#timeoutError(timeout), false)));
    this.#run(fn);
  }

  /**
   * Starts `fn` at once (called synchronously) with an AbortSignal that aborts on the
   * task's timeout, its shutdown, a timed-out `await`, or the parent `signal`. A
   * synchronous throw becomes the task's failure, never a throw from `async`. With an
   * already-aborted `signal`, `fn` is not called and the task fails with its reason.
   * @example const t = Task.async(async (signal) => compute(signal), { name: 'compute' });
   */
  static async<T>(fn: (signal: AbortSignal) => T | Promise<T>, opts: TaskOptions = {}): Task<T> {
    assertFunction('fn', fn);
    validateTaskOptions(opts);
    return construct(fn, opts, {});
  }

  /**
   * Waits for every task at once (Elixir's `await_many`): resolves with their values in
   * order; rejects with the first failure, or TaskTimeoutError after `ms`, aborting the rest.
   * @default ms 5000
   */
  static awaitMany<const Ts extends readonly Task<unknown>[]>(
    tasks: Ts,
    ms = 5000,
  ): Promise<{ -readonly [K in keyof Ts]: Ts[K] extends Task<infer V> ? V : never }> {
    type Values = { -readonly [K in keyof Ts]: Ts[K] extends Task<infer V> ? V : never };
    if (!Array.isArray(tasks) || !tasks.every((t) => t instanceof Task)) {
      throw invalidArgument('tasks', 'an array of Tasks', tasks);
    }
    assertTimeout('ms', ms);
    // awaitMany answers for every task: a failure is thrown at the caller, the rest are aborted.
    for (const task of tasks) task.#observed = true;
    return new Promise<Values>((resolve, reject) => {
      const values: unknown[] = new Array<unknown>(tasks.length);
      let remaining = tasks.length;
      let finished = false;
      const fail = (reason: Error, others: Error): void => {
        if (finished) return;
        finished = true;
        cancelTimer();
        for (const task of tasks) task.#kill(others, true);
        reject(reason);
      };
      const cancelTimer = after(ms, () => {
        const timeout = new TaskTimeoutError(ms, `awaitMany of ${tasks.length} tasks`);
        fail(timeout, timeout);
      });
      if (remaining === 0) {
        finished = true;
        cancelTimer();
        resolve(values as Values);
      }
      tasks.forEach((task, i) => {
        task.#onSettled((result) => {
          if (finished) return;
          if (!result.ok) return fail(result.reason, new ShutdownError('another task in awaitMany failed'));
          values[i] = result.value;
          if (--remaining > 0) return;
          finished = true;
          cancelTimer();
          resolve(values as Values);
        });
      });
    });
  }

  /**
   * Maps `input` through `fn` with bounded concurrency, lazily, yielding TaskResults
   * (Elixir's `Task.async_stream`). See `asyncStream` in task-stream.ts for the contract.
   */
  static asyncStream = asyncStream;

  /** The outcome once settled, else `undefined`. Reading a failure counts as observing it. */
  get result(): TaskResult<T> | undefined {
    if (this.#result && !this.#result.ok) this.#observed = true;
    return this.#result;
  }

  /** `running` until the task settles, then `ok` or `failed` for good. */
  get status(): TaskStatus {
    if (!this.#result) return 'running';
    return this.#result.ok ? 'ok' : 'failed';
  }

  /** The task's AbortSignal (the one handed to `fn`). */
  get signal(): AbortSignal {
    return this.#ensureController().signal;
  }

  /** Resolves (never rejects) once the task has ended: normal, shutdown, or error. Does not observe. */
  get exited(): Promise<ExitReason> {
    this.#exited ??= this.#done.promise.then((result) => this.#exitReason(result));
    return this.#exited;
  }

  /**
   * Resolves with the task's value or rejects with its own error (coerced to an Error).
   * After `ms` it rejects with TaskTimeoutError naming the limit and kills the task
   * (aborts its signal; the task fails with that error).
   * @default ms 5000 (Infinity allowed)
   */
  async await(ms = 5000): Promise<T> {
    assertTimeout('ms', ms);
    let result = await this.#wait(ms);
    if (!result) {
      result = this.#result ?? this.#kill(this.#timeoutError(ms), true);
    }
    if (result.ok) return result.value;
    throw result.reason;
  }

  /**
   * Returns the TaskResult if the task settles within `ms`, else `undefined` while the
   * task keeps running (Elixir's `Task.yield`). A failure comes back as a value.
   * @default ms 5000
   */
  async yield(ms = 5000): Promise<TaskResult<T> | undefined> {
    assertTimeout('ms', ms);
    return this.#wait(ms);
  }

  /**
   * Aborts the task's signal (reason: ShutdownError) and waits up to `graceMs`. Returns
   * the TaskResult if it settled (also if it had already), else `undefined`: the task
   * is abandoned, ends with ShutdownError, and the abandonment is reported.
   * @default graceMs 5000
   */
  async shutdown(graceMs = 5000): Promise<TaskResult<T> | undefined> {
    assertTimeout('graceMs', graceMs);
    if (this.#abandoned) return undefined;
    if (this.#result) {
      this.#observed = true;
      return this.#result;
    }
    this.#shutdownRequested = true;
    this.#abort(new ShutdownError(`task "${this.name}" was shut down`));
    const result = (await this.#wait(graceMs)) ?? this.#result;
    if (result) return this.#abandoned ? undefined : result;
    const reason = new ShutdownError(
      `task "${this.name}" ignored its abort for ${graceMs} ms and was abandoned`,
    );
    this.#abandoned = true;
    this.#kill(reason, true);
    if (!this.#hooks.supervised && !this.#watched) {
      report({ source: 'task', name: this.name, event: 'task.abandoned', reason });
    }
    return undefined;
  }

  /** A Supervisor watches this task and reports its crash itself: no unobserved-failure report too. */
  [SUPERVISED](): void {
    this.#watched = true;
    this.#observed = true;
  }

  /** Process contract: `shutdown(graceMs)` without the result. */
  async stop(graceMs?: number): Promise<void> {
    await this.shutdown(graceMs);
  }

  #run(fn: (signal: AbortSignal) => T | Promise<T>): void {
    let value: T | Promise<T>;
    try {
      // Only a function that declares the parameter gets a signal made for it up front.
      value = fn.length > 0 ? fn(this.#ensureController().signal) : (fn as () => T | Promise<T>)();
    } catch (err) {
      this.#settle({ ok: false, reason: coerceError(err) });
      return;
    }
    if (!isThenable(value)) {
      this.#settle({ ok: true, value });
      return;
    }
    Promise.resolve(value).then(
      (v) => this.#settle({ ok: true, value: v }),
      (err: unknown) => this.#settle({ ok: false, reason: coerceError(err) }),
    );
  }

  /** Resolves with the result once settled, or `undefined` after `ms`; observes while pending. */
  #wait(ms: number): Promise<TaskResult<T> | undefined> {
    if (this.#result) {
      this.#observed = true;
      return Promise.resolve(this.#result);
    }
    return new Promise((resolve) => {
      const waiter: Waiter<T> = {
        settled(result) {
          cancelTimer();
          resolve(result);
        },
      };
      const cancelTimer = after(ms, () => {
        this.#waiters.delete(waiter);
        resolve(undefined);
      });
      this.#waiters.add(waiter);
    });
  }

  #onSettled(listener: (result: TaskResult<T>) => void): void {
    if (this.#result) {
      const result = this.#result;
      queueMicrotask(() => listener(result));
    } else this.#waiters.add({ settled: listener });
  }

  #abort(reason: Error): void {
    if (this.#controller) {
      if (!this.#controller.signal.aborted) this.#controller.abort(reason);
    } else this.#abortReason ??= reason;
  }

  #ensureController(): AbortController {
    if (!this.#controller) {
      this.#controller = new AbortController();
      if (this.#abortReason) this.#controller.abort(this.#abortReason);
    }
    return this.#controller;
  }

  /** Ends the task now with `reason` (aborting its signal); returns the final result. */
  #kill(reason: Error, observed: boolean): TaskResult<T> {
    if (this.#result) return this.#result;
    if (observed) this.#observed = true;
    this.#abort(reason);
    return this.#settle({ ok: false, reason }) ?? { ok: false, reason };
  }

  #settle(result: TaskResult<T>): TaskResult<T> | undefined {
    if (this.#result) return undefined;
    this.#result = result;
    for (const cleanup of this.#cleanup) cleanup();
    this.#cleanup = [];
    if (this.#waiters.size > 0) this.#observed = true;
    const waiters = [...this.#waiters];
    this.#waiters.clear();
    for (const waiter of waiters) waiter.settled(result);
    this.#done.resolve(result);
    const onSettle = this.#hooks.onSettle;
    if (onSettle) queueMicrotask(() => onSettle(result, this.#exitReason(result)));
    if (!result.ok && !this.#observed) {
      // One macrotask of slack lets `const t = Task.async(...); await t.await()` observe a sync failure.
      setImmediate(() => {
        if (this.#observed) return;
        report({ source: 'task', name: this.name, event: 'task.unobserved_error', reason: result.reason });
      });
    }
    return result;
  }

  #exitReason(result: TaskResult<T>): ExitReason {
    if (result.ok) return NORMAL;
    const { reason } = result;
    if (reason instanceof ShutdownError || reason.cause instanceof ShutdownError) return SHUTDOWN;
    if (this.#shutdownRequested && reason.name === 'AbortError') return SHUTDOWN;
    return crashed(reason);
  }

  #timeoutError(ms: number): TaskTimeoutError {
    return new TaskTimeoutError(ms, `task "${this.name}"`);
  }
}

/**
 * Internal: starts a Task with supervisor hooks (used by TaskSupervisor; not part of
 * the public barrel). Arguments are validated by the caller.
 */
export function spawnTask<T>(
  fn: (signal: AbortSignal) => T | Promise<T>,
  opts: TaskOptions,
  hooks: TaskHooks,
): Task<T> {
  return construct(fn, opts, hooks);
}
