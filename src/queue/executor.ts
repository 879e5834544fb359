/**
 * The executor: one attempt of one job, in small named steps (Oban's Executor):
 * resolve the handler → validate the payload → run it with its signal and timeout →
 * classify what happened into a closed outcome → record the outcome through the store
 * with the lease token → emit telemetry. Every step catches its own failures, so an
 * attempt always ends in exactly one recorded (or knowingly dropped) outcome.
 */
import { ShutdownError, coerceError } from '../runtime/errors.js';
import { after } from '../runtime/internal/timers.js';
import { report } from '../runtime/report.js';
import type { JobError, JobRecord, Json, Store, TransitionResult } from '../store/types.js';
import { DEFAULT_BACKOFF, backoffDelay } from './backoff.js';
import { validatePayload } from './define.js';
import type { KindSpec } from './define.js';
import {
  JobCancelledError,
  JobTimeoutError,
  LeaseLostError,
  PayloadValidationError,
  SnoozeError,
  UnrecoverableError,
} from './errors.js';
import type { Telemetry } from './instrument.js';
import type { Execution } from './running.js';
import type { ThreadRunner } from './threads.js';
import type { Completer } from './completer.js';
import { Context } from './context.js';
import { resultToJson } from './validate.js';

/** What the executor needs from the rest of the system. */
export interface ExecutorDeps {
  readonly store: Store;
  readonly telemetry: Telemetry;
  readonly kinds: ReadonlyMap<string, KindSpec>;
  readonly threads: ThreadRunner;
  /** Tells the scheduler a job becomes due at `runAt` (a retry or a snooze). */
  readonly wake: (runAt: number) => void;
  /** Records successes, a tick's worth per store call. */
  readonly completer: Completer;
}

/**
 * The closed set of ways an attempt can end, decided before the store is touched.
 * `release` (shutdown handed the job back) and `lost` (the lease went elsewhere) are
 * not attempt outcomes: the attempt did not count.
 */
export type Classified =
  | { readonly outcome: 'success'; readonly result: Json | null; readonly value: unknown }
  | { readonly outcome: 'failure'; readonly error: Error; readonly retryAt: number }
  | { readonly outcome: 'exhausted' | 'discard'; readonly error: Error }
  | { readonly outcome: 'snoozed'; readonly runAt: number }
  | { readonly outcome: 'cancelled'; readonly error: Error }
  | { readonly outcome: 'release' }
  | { readonly outcome: 'lost' };

/** How a run ended: the handler's value, or why it failed (thrown, rejected or aborted). */
type RunResult =
  { readonly ok: true; readonly value: unknown } | { readonly ok: false; readonly reason: Error };

/**
 * Runs one attempt of `execution` to its recorded end, then calls `onEnd` (once, whatever
 * happened). Written with callbacks and explicit promise chaining rather than nested async
 * functions: a synchronous handler then costs no promise of its own, and its completion joins
 * the tick's batch (see Completer), which is most of a no-op job's price.
 */
export function execute(execution: Execution, deps: ExecutorDeps, onEnd: () => void): void {
  const started = performance.now();
  execution.onEnd = onEnd;
  const { telemetry } = deps;
  if (telemetry.has('job.start')) {
    telemetry.emit('job.start', { job: execution.job, at: execution.job.attemptedAt ?? deps.store.now() });
  }
  let classified: Classified | Promise<Classified>;
  try {
    classified = attempt(execution, deps);
  } catch (err) {
    classified = crashed(execution, deps, err);
  }
  if (classified instanceof Promise) {
    classified.then(
      (c) => finish(execution, c, started, deps),
      (err: unknown) => finish(execution, crashed(execution, deps, err), started, deps),
    );
    return;
  }
  finish(execution, classified, started, deps);
}

/** Only a bug in the steps lands here; the job must still end, so it fails like any error. */
function crashed(execution: Execution, deps: ExecutorDeps, err: unknown): Classified {
  return classifyError(execution, deps.kinds.get(execution.job.kind), coerceError(err), deps.store);
}

/** Records the outcome, then ends the execution (see `ended`) whatever the store said. */
function finish(execution: Execution, c: Classified, started: number, deps: ExecutorDeps): void {
  execution.phase = 'recording';
  execution.durationMs = performance.now() - started;
  execution.onFree();
  if (c.outcome === 'success') {
    execution.result = c.result;
    execution.value = c.value;
    deps.completer.add(execution);
    return;
  }
  let recorded: Promise<void>;
  try {
    recorded = record(execution, c, execution.durationMs, deps);
  } catch (err) {
    recorded = Promise.reject(err as Error);
  }
  recorded.then(
    () => ended(execution),
    (err: unknown) => ended(execution, c.outcome, err),
  );
}

/**
 * Marks the execution over and calls its `onEnd`. With `err`, the store refused or failed to
 * record `outcome`: the lease runs out and the lifeline rescues the job.
 */
export function ended(execution: Execution, outcome?: string, err?: unknown): void {
  if (outcome !== undefined) recordFailed(execution, outcome, err);
  execution.finish();
  execution.onEnd();
}

function recordFailed(execution: Execution, outcome: string, err: unknown): void {
  report({
    source: 'steward',
    name: 'executor',
    event: 'job.record_failed',
    reason: coerceError(err),
    meta: { jobId: execution.job.id, outcome },
  });
}

/** Resolve → validate → run → classify; synchronous when the handler is. */
function attempt(execution: Execution, deps: ExecutorDeps): Classified | Promise<Classified> {
  const spec = deps.kinds.get(execution.job.kind);
  if (!spec) {
    const error = new Error(`no handler for job kind "${execution.job.kind}" on this worker`);
    return classifyError(execution, undefined, error, deps.store);
  }
  if (spec.schema) {
    return validatePayload(spec, execution.job.payload).then(
      (payload) => runAndClassify(execution, spec, payload, deps),
      (err: unknown) => classifyError(execution, spec, coerceError(err), deps.store),
    );
  }
  return runAndClassify(execution, spec, execution.job.payload, deps);
}

function runAndClassify(
  execution: Execution,
  spec: KindSpec,
  payload: unknown,
  deps: ExecutorDeps,
): Classified | Promise<Classified> {
  const result = run(execution, spec, payload, deps);
  if (result instanceof Promise) return result.then((r) => classify(execution, spec, r, deps.store));
  return classify(execution, spec, result, deps.store);
}

/**
 * Runs the handler (or the thread function) under the job's signal and timeout. The run
 * ends the moment the attempt is aborted, whatever the handler does afterwards (as a
 * runtime Task does): a cancelled job is cancelled even if its handler ignores the signal
 * and returns. A handler that returns synchronously costs no timer, promise or signal.
 */
function run(
  execution: Execution,
  spec: KindSpec,
  payload: unknown,
  deps: ExecutorDeps,
): RunResult | Promise<RunResult> {
  if (execution.reason) return { ok: false, reason: execution.reason };
  const { thread, handler } = spec;
  let value: unknown;
  try {
    value = thread
      ? deps.threads.run(thread, payload, execution.signal)
      : handler!(payload, new Context(execution, deps));
  } catch (err) {
    return { ok: false, reason: coerceError(err) };
  }
  if (!isThenable(value)) return { ok: true, value };
  const pending = value;
  return new Promise<RunResult>((resolve) => {
    const timeoutMs = execution.job.timeoutMs;
    let cancelTimer = noop;
    const finish = (result: RunResult): void => {
      if (execution.onAbort === null) return; // already finished
      execution.onAbort = null;
      cancelTimer();
      resolve(result);
    };
    execution.onAbort = (reason) => finish({ ok: false, reason });
    if (timeoutMs !== null) {
      cancelTimer = after(timeoutMs, () => execution.abort(new JobTimeoutError(timeoutMs, execution.job.id)));
    }
    Promise.resolve(pending).then(
      (v: unknown) => finish({ ok: true, value: v }),
      (err: unknown) => finish({ ok: false, reason: coerceError(err) }),
    );
  });
}

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return (
    ((typeof value === 'object' && value !== null) || typeof value === 'function') &&
    typeof (value as { then?: unknown }).then === 'function'
  );
}

/** Turns a settled run into an outcome. Cancellation and a lost lease win over anything the handler did. */
export function classify(execution: Execution, spec: KindSpec, result: RunResult, store: Store): Classified {
  const why = execution.reason;
  if (why instanceof JobCancelledError) return { outcome: 'cancelled', error: why };
  if (why instanceof LeaseLostError) return { outcome: 'lost' };
  if (result.ok) {
    try {
      return { outcome: 'success', result: resultToJson(result.value), value: result.value };
    } catch (err) {
      const error = new Error(`job result is not JSON-serialisable: ${coerceError(err).message}`);
      return classifyError(execution, spec, error, store);
    }
  }
  return classifyError(execution, spec, result.reason, store);
}

function classifyError(
  execution: Execution,
  spec: KindSpec | undefined,
  error: Error,
  store: Store,
): Classified {
  const { job } = execution;
  const why = execution.reason;
  if (why instanceof JobCancelledError) return { outcome: 'cancelled', error: why };
  if (why instanceof LeaseLostError) return { outcome: 'lost' };
  if (why instanceof ShutdownError) return { outcome: 'release' };
  if (error instanceof SnoozeError)
    return { outcome: 'snoozed', runAt: store.now() + Math.ceil(error.delayMs) };
  if (error instanceof UnrecoverableError || error instanceof PayloadValidationError) {
    return { outcome: 'discard', error };
  }
  if (job.attempt >= job.maxAttempts) return { outcome: 'exhausted', error };
  const wait = backoffDelay(spec?.backoff ?? DEFAULT_BACKOFF, job.attempt, error);
  return { outcome: 'failure', error, retryAt: store.now() + wait };
}

/**
 * Writes a non-success outcome through the store with the lease token, then emits what happened
 * (successes go to the Completer).
 */
function record(
  execution: Execution,
  c: Exclude<Classified, { readonly outcome: 'success' }>,
  durationMs: number,
  deps: ExecutorDeps,
): Promise<void> {
  const { store, telemetry } = deps;
  const { lease, job } = execution;
  switch (c.outcome) {
    case 'lost':
      telemetry.emit('job.stale', { jobId: job.id });
      return Promise.resolve();
    case 'failure':
    case 'exhausted':
    case 'discard': {
      const at = c.outcome === 'failure' ? c.retryAt : null;
      return store.errorJob(lease, jobError(job, c.error, store.now()), at).then((r) => {
        if (!settled(r, job.id, deps, durationMs)) return;
        telemetry.emit('job.exception', { job: r.job, outcome: c.outcome, durationMs, error: c.error });
        if (r.job.state === 'retryable') deps.wake(r.job.runAt);
      });
    }
    case 'snoozed':
      return store.snoozeJob(lease, c.runAt).then((r) => {
        if (!settled(r, job.id, deps, durationMs)) return;
        telemetry.emit('job.stop', { job: r.job, outcome: 'snoozed', durationMs, result: undefined });
        deps.wake(r.job.runAt);
      });
    case 'cancelled':
      // settled() emits job.cancel for the cancelled job it gets back.
      return store.cancelExecuting(lease, jobError(job, c.error, store.now())).then((r) => {
        settled(r, job.id, deps, durationMs);
      });
    case 'release':
      return store.releaseJob(lease).then((r) => {
        if (settled(r, job.id, deps, durationMs)) telemetry.emit('job.release', { job: r.job });
      });
  }
}

/**
 * Handles the two answers every transition shares: a stale lease (the outcome is
 * dropped) and a job that ended cancelled because a cancel arrived meanwhile.
 * Returns whether the caller should emit its own event.
 */
function settled(
  r: TransitionResult,
  jobId: string,
  deps: ExecutorDeps,
  durationMs: number,
): r is { ok: true; job: JobRecord } {
  if (!r.ok) {
    // Stale or gone: another worker (or a rescue) owns the job now; this outcome is dropped.
    deps.telemetry.emit('job.stale', { jobId });
    return false;
  }
  if (r.job.state === 'cancelled') {
    deps.telemetry.emit('job.cancel', { job: r.job, durationMs });
    return false;
  }
  return true;
}

/** The stored form of one failed attempt. */
export function jobError(job: JobRecord, error: Error, at: number): JobError {
  const e: JobError = { attempt: job.attempt, at, name: error.name, message: error.message };
  return error.stack === undefined ? e : { ...e, stack: error.stack };
}

function noop(): void {}
