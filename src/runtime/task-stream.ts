/**
 * `Task.asyncStream`: Elixir's `Task.async_stream` over (async) iterables.
 *
 * Hand-written rather than built on p-map's `pMapIterable` (checked, 7.1.1): it passes
 * no per-item AbortSignal, a mapper error ends its stream, leaving early does not abort
 * mappers still running, and it reads ahead of the mapper slots, so it pulls more input
 * than the bound. Wrapping it would have meant owning the in-flight registry, timeouts
 * and error capture anyway — which is all this file is.
 */
import { availableParallelism } from 'node:os';
import { ShutdownError, TaskTimeoutError, coerceError } from './errors.js';
import type { Deferred } from './internal/deferred.js';
import { deferred } from './internal/deferred.js';
import { after } from './internal/timers.js';
import type { TaskResult } from './task.js';
import {
  assertFunction,
  assertOneOf,
  assertPositiveInteger,
  assertTimeout,
  invalidArgument,
} from './validate.js';

/** Options of `Task.asyncStream`. */
export interface AsyncStreamOptions {
  /** Most items whose `fn` runs at once (and most pulled but not yet yielded). @default os.availableParallelism() */
  maxConcurrency?: number;
  /** Yield in input order (true) or in completion order (false). @default true */
  ordered?: boolean;
  /** Per-item limit in ms, counted from the item's start. @default 5000 (Infinity allowed) */
  timeout?: number;
  /** On an item timeout: `exit` aborts everything and throws TaskTimeoutError; `kill` aborts that item and yields it as a failure. @default 'exit' */
  onTimeout?: 'exit' | 'kill';
}

interface Slot<O> {
  /** Only for a `fn` that declares the signal parameter: creating one costs ~5-10 µs on Node 20. */
  readonly controller: AbortController | undefined;
  cancelTimer: () => void;
  result?: TaskResult<O>;
}

/**
 * Maps `input` through `fn`, at most `maxConcurrency` items at a time, yielding one
 * TaskResult per item. Pulls lazily (an infinite generator is fine): an item is pulled
 * only to fill a free slot, and a slot stays taken from pull until its result is
 * yielded, so memory is bounded too. A throwing item is yielded as `{ok: false}` and
 * the stream goes on. Leaving the loop early (break, return, throw) aborts every item
 * still running and calls the input iterator's `return()`.
 * @throws TypeError at call time on bad arguments; TaskTimeoutError (onTimeout 'exit');
 * whatever the input iterator throws.
 * @example
 * for await (const r of Task.asyncStream(urls, (url, signal) => fetch(url, { signal }), { maxConcurrency: 4 })) {
 *   if (r.ok) console.log(r.value.status); else console.error(r.reason);
 * }
 */
export function asyncStream<I, O>(
  input: Iterable<I> | AsyncIterable<I>,
  fn: (item: I, signal: AbortSignal) => O | Promise<O>,
  opts: AsyncStreamOptions = {},
): AsyncGenerator<TaskResult<O>, void, undefined> {
  if (!isIterable(input)) throw invalidArgument('input', 'an Iterable or AsyncIterable', input);
  assertFunction('fn', fn);
  if (typeof opts !== 'object' || opts === null) throw invalidArgument('opts', 'an options object', opts);
  const {
    maxConcurrency = availableParallelism(),
    ordered = true,
    timeout = 5000,
    onTimeout = 'exit',
  } = opts;
  assertPositiveInteger('maxConcurrency', maxConcurrency);
  if (typeof ordered !== 'boolean') throw invalidArgument('ordered', 'a boolean', ordered);
  assertTimeout('timeout', timeout);
  assertOneOf('onTimeout', onTimeout, ['exit', 'kill'] as const);
  return run(input, fn, { maxConcurrency, ordered, timeout, onTimeout });
}

async function* run<I, O>(
  input: Iterable<I> | AsyncIterable<I>,
  fn: (item: I, signal: AbortSignal) => O | Promise<O>,
  opts: Required<AsyncStreamOptions>,
): AsyncGenerator<TaskResult<O>, void, undefined> {
  const { maxConcurrency, ordered, timeout, onTimeout } = opts;
  const wantsSignal = fn.length >= 2;
  const iterator: Iterator<I> | AsyncIterator<I> = isAsyncIterable(input)
    ? input[Symbol.asyncIterator]()
    : input[Symbol.iterator]();
  // Pulled and not yet yielded, in input order. Its size is the bound.
  const window: Slot<O>[] = [];
  // Settled and not yet yielded, in completion order (unordered mode reads from here).
  const completed: Slot<O>[] = [];
  let inputDone = false;
  let fatal: Error | undefined;
  // Resolved (and replaced) whenever a slot settles or a fatal timeout happens; one
  // shared wake-up avoids piling a Promise.race reaction per wait onto long-lived promises.
  let wake: Deferred<void> = deferred();
  const notify = (): void => {
    const current = wake;
    wake = deferred();
    current.resolve();
  };

  const settle = (slot: Slot<O>, result: TaskResult<O>): void => {
    if (slot.result) return; // a timed-out item's late outcome is dropped
    slot.result = result;
    slot.cancelTimer();
    completed.push(slot);
    notify();
  };

  const start = (item: I): void => {
    const slot: Slot<O> = { controller: wantsSignal ? new AbortController() : undefined, cancelTimer: noop };
    window.push(slot);
    slot.cancelTimer = after(timeout, () => {
      const reason = new TaskTimeoutError(timeout, 'asyncStream item');
      slot.controller?.abort(reason);
      if (onTimeout === 'kill') return settle(slot, { ok: false, reason });
      fatal ??= reason;
      notify();
    });
    try {
      const value = slot.controller
        ? fn(item, slot.controller.signal)
        : (fn as (item: I) => O | Promise<O>)(item);
      Promise.resolve(value).then(
        (v) => settle(slot, { ok: true, value: v }),
        (err: unknown) => settle(slot, { ok: false, reason: coerceError(err) }),
      );
    } catch (err) {
      settle(slot, { ok: false, reason: coerceError(err) });
    }
  };

  const fill = async (): Promise<void> => {
    while (!inputDone && fatal === undefined && window.length < maxConcurrency) {
      let step: IteratorResult<I>;
      try {
        step = await iterator.next();
      } catch (err) {
        inputDone = true; // a throwing iterator is finished: it must not be asked to return()
        throw err;
      }
      if (step.done) inputDone = true;
      else start(step.value);
    }
  };

  const takeNext = async (): Promise<TaskResult<O>> => {
    for (;;) {
      if (fatal) throw fatal;
      const slot = ordered ? window[0] : completed[0];
      if (slot?.result) {
        window.splice(window.indexOf(slot), 1);
        completed.splice(completed.indexOf(slot), 1);
        return slot.result;
      }
      await wake.promise;
    }
  };

  try {
    await fill();
    while (window.length > 0) {
      const result = await takeNext();
      // Refill before yielding so the freed slot works while the consumer handles this result.
      await fill();
      yield result;
    }
  } finally {
    const reason = fatal ?? new ShutdownError('asyncStream was closed before this item finished');
    for (const slot of window) {
      slot.cancelTimer();
      if (!slot.result) slot.controller?.abort(reason);
    }
    if (!inputDone) await iterator.return?.();
  }
}

function isIterable(value: unknown): value is Iterable<unknown> | AsyncIterable<unknown> {
  if (value === null || value === undefined) return false;
  const v = value as { [Symbol.iterator]?: unknown; [Symbol.asyncIterator]?: unknown };
  return typeof v[Symbol.iterator] === 'function' || typeof v[Symbol.asyncIterator] === 'function';
}

function isAsyncIterable<I>(value: Iterable<I> | AsyncIterable<I>): value is AsyncIterable<I> {
  return typeof (value as { [Symbol.asyncIterator]?: unknown })[Symbol.asyncIterator] === 'function';
}

function noop(): void {}
