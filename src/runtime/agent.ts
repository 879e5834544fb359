/**
 * Agent: shared state behind a one-at-a-time mailbox, after Elixir's `Agent`. Every
 * read and write is a function applied to the state in arrival order, so concurrent
 * async callers can never interleave a read-modify-write and lose an update.
 */
import { StoppedError, coerceError } from './errors.js';
import { deferred } from './internal/deferred.js';
import { SHUTDOWN } from './process.js';
import type { ExitReason, Process } from './process.js';
import { report } from './report.js';
import { assertFunction, assertTimeout, invalidArgument } from './validate.js';

/** Options of `Agent.start`. */
export interface AgentOptions {
  /** A name for reports and errors. @default `"agent-<n>"` */
  name?: string;
}

const GET = 0;
const UPDATE = 1;
const GET_AND_UPDATE = 2;
const CAST = 3;
type Kind = typeof GET | typeof UPDATE | typeof GET_AND_UPDATE | typeof CAST;

type StateFn = (state: never) => unknown;

/** One queued call; `resolve`/`reject` are null for a cast, which has nobody to answer. */
interface Call {
  readonly kind: Kind;
  readonly fn: StateFn;
  resolve: ((value: unknown) => void) | null;
  reject: ((reason: unknown) => void) | null;
}

const RESOLVED: Promise<void> = Promise.resolve();
const identity = <S>(state: S): S => state;
/** setTimeout fires at once for delays past 2^31-1 ms (~24.8 days), so a longer grace means "no limit". */
const MAX_DELAY = 2 ** 31 - 1;
let counter = 0;

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return (
    ((typeof value === 'object' && value !== null) || typeof value === 'function') &&
    typeof (value as { then?: unknown }).then === 'function'
  );
}

/**
 * A process holding one state value of type `S`, changed only by the functions sent to it.
 *
 * Calls are applied one at a time in arrival order; an async function holds the agent until
 * it settles, so the next call sees its result. When the agent is idle and the function
 * returns a plain value, it is applied synchronously on the spot (the returned promise is
 * already settled), which keeps an Agent within a small factor of a plain object.
 *
 * Failure rule (differs from OTP on purpose): a function that throws or rejects fails only
 * its own caller — that call's promise rejects with the error (non-Errors are wrapped by
 * `coerceError`), the state stays as it was, and the agent keeps serving. In Elixir the
 * agent process would crash and lose its state; here the state is shared by every caller
 * and one bad caller should not take it down for all of them. A failing `cast`, which has
 * no caller to tell, is reported via `report()` (`agent.cast_failed`).
 *
 * A function must not await a call on its own agent: the agent is busy running it, so that
 * call waits behind it forever (as `Agent.get(self(), ...)` deadlocks in Elixir).
 *
 * @example
 * const hits = await Agent.start(() => new Map<string, number>());
 * hits.cast((m) => m.set(path, (m.get(path) ?? 0) + 1));
 * const top = await hits.get((m) => [...m].sort((a, b) => b[1] - a[1]).slice(0, 10));
 * await hits.stop();
 */
export class Agent<S> implements Process {
  /** The agent's name, for reports and errors. */
  readonly name: string;
  /** Resolves with `{kind: 'shutdown'}` once the agent has stopped; never rejects. */
  readonly exited: Promise<ExitReason>;

  #state: S;
  /** True while a call runs (including an async one awaiting its result). */
  #busy = false;
  /** False from `stop()` on: new calls are refused. */
  #accepting = true;
  /** The queued calls from index `#head` on; a head index avoids O(n) `shift()`s. */
  #queue: (Call | undefined)[] = [];
  #head = 0;
  /** The async call in progress, answered by the two shared callbacks below. */
  #current: Call | null = null;
  readonly #exit = deferred<ExitReason>();
  #stopping: Promise<void> | null = null;
  #graceTimer: ReturnType<typeof setTimeout> | undefined;
  // Bound once, not per call: only one async call is ever in progress, found in #current.
  readonly #onFulfilled = (value: unknown): void => {
    const call = this.#current;
    if (call === null) return; // abandoned at the end of a stop's grace period
    this.#current = null;
    this.#complete(call, value);
    this.#drain();
  };
  readonly #onRejected = (reason: unknown): void => {
    const call = this.#current;
    if (call === null) return;
    this.#current = null;
    this.#fail(call, reason);
    this.#drain();
  };

  private constructor(state: S, name: string) {
    this.#state = state;
    this.name = name;
    this.exited = this.#exit.promise;
  }

  /**
   * Starts an agent whose state is the value `init` returns (or resolves to); rejects with
   * init's error if it throws. Bad arguments throw a TypeError at once, like every call here.
   */
  static start<S>(init: () => S | Promise<S>, opts: AgentOptions = {}): Promise<Agent<S>> {
    assertFunction('init', init);
    if (typeof opts !== 'object' || opts === null) throw invalidArgument('opts', 'an options object', opts);
    const { name } = opts;
    if (name !== undefined && (typeof name !== 'string' || name === '')) {
      throw invalidArgument('name', 'a non-empty string', name);
    }
    return (async () => {
      let state: S;
      try {
        state = await init();
      } catch (err) {
        throw coerceError(err);
      }
      return new Agent(state, name ?? `agent-${++counter}`);
    })();
  }

  /** Resolves with the state (or with what `fn` returns for it), after every call that arrived before. */
  get(): Promise<S>;
  get<R>(fn: (state: S) => R | Promise<R>): Promise<R>;
  get(fn: (state: S) => unknown = identity): Promise<unknown> {
    assertFunction('fn', fn);
    return this.#call(GET, fn);
  }

  /**
   * Replaces the state with what `fn` returns (or resolves to); resolves once applied, or
   * rejects with fn's error (state unchanged). Use `cast` when nobody will await the result.
   */
  update(fn: (state: S) => S | Promise<S>): Promise<void> {
    assertFunction('fn', fn);
    return this.#call(UPDATE, fn) as Promise<void>;
  }

  /** Applies `fn`, which returns `[reply, newState]`: sets the new state and resolves with the reply. */
  getAndUpdate<R>(fn: (state: S) => readonly [R, S] | Promise<readonly [R, S]>): Promise<R> {
    assertFunction('fn', fn);
    return this.#call(GET_AND_UPDATE, fn) as Promise<R>;
  }

  /**
   * Queues an update without waiting for it (fire-and-forget). If `fn` throws, the state is
   * unchanged and the error is reported (`agent.cast_failed`); a cast after `stop()` is
   * reported as `agent.cast_refused`.
   */
  cast(fn: (state: S) => S | Promise<S>): void {
    assertFunction('fn', fn);
    if (!this.#accepting) {
      this.#report('agent.cast_refused', new StoppedError(`agent "${this.name}"`));
      return;
    }
    if (this.#busy) {
      this.#queue.push({ kind: CAST, fn, resolve: null, reject: null });
      return;
    }
    this.#busy = true;
    let out: S | Promise<S>;
    try {
      out = fn(this.#state);
    } catch (err) {
      this.#report('agent.cast_failed', coerceError(err));
      this.#release();
      return;
    }
    if (isThenable(out)) {
      this.#await({ kind: CAST, fn, resolve: null, reject: null }, out);
      return;
    }
    this.#state = out;
    this.#release();
  }

  /**
   * Stops the agent: new calls reject with StoppedError at once; calls already accepted
   * still run, for at most `graceMs`, after which the unfinished ones reject with
   * StoppedError (an async one still running is abandoned). Resolves once stopped;
   * calling it again returns the same promise. @default graceMs 5000
   */
  stop(graceMs = 5000): Promise<void> {
    assertTimeout('graceMs', graceMs);
    if (this.#stopping) return this.#stopping;
    this.#accepting = false;
    this.#stopping = this.#exit.promise.then(() => undefined);
    if (!this.#busy) this.#finish();
    else if (graceMs <= MAX_DELAY) this.#graceTimer = setTimeout(() => this.#abandon(), graceMs);
    return this.#stopping;
  }

  /** Applies a call now if idle and it stays synchronous; otherwise queues or awaits it. */
  #call(kind: Kind, fn: StateFn): Promise<unknown> {
    if (!this.#accepting) return Promise.reject(new StoppedError(`agent "${this.name}"`));
    if (this.#busy) {
      return new Promise((resolve, reject) => {
        this.#queue.push({ kind, fn, resolve, reject });
      });
    }
    // Busy while fn runs, so a call fn makes on this agent queues behind it instead of
    // being applied to a state that fn's return value is about to replace.
    this.#busy = true;
    let out: unknown;
    try {
      out = (fn as (state: S) => unknown)(this.#state);
    } catch (err) {
      this.#release();
      return Promise.reject(coerceError(err));
    }
    if (isThenable(out)) {
      return new Promise((resolve, reject) => {
        this.#await({ kind, fn, resolve, reject }, out);
      });
    }
    let result: Promise<unknown>;
    if (kind === UPDATE) {
      this.#state = out as S;
      result = RESOLVED;
    } else if (kind === GET) {
      result = Promise.resolve(out);
    } else if (isPair(out)) {
      this.#state = out[1] as S;
      result = Promise.resolve(out[0]);
    } else {
      result = Promise.reject(badPair(out));
    }
    this.#release();
    return result;
  }

  /** Holds the agent until an async call settles; the shared callbacks then finish it. */
  #await(call: Call, out: PromiseLike<unknown>): void {
    this.#current = call;
    // Promise.resolve guards against odd thenables that call back twice or synchronously.
    Promise.resolve(out).then(this.#onFulfilled, this.#onRejected);
  }

  /** Ends a synchronous call: runs what queued meanwhile, or simply goes idle. */
  #release(): void {
    if (this.#head < this.#queue.length || !this.#accepting) this.#drain();
    else this.#busy = false;
  }

  /** Runs queued calls in order until one goes async (its callback resumes here) or none are left. */
  #drain(): void {
    const queue = this.#queue;
    while (this.#head < queue.length) {
      const call = queue[this.#head]!;
      queue[this.#head++] = undefined;
      let out: unknown;
      try {
        out = (call.fn as (state: S) => unknown)(this.#state);
      } catch (err) {
        this.#fail(call, err);
        continue;
      }
      if (isThenable(out)) {
        this.#compact();
        this.#await(call, out);
        return;
      }
      this.#complete(call, out);
    }
    queue.length = 0;
    this.#head = 0;
    this.#busy = false;
    if (!this.#accepting) this.#finish();
  }

  /** Drops the consumed prefix once it dominates the array, so a long burst doesn't pin memory. */
  #compact(): void {
    if (this.#head > 1024 && this.#head * 2 > this.#queue.length) {
      this.#queue = this.#queue.slice(this.#head);
      this.#head = 0;
    }
  }

  #complete(call: Call, out: unknown): void {
    switch (call.kind) {
      case GET:
        call.resolve!(out);
        return;
      case UPDATE:
        this.#state = out as S;
        call.resolve!(undefined);
        return;
      case CAST:
        this.#state = out as S;
        return;
      case GET_AND_UPDATE:
        if (!isPair(out)) return this.#fail(call, badPair(out));
        this.#state = out[1] as S;
        call.resolve!(out[0]);
    }
  }

  #fail(call: Call, reason: unknown): void {
    const error = coerceError(reason);
    if (call.reject) call.reject(error);
    else this.#report('agent.cast_failed', error);
  }

  /** The grace period ran out: every call not yet finished rejects with StoppedError. */
  #abandon(): void {
    this.#graceTimer = undefined;
    const stopped = new StoppedError(`agent "${this.name}"`);
    const unfinished = this.#queue.slice(this.#head) as Call[];
    if (this.#current) unfinished.unshift(this.#current);
    this.#current = null;
    for (const call of unfinished) {
      if (call.reject) call.reject(stopped);
      else this.#report('agent.cast_abandoned', stopped);
    }
    this.#queue = [];
    this.#head = 0;
    this.#busy = false;
    this.#finish();
  }

  #finish(): void {
    if (this.#graceTimer !== undefined) clearTimeout(this.#graceTimer);
    this.#graceTimer = undefined;
    this.#state = undefined as S; // let the state be collected; nothing can read it any more
    this.#exit.resolve(SHUTDOWN);
  }

  #report(event: string, reason: Error): void {
    report({ source: 'agent', name: this.name, event, reason });
  }
}

function isPair(value: unknown): value is readonly [unknown, unknown] {
  return Array.isArray(value) && value.length === 2;
}

function badPair(value: unknown): TypeError {
  return invalidArgument('the result of the getAndUpdate function', 'a [reply, newState] pair', value);
}
