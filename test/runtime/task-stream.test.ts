import { availableParallelism } from 'node:os';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { ShutdownError, TaskTimeoutError } from '../../src/runtime/errors.js';
import { deferred } from '../../src/runtime/internal/deferred.js';
import type { Deferred } from '../../src/runtime/internal/deferred.js';
import { Task } from '../../src/runtime/task.js';
import type { TaskResult } from '../../src/runtime/task.js';

afterEach(() => {
  vi.useRealTimers();
});

async function macrotasks(n: number): Promise<void> {
  for (let i = 0; i < n; i++) await new Promise<void>((resolve) => setImmediate(resolve));
}

async function collect<O>(stream: AsyncIterable<TaskResult<O>>): Promise<TaskResult<O>[]> {
  const out: TaskResult<O>[] = [];
  for await (const r of stream) out.push(r);
  return out;
}

/** An iterable over 0..n-1 that records how far it was pulled and whether return() was called. */
function trackedRange(n: number): Iterable<number> & { pulled: number; returned: boolean } {
  const state = {
    pulled: 0,
    returned: false,
    [Symbol.iterator](): Iterator<number> {
      return {
        next: () =>
          state.pulled < n ? { done: false, value: state.pulled++ } : { done: true, value: undefined },
        return: () => {
          state.returned = true;
          return { done: true, value: undefined };
        },
      };
    },
  };
  return state;
}

describe('Task.asyncStream concurrency', () => {
  it('never runs more than maxConcurrency items at once, and reaches the bound exactly', async () => {
    let running = 0;
    let maxRunning = 0;
    const input = Array.from({ length: 200 }, (_, i) => i);
    const stream = Task.asyncStream(
      input,
      async (i) => {
        running++;
        maxRunning = Math.max(maxRunning, running);
        try {
          await macrotasks(1 + (i % 4));
          return i * 2;
        } finally {
          running--;
        }
      },
      { maxConcurrency: 7 },
    );
    const results = await collect(stream);
    expect(maxRunning).toBe(7);
    expect(results).toEqual(input.map((i) => ({ ok: true, value: i * 2 })));
    expect(running).toBe(0);
  });

  it('keeps the bound in completion order too', async () => {
    let running = 0;
    let maxRunning = 0;
    const stream = Task.asyncStream(
      Array.from({ length: 100 }, (_, i) => i),
      async (i) => {
        running++;
        maxRunning = Math.max(maxRunning, running);
        await macrotasks(1 + ((i * 7) % 5));
        running--;
        return i;
      },
      { maxConcurrency: 5, ordered: false },
    );
    const results = await collect(stream);
    expect(maxRunning).toBe(5);
    expect(results.map((r) => (r.ok ? r.value : -1)).sort((a, b) => a - b)).toEqual(
      Array.from({ length: 100 }, (_, i) => i),
    );
  });

  it('defaults maxConcurrency to os.availableParallelism()', async () => {
    let running = 0;
    let maxRunning = 0;
    const stream = Task.asyncStream(
      Array.from({ length: 40 }, (_, i) => i),
      async () => {
        running++;
        maxRunning = Math.max(maxRunning, running);
        await macrotasks(2);
        running--;
      },
    );
    await collect(stream);
    expect(maxRunning).toBe(availableParallelism());
  });

  it('pulls lazily from an infinite generator and closes it on break', async () => {
    let pulled = 0;
    let closed = false;
    function* naturals(): Generator<number> {
      try {
        for (let i = 0; ; i++) {
          pulled++;
          yield i;
        }
      } finally {
        closed = true;
      }
    }
    const stream = Task.asyncStream(naturals(), async (i) => i, { maxConcurrency: 4 });
    expect(pulled).toBe(0);
    const taken: number[] = [];
    for await (const r of stream) {
      if (r.ok) taken.push(r.value);
      if (taken.length === 10) break;
    }
    expect(taken).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(pulled).toBeLessThanOrEqual(10 + 4);
    expect(closed).toBe(true);
  });

  it('accepts an async iterable input', async () => {
    async function* source(): AsyncGenerator<string> {
      yield 'a';
      yield 'b';
    }
    const results = await collect(Task.asyncStream(source(), (s) => s.toUpperCase(), { maxConcurrency: 2 }));
    expect(results).toEqual([
      { ok: true, value: 'A' },
      { ok: true, value: 'B' },
    ]);
  });
});

describe('Task.asyncStream ordering and errors', () => {
  /** Runs a 3-item stream whose items finish in the order 2, 0, 1; returns the yield order. */
  async function finishOrder(ordered: boolean): Promise<number[]> {
    const gates: Deferred<number>[] = [deferred(), deferred(), deferred()];
    const stream = Task.asyncStream([0, 1, 2], (i) => gates[i]!.promise, { maxConcurrency: 3, ordered });
    const seen: number[] = [];
    const consuming = (async () => {
      for await (const r of stream) if (r.ok) seen.push(r.value);
    })();
    for (const i of [2, 0, 1]) {
      await macrotasks(1);
      gates[i]!.resolve(i);
    }
    await consuming;
    return seen;
  }

  it('yields in input order when ordered', async () => {
    expect(await finishOrder(true)).toEqual([0, 1, 2]);
  });

  it('yields in completion order when not ordered', async () => {
    expect(await finishOrder(false)).toEqual([2, 0, 1]);
  });

  it('yields a throwing item as a failure and goes on', async () => {
    const boom = new Error('item 1 failed');
    const results = await collect(
      Task.asyncStream([0, 1, 2, 3], (i) => {
        if (i === 1) throw boom;
        if (i === 2) return Promise.reject('not an Error');
        return i;
      }),
    );
    expect(results[0]).toEqual({ ok: true, value: 0 });
    expect(results[1]).toEqual({ ok: false, reason: boom });
    expect(results[2]).toMatchObject({ ok: false, reason: { message: 'non-Error thrown: not an Error' } });
    expect(results[3]).toEqual({ ok: true, value: 3 });
  });
});

describe('Task.asyncStream timeouts', () => {
  it("with onTimeout 'kill' aborts the late item and yields it as TaskTimeoutError", async () => {
    vi.useFakeTimers();
    const signals: AbortSignal[] = [];
    const stream = Task.asyncStream(
      ['slow', 'fast'],
      (name, signal) => {
        signals.push(signal);
        return name === 'slow' ? new Promise<string>(() => {}) : Promise.resolve(name);
      },
      { maxConcurrency: 2, timeout: 100, onTimeout: 'kill' },
    );
    const collecting = collect(stream);
    await vi.advanceTimersByTimeAsync(99);
    expect(signals[0]!.aborted).toBe(false);
    await vi.advanceTimersByTimeAsync(1);
    const results = await collecting;
    expect(results[0]).toMatchObject({ ok: false, reason: { timeoutMs: 100 } });
    expect((results[0] as { reason: Error }).reason).toBeInstanceOf(TaskTimeoutError);
    expect(results[1]).toEqual({ ok: true, value: 'fast' });
    expect(signals[0]!.aborted).toBe(true);
    expect(signals[0]!.reason).toBeInstanceOf(TaskTimeoutError);
  });

  it("with onTimeout 'exit' (the default) aborts all in-flight items and throws TaskTimeoutError", async () => {
    vi.useFakeTimers();
    const signals: AbortSignal[] = [];
    const input = trackedRange(10);
    const stream = Task.asyncStream(
      input,
      (i, signal) => {
        signals.push(signal);
        return i === 0 ? Promise.resolve(i) : new Promise<number>(() => {});
      },
      { maxConcurrency: 3, timeout: 50 },
    );
    const seen: number[] = [];
    const consuming = (async () => {
      for await (const r of stream) if (r.ok) seen.push(r.value);
    })();
    const assertion = expect(consuming).rejects.toThrow('asyncStream item did not finish within 50 ms');
    await vi.advanceTimersByTimeAsync(50);
    await assertion;
    expect(seen).toEqual([0]);
    expect(signals).toHaveLength(4); // item 0 finished and was replaced by item 3
    expect(signals.slice(1).every((s) => s.aborted && s.reason instanceof TaskTimeoutError)).toBe(true);
    expect(input.returned).toBe(true);
  });

  it('does not time out with timeout Infinity', async () => {
    vi.useFakeTimers();
    const gate = deferred<number>();
    const collecting = collect(Task.asyncStream([1], () => gate.promise, { timeout: Infinity }));
    await vi.advanceTimersByTimeAsync(3_600_000);
    gate.resolve(1);
    await expect(collecting).resolves.toEqual([{ ok: true, value: 1 }]);
  });
});

describe('Task.asyncStream early exit', () => {
  it('aborts every running item and calls the input return() on break', async () => {
    const signals: AbortSignal[] = [];
    const input = trackedRange(100);
    const stream = Task.asyncStream(
      input,
      (i, signal) => {
        signals.push(signal);
        return i === 0 ? i : new Promise<number>(() => {});
      },
      { maxConcurrency: 5 },
    );
    for await (const r of stream) {
      expect(r).toEqual({ ok: true, value: 0 });
      break;
    }
    expect(signals).toHaveLength(6);
    expect(signals[0]!.aborted).toBe(false); // finished before the break
    for (const s of signals.slice(1)) {
      expect(s.aborted).toBe(true);
      expect(s.reason).toBeInstanceOf(ShutdownError);
    }
    expect(input.returned).toBe(true);
    expect(input.pulled).toBe(6);
  });

  it('aborts running items when the loop body throws', async () => {
    const signals: AbortSignal[] = [];
    const input = trackedRange(10);
    const stream = Task.asyncStream(
      input,
      (i, signal) => {
        signals.push(signal);
        return i === 0 ? i : new Promise<number>(() => {});
      },
      { maxConcurrency: 2 },
    );
    const consume = async (): Promise<void> => {
      for await (const _ of stream) throw new Error('consumer failed');
    };
    await expect(consume()).rejects.toThrow('consumer failed');
    expect(signals.slice(1).every((s) => s.aborted)).toBe(true);
    expect(input.returned).toBe(true);
  });

  it('propagates an input error, aborting running items without calling return()', async () => {
    const signals: AbortSignal[] = [];
    let returned = false;
    const input: Iterable<number> = {
      [Symbol.iterator]: () => {
        let i = 0;
        return {
          next: () => {
            if (i === 2) throw new Error('source broke');
            return { done: false, value: i++ };
          },
          return: () => {
            returned = true;
            return { done: true, value: undefined };
          },
        };
      },
    };
    const stream = Task.asyncStream(
      input,
      (_, signal) => {
        signals.push(signal);
        return new Promise<number>(() => {});
      },
      { maxConcurrency: 3 },
    );
    await expect(collect(stream)).rejects.toThrow('source broke');
    expect(signals).toHaveLength(2);
    expect(signals.every((s) => s.aborted)).toBe(true);
    expect(returned).toBe(false);
  });
});

describe('Task.asyncStream bad arguments', () => {
  it('throws a TypeError naming the value at call time', () => {
    const fn = (x: number): number => x;
    expect(() => Task.asyncStream([1], fn, { maxConcurrency: 0 })).toThrow(
      'Expected `maxConcurrency` to be a positive integer, got `0` (number)',
    );
    expect(() => Task.asyncStream([1], fn, { maxConcurrency: 1.5 })).toThrow('got `1.5` (number)');
    expect(() => Task.asyncStream([1], fn, { timeout: -1 })).toThrow(
      'Expected `timeout` to be a non-negative number of milliseconds (or Infinity), got `-1` (number)',
    );
    expect(() => Task.asyncStream([1], fn, { onTimeout: 'ignore' as never })).toThrow(
      'Expected `onTimeout` to be one of "exit", "kill", got `"ignore"` (string)',
    );
    expect(() => Task.asyncStream([1], 'fn' as never)).toThrow(
      'Expected `fn` to be a function, got `"fn"` (string)',
    );
    expect(() => Task.asyncStream(42 as never, fn)).toThrow(
      'Expected `input` to be an Iterable or AsyncIterable, got `42` (number)',
    );
    expect(() => Task.asyncStream([1], fn, { ordered: 'yes' as never })).toThrow(
      'Expected `ordered` to be a boolean',
    );
  });
});
