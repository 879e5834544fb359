/**
 * The child helpers behind `Supervisor.worker` and `Supervisor.periodic`: the long
 * loops and periodic reporters of the seed (drill 2's metrics reporter) as Processes.
 * JavaScript cannot kill a function, so stopping one aborts its signal and waits; a
 * function that ignores its signal is abandoned by whoever stops it.
 */
import { ShutdownError, coerceError } from '../errors.js';
import { NORMAL, SHUTDOWN, crashed } from '../process.js';
import type { ExitReason, Process } from '../process.js';
import { assertFunction, assertTimeout, invalidArgument } from '../validate.js';
import { delay } from './deferred.js';
import { DEFAULT_SHUTDOWN_MS, assertNonEmptyString, validateChildOptions } from './supervisor-spec.js';
import type { ChildOptions, ChildSpec } from './supervisor-spec.js';
import { settleWithin } from './supervisor-timers.js';

/** Options of `Supervisor.periodic`: the child options plus whether to run once at start. */
export interface PeriodicOptions extends ChildOptions {
  /** Call `fn` right away instead of one interval after the start. @default false */
  readonly runImmediately?: boolean;
}

/** A Process running one function: returning is a normal exit, throwing a crash. */
export class WorkerProcess implements Process {
  /** The child id it was started for. */
  readonly name: string;
  /** Resolves once `run` has settled (never rejects). */
  readonly exited: Promise<ExitReason>;
  readonly #controller = new AbortController();
  readonly #defaultGraceMs: number;

  /** Starts `run` at once; `defaultGraceMs` is the grace `stop()` gives when called without one. */
  constructor(name: string, run: (signal: AbortSignal) => unknown, defaultGraceMs: number) {
    this.name = name;
    this.#defaultGraceMs = defaultGraceMs;
    this.exited = this.#run(run);
  }

  async #run(run: (signal: AbortSignal) => unknown): Promise<ExitReason> {
    const signal = this.#controller.signal;
    try {
      await run(signal);
      return signal.aborted ? SHUTDOWN : NORMAL;
    } catch (thrown) {
      // Unwinding from the abort we asked for is a clean stop, not a crash.
      if (signal.aborted && isAbortLike(thrown, signal)) return SHUTDOWN;
      return crashed(coerceError(thrown));
    }
  }

  /**
   * Aborts the signal and waits at most `graceMs` for `run` to settle; after that the
   * run is abandoned (stop resolves, `exited` stays pending until it really ends).
   */
  async stop(graceMs: number = this.#defaultGraceMs): Promise<void> {
    assertTimeout('graceMs', graceMs);
    this.#controller.abort(new ShutdownError(`worker "${this.name}" was stopped`));
    await settleWithin(this.exited, graceMs);
  }
}

function isAbortLike(thrown: unknown, signal: AbortSignal): boolean {
  return thrown === signal.reason || (thrown instanceof Error && thrown.name === 'AbortError');
}

/** Builds the ChildSpec of `Supervisor.worker`: each start runs `run(signal)` afresh. */
export function workerSpec(
  id: string,
  run: (signal: AbortSignal) => Promise<void> | void,
  opts: ChildOptions = {},
): ChildSpec {
  assertNonEmptyString('id', id);
  assertFunction('run', run);
  validateChildOptions('options', opts);
  const grace = opts.shutdown ?? DEFAULT_SHUTDOWN_MS;
  return { ...pickChildOptions(opts), id, start: () => new WorkerProcess(id, run, grace) };
}

/** Builds the ChildSpec of `Supervisor.periodic`: calls `fn` every `intervalMs`, never overlapping. */
export function periodicSpec(
  id: string,
  fn: (signal: AbortSignal) => unknown,
  intervalMs: number,
  opts: PeriodicOptions = {},
): ChildSpec {
  assertNonEmptyString('id', id);
  assertFunction('fn', fn);
  if (typeof intervalMs !== 'number' || !Number.isFinite(intervalMs) || intervalMs <= 0) {
    throw invalidArgument('intervalMs', 'a positive finite number of milliseconds', intervalMs);
  }
  validateChildOptions('options', opts);
  const { runImmediately = false } = opts;
  if (typeof runImmediately !== 'boolean') {
    throw invalidArgument('options.runImmediately', 'a boolean', runImmediately);
  }
  // The next wait starts only after fn has finished, so runs never overlap; the
  // wait is a timer cleared on abort, so a stopped child leaves no timer behind.
  const loop = async (signal: AbortSignal): Promise<void> => {
    if (runImmediately) await fn(signal);
    while (!signal.aborted) {
      await delay(intervalMs, signal);
      if (signal.aborted) return;
      await fn(signal);
    }
  };
  return workerSpec(id, loop, pickChildOptions(opts));
}

function pickChildOptions(opts: ChildOptions): ChildOptions {
  const picked: { -readonly [K in keyof ChildOptions]: ChildOptions[K] } = {};
  if (opts.restart !== undefined) picked.restart = opts.restart;
  if (opts.shutdown !== undefined) picked.shutdown = opts.shutdown;
  if (opts.type !== undefined) picked.type = opts.type;
  return picked;
}
