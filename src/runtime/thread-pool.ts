/**
 * ThreadPool: CPU-bound functions on worker threads, built on piscina. The one thing
 * the event loop cannot do for itself is stop a function that never yields; a thread
 * can be killed, so here cancellation and timeouts really end the work.
 */
import { existsSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { availableParallelism } from 'node:os';
import { resolve as resolvePath } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { TransferListItem } from 'node:worker_threads';
import { Piscina } from 'piscina';
import { StoppedError, TaskTimeoutError, coerceError } from './errors.js';
import { delay, deferred } from './internal/deferred.js';
import type { Deferred } from './internal/deferred.js';
import type { ThreadCall } from './internal/thread-worker.js';
import { SHUTDOWN } from './process.js';
import type { ExitReason, Process } from './process.js';
import { closed, opened } from './internal/live.js';
import { report } from './report.js';
import { assertPositiveInteger, assertTimeout, invalidArgument } from './validate.js';

/** Options of `ThreadPool.start`. */
export interface ThreadPoolOptions {
  /**
   * The worker module: an absolute path or `file:` URL (relative paths resolve against the
   * working directory), best `new URL('./work.js', import.meta.url)`. Its exports are plain
   * functions `(arg) => R | Promise<R>`. A compiled `.js` module needs nothing more; a `.ts`
   * module is loaded through tsx (a devDependency), which must be installed.
   */
  filename: string | URL;
  /** The most threads running at once; threads start on demand. @default os.availableParallelism() */
  size?: number;
  /** A name for reports and errors. @default `"thread-pool-<n>"` */
  name?: string;
  /** Ms an idle thread lives before it exits (Infinity: never). @default 30000 */
  idleTimeout?: number;
}

/** Options of one `run`. */
export interface RunOptions {
  /** Aborting ends the call, killing its thread if it is running; rejects with the signal's reason. */
  signal?: AbortSignal;
  /** Ms from the call to `run` (queueing included) before the call is killed with TaskTimeoutError. @default Infinity */
  timeout?: number;
  /** Objects (ArrayBuffers, MessagePorts) moved to the thread rather than copied. */
  transferList?: readonly TransferListItem[];
}

/** A snapshot of a pool's load. */
export interface ThreadPoolStats {
  /** Threads alive (busy or idle). */
  readonly threads: number;
  /** Calls waiting for a free thread. */
  readonly queued: number;
  /** Calls handed to a thread (including one still booting) and not yet finished. */
  readonly running: number;
  /** Calls that returned a value. */
  readonly completed: number;
  /** Calls that threw, were aborted, timed out or were abandoned at stop. */
  readonly failed: number;
}

/** A call waiting for a thread: `grant` lets it go to piscina, `fail` ends it unrun. */
interface Waiter {
  readonly grant: () => void;
  readonly fail: (reason: unknown) => void;
}

const TYPESCRIPT = /\.[cm]?tsx?$/;
/** An execArgv entry showing that tsx is already loaded (threads inherit execArgv by default). */
const TSX_LOADED = /(^|[\\/])tsx([\\/]|$)/;
// When Steward itself runs from source (tests, tsx) its files are .ts, and so is the entry module.
const ENTRY = fileURLToPath(
  new URL(`./internal/thread-worker${import.meta.url.endsWith('.ts') ? '.ts' : '.js'}`, import.meta.url),
);
/** setTimeout fires at once for delays past 2^31-1 ms (~24.8 days), so longer limits mean "no limit". */
const MAX_DELAY = 2 ** 31 - 1;
let counter = 0;

/**
 * A fixed-capacity pool of worker threads running the exported functions of one module.
 *
 * Each call runs alone on its thread. Aborting it (or its timeout) terminates that thread,
 * so even `while (true) {}` stops promptly; a call that throws rejects with its error (sent
 * across threads by structured clone). Either way only that call fails: the pool starts a
 * fresh thread for the next one. Arguments and results are structured-cloned, so pass data,
 * not functions or class instances with behaviour.
 *
 * Threads start on demand, up to `size`, and an idle one exits after `idleTimeout`; the
 * 30 s default keeps threads warm between bursts (piscina's own default would retire a
 * thread right after each call). Idle threads never keep the process alive.
 *
 * TypeScript modules: on Node 20, tsx's ESM hooks do not reach worker threads (they do from
 * Node 22), but its require hook does, so a `.ts` module runs compiled to CommonJS by tsx
 * (no top-level await) and each thread pays tsx's start-up (a few hundred ms). Ship
 * compiled `.js` modules in production; they need no loader.
 *
 * @example
 * const pool = ThreadPool.start({ filename: new URL('./hash.js', import.meta.url), size: 2 });
 * const digest = await pool.run<string>('sha256', buffer, { timeout: 5_000 });
 * await pool.stop();
 */
export class ThreadPool implements Process {
  /** The pool's name, for reports and errors. */
  readonly name: string;
  /** The most threads running at once. */
  readonly size: number;
  /** The absolute path of the worker module. */
  readonly filename: string;
  /** Resolves with `{kind: 'shutdown'}` once the pool has stopped; never rejects. */
  readonly exited: Promise<ExitReason>;

  readonly #pool: Piscina<ThreadCall, unknown>;
  readonly #exit = deferred<ExitReason>();
  #accepting = true;
  /** Set once stop gives up waiting: calls failing from then on fail because of the stop. */
  #abandoning = false;
  #stopping: Promise<void> | null = null;
  /** Calls made and not yet settled: waiting for a thread or handed to one. */
  #inFlight = 0;
  /** Calls handed to piscina; never more than `size`, so piscina's own queue holds no backlog. */
  #busy = 0;
  /** Calls waiting for a thread, oldest first (a Set keeps insertion order and deletes in O(1)). */
  readonly #waiting = new Set<Waiter>();
  #drained: Deferred<void> | null = null;
  #completed = 0;
  #failed = 0;

  private constructor(filename: string, size: number, name: string, idleTimeout: number) {
    this.filename = filename;
    this.size = size;
    this.name = name;
    this.exited = this.#exit.promise;
    opened(this, `thread pool "${name}" (call stop())`, () => this.stop(0));
    this.#pool = new Piscina<ThreadCall, unknown>({
      filename: ENTRY,
      minThreads: 0,
      maxThreads: size,
      idleTimeout: idleTimeout > MAX_DELAY ? Infinity : idleTimeout,
      execArgv: workerExecArgv(TYPESCRIPT.test(filename) || TYPESCRIPT.test(ENTRY), filename),
    });
    // Piscina emits 'error' for a thread that fails while running no call; with no listener
    // an EventEmitter would throw it into the process, so it is reported instead.
    this.#pool.on('error', (err: unknown) => {
      report({
        source: 'thread_pool',
        name: this.name,
        event: 'thread_pool.thread_error',
        reason: coerceError(err),
      });
    });
  }

  /**
   * Starts a pool for the module at `filename`; threads start on first use. Throws a
   * TypeError for bad options, naming a missing file's resolved path.
   */
  static start(opts: ThreadPoolOptions): ThreadPool {
    if (typeof opts !== 'object' || opts === null) throw invalidArgument('opts', 'an options object', opts);
    const { size = availableParallelism(), name, idleTimeout = 30_000 } = opts;
    const filename = resolveModule(opts.filename);
    assertPositiveInteger('size', size);
    if (name !== undefined && (typeof name !== 'string' || name === '')) {
      throw invalidArgument('name', 'a non-empty string', name);
    }
    assertTimeout('idleTimeout', idleTimeout);
    return new ThreadPool(filename, size, name ?? `thread-pool-${++counter}`, idleTimeout);
  }

  /**
   * Calls the function the module exports as `fnName` with `arg` on a free thread and
   * resolves with its result. Rejects with that function's error; with the signal's reason
   * when `signal` aborts; with TaskTimeoutError after `timeout` ms; with StoppedError once
   * the pool is stopping; with a TypeError naming `fnName` when no such function is exported.
   */
  run<R>(fnName: string, arg: unknown, opts: RunOptions = {}): Promise<R> {
    if (typeof fnName !== 'string' || fnName === '') {
      throw invalidArgument('fnName', 'a non-empty string', fnName);
    }
    if (typeof opts !== 'object' || opts === null) throw invalidArgument('opts', 'an options object', opts);
    const { signal, timeout = Infinity, transferList } = opts;
    if (signal !== undefined && !(signal instanceof AbortSignal)) {
      throw invalidArgument('signal', 'an AbortSignal', signal);
    }
    assertTimeout('timeout', timeout);
    if (transferList !== undefined && !Array.isArray(transferList)) {
      throw invalidArgument('transferList', 'an array', transferList);
    }
    if (!this.#accepting) return Promise.reject(new StoppedError(`thread pool "${this.name}"`));
    if (signal?.aborted) return Promise.reject(signal.reason);
    return this.#run(fnName, arg, signal, timeout, transferList) as Promise<R>;
  }

  /** How many threads and calls the pool has right now. */
  stats(): ThreadPoolStats {
    const queued = this.#waiting.size;
    return {
      threads: this.#pool.threads.length,
      queued,
      running: this.#busy,
      completed: this.#completed,
      failed: this.#failed,
    };
  }

  /**
   * Stops the pool: new calls reject with StoppedError at once; calls already made still
   * run, for at most `graceMs`, after which the threads are terminated and the unfinished
   * calls reject with StoppedError. Resolves once every thread has exited; calling it again
   * returns the same promise. @default graceMs 5000
   */
  stop(graceMs = 5000): Promise<void> {
    assertTimeout('graceMs', graceMs);
    this.#stopping ??= this.#shutdown(graceMs);
    return this.#stopping;
  }

  async #run(
    fnName: string,
    arg: unknown,
    signal: AbortSignal | undefined,
    timeout: number,
    transferList: readonly TransferListItem[] | undefined,
  ): Promise<unknown> {
    // With a timeout, the call gets its own signal, aborted by the timer or by the caller's.
    let controller: AbortController | undefined;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const forward = (): void => controller?.abort(signal?.reason);
    if (timeout <= MAX_DELAY) {
      controller = new AbortController();
      const limit = new TaskTimeoutError(timeout, `thread pool "${this.name}" call \`${fnName}\``);
      timer = setTimeout(() => controller?.abort(limit), timeout);
      signal?.addEventListener('abort', forward, { once: true });
    }
    const callSignal = controller?.signal ?? signal;
    this.#inFlight++;
    let holdsSlot = false;
    try {
      await this.#acquire(callSignal);
      holdsSlot = true;
      const value = await this.#pool.run(
        { filename: this.filename, fnName, arg },
        { signal: callSignal ?? null, transferList: transferList as TransferListItem[] | undefined },
      );
      this.#completed++;
      return value;
    } catch (err) {
      this.#failed++;
      // Piscina's AbortError only says "aborted"; the signal's reason says why.
      if (callSignal?.aborted) throw callSignal.reason;
      if (this.#abandoning) throw new StoppedError(`thread pool "${this.name}"`);
      throw coerceError(err);
    } finally {
      if (timer !== undefined) clearTimeout(timer);
      signal?.removeEventListener('abort', forward);
      if (holdsSlot) this.#release();
      if (--this.#inFlight === 0) this.#drained?.resolve();
    }
  }

  /**
   * Resolves once this call may go to piscina: at once while fewer than `size` calls are there
   * (and none is waiting ahead), else when a finishing call hands over its slot. Rejects with
   * the signal's reason if aborted while waiting, and with StoppedError when stop gives up.
   *
   * The backlog is kept here, not in piscina, because piscina only starts a thread when a call
   * arrives or (up to minThreads, 0 here) when one is killed: a queued call whose busy threads
   * were all killed by abort or timeout, or exited, would wait forever. A call handed over
   * after a thread died finds fewer threads than `size`, so piscina starts one for it. Piscina
   * also sends a call back to the tail of its queue when no thread is free, which breaks FIFO.
   */
  #acquire(signal: AbortSignal | undefined): Promise<void> | void {
    if (this.#busy < this.size && this.#waiting.size === 0) {
      this.#busy++;
      return;
    }
    const turn = deferred<void>();
    const waiter: Waiter = { grant: turn.resolve, fail: turn.reject };
    this.#waiting.add(waiter);
    if (signal === undefined) return turn.promise;
    const onAbort = (): void => {
      if (this.#waiting.delete(waiter)) waiter.fail(signal.reason);
    };
    signal.addEventListener('abort', onAbort, { once: true });
    return turn.promise.finally(() => signal.removeEventListener('abort', onAbort));
  }

  /** Hands a finished call's slot to the oldest waiting call, or frees it. */
  #release(): void {
    const next = this.#abandoning ? undefined : this.#waiting.values().next().value;
    if (next === undefined) {
      this.#busy--;
      return;
    }
    this.#waiting.delete(next);
    next.grant();
  }

  async #shutdown(graceMs: number): Promise<void> {
    this.#accepting = false;
    if (this.#inFlight > 0 && graceMs > 0) {
      this.#drained = deferred();
      if (graceMs > MAX_DELAY) {
        await this.#drained.promise;
      } else {
        const giveUp = new AbortController();
        await Promise.race([this.#drained.promise, delay(graceMs, giveUp.signal)]);
        giveUp.abort(); // clears the grace timer when the calls finished first
      }
    }
    this.#abandoning = true;
    const stopped = new StoppedError(`thread pool "${this.name}"`);
    for (const waiter of this.#waiting) waiter.fail(stopped);
    this.#waiting.clear();
    try {
      await this.#pool.destroy();
    } catch (err) {
      report({
        source: 'thread_pool',
        name: this.name,
        event: 'thread_pool.destroy_failed',
        reason: coerceError(err),
      });
    }
    closed(this);
    this.#exit.resolve(SHUTDOWN);
  }
}

/** Resolves `filename` to an absolute path of an existing file, or throws a TypeError saying what was looked for. */
function resolveModule(filename: unknown): string {
  let path: string;
  if (filename instanceof URL || (typeof filename === 'string' && filename.startsWith('file:'))) {
    try {
      path = fileURLToPath(filename);
    } catch {
      throw invalidArgument('filename', 'a path or file: URL of a module', String(filename));
    }
  } else if (typeof filename === 'string' && filename !== '') {
    path = resolvePath(filename);
  } else {
    throw invalidArgument('filename', 'a path or file: URL of a module', filename);
  }
  if (!existsSync(path) || !statSync(path).isFile()) {
    const given = filename instanceof URL ? filename.href : filename;
    throw invalidArgument(
      'filename',
      `an existing module file (resolved to ${path}, which does not exist)`,
      given,
    );
  }
  return path;
}

/**
 * The execArgv for the pool's threads. Threads inherit the parent's execArgv by default,
 * which already loads tsx under `tsx script.ts`; under vitest (whose own loader threads do
 * not get) or plain node, TypeScript needs tsx added with `--import`.
 */
function workerExecArgv(needsTypeScript: boolean, filename: string): string[] | undefined {
  if (!needsTypeScript || process.execArgv.some((arg) => TSX_LOADED.test(arg))) return undefined;
  return [...process.execArgv, '--import', tsxLoader(filename)];
}

/** The file: URL of tsx's loader, found from Steward's own location or else from the module's. */
function tsxLoader(filename: string): string {
  for (const from of [import.meta.url, pathToFileURL(filename).href]) {
    try {
      return pathToFileURL(createRequire(from).resolve('tsx')).href;
    } catch {
      // try the next place
    }
  }
  throw new Error(
    `ThreadPool: ${filename} is TypeScript, and running it on a thread needs tsx, which is not installed; ` +
      'install tsx or point `filename` at the compiled .js module',
  );
}
