import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ShutdownError, TaskTimeoutError } from '../../src/runtime/errors.js';
import { deferred } from '../../src/runtime/internal/deferred.js';
import { onReport } from '../../src/runtime/report.js';
import type { RuntimeReport } from '../../src/runtime/report.js';
import { Task, isTaskResult } from '../../src/runtime/task.js';

let reports: RuntimeReport[] = [];
let unsubscribe: () => void = () => {};

beforeEach(() => {
  reports = [];
  unsubscribe = onReport((r) => reports.push(r));
});

afterEach(() => {
  unsubscribe();
  vi.useRealTimers();
});

/** Lets `n` macrotasks pass (the unobserved-failure check runs one macrotask after a failure). */
async function macrotasks(n = 3): Promise<void> {
  for (let i = 0; i < n; i++) await new Promise<void>((resolve) => setImmediate(resolve));
}

/** A task that never settles and ignores its signal; hands the signal out. */
function ignoringTask(name = 'stubborn'): { task: Task<never>; signal: () => AbortSignal } {
  let seen: AbortSignal | undefined;
  const task = Task.async<never>(
    (signal) => {
      seen = signal;
      return new Promise<never>(() => {});
    },
    { name },
  );
  return { task, signal: () => seen! };
}

describe('Task.async / await', () => {
  it('resolves await with the value of an async function', async () => {
    const task = Task.async(async () => 42);
    await expect(task.await()).resolves.toBe(42);
    expect(task.status).toBe('ok');
    expect(task.result).toEqual({ ok: true, value: 42 });
  });

  it('invokes fn synchronously and settles a sync value at once', () => {
    const calls: string[] = [];
    const task = Task.async(() => {
      calls.push('ran');
      return 'v';
    });
    calls.push('after');
    expect(calls).toEqual(['ran', 'after']);
    expect(task.status).toBe('ok');
  });

  it('turns a synchronous throw into a failure instead of throwing from Task.async', async () => {
    const boom = new Error('boom');
    const task = Task.async(() => {
      throw boom;
    });
    expect(task.status).toBe('failed');
    await expect(task.await()).rejects.toBe(boom);
  });

  it('rejects await with the task own error, coercing non-Errors', async () => {
    const task = Task.async(() => Promise.reject('plain string'));
    const err = await task.await().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Error);
    expect((err as Error).message).toBe('non-Error thrown: plain string');
    expect((err as Error).cause).toBe('plain string');
  });

  it('rejects with TaskTimeoutError naming the limit and aborts the task', async () => {
    vi.useFakeTimers();
    const { task, signal } = ignoringTask();
    const waiting = task.await(250);
    const assertion = expect(waiting).rejects.toThrow('task "stubborn" did not finish within 250 ms');
    await vi.advanceTimersByTimeAsync(249);
    expect(signal().aborted).toBe(false);
    await vi.advanceTimersByTimeAsync(1);
    await assertion;
    const err = await waiting.catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TaskTimeoutError);
    expect((err as TaskTimeoutError).timeoutMs).toBe(250);
    expect(signal().aborted).toBe(true);
    expect(signal().reason).toBe(err);
    expect(task.status).toBe('failed');
    await expect(task.exited).resolves.toEqual({ kind: 'error', error: err });
  });

  it('waits without limit with await(Infinity)', async () => {
    vi.useFakeTimers();
    const gate = deferred<string>();
    const task = Task.async(() => gate.promise);
    const waiting = task.await(Infinity);
    await vi.advanceTimersByTimeAsync(10 * 24 * 3600 * 1000);
    expect(task.status).toBe('running');
    gate.resolve('late');
    await expect(waiting).resolves.toBe('late');
  });

  it('is not a thenable, so an async function can return the Task itself', async () => {
    const started = async (): Promise<Task<string>> => Task.async(async () => 'direct');
    const task = await started();
    expect(task).toBeInstanceOf(Task);
    await expect(task.await(Infinity)).resolves.toBe('direct');
  });

  it('still exposes an aborted signal for a function that declared none (the signal is made lazily)', async () => {
    const task = Task.async(() => new Promise<never>(() => {}), { timeout: 5 });
    await expect(task.await(1000)).rejects.toBeInstanceOf(TaskTimeoutError);
    expect(task.signal.aborted).toBe(true);
    expect(task.signal.reason).toBeInstanceOf(TaskTimeoutError);
  });

  it('fails with TaskTimeoutError when its own timeout passes, aborting the signal', async () => {
    vi.useFakeTimers();
    let seen: AbortSignal | undefined;
    const task = Task.async(
      (signal) => {
        seen = signal;
        return new Promise<number>(() => {});
      },
      { timeout: 100, name: 'slow' },
    );
    const assertion = expect(task.await(Infinity)).rejects.toThrow(TaskTimeoutError);
    await vi.advanceTimersByTimeAsync(100);
    await assertion;
    expect(seen?.aborted).toBe(true);
    expect((task.result as { reason: Error }).reason.message).toBe(
      'task "slow" did not finish within 100 ms',
    );
  });

  it('fails with the parent signal reason when the parent aborts', async () => {
    const parent = new AbortController();
    const { promise } = deferred<number>();
    const task = Task.async(() => promise, { signal: parent.signal });
    const cause = new Error('parent gone');
    parent.abort(cause);
    await expect(task.await()).rejects.toBe(cause);
    expect(task.signal.aborted).toBe(true);
  });

  it('does not start fn when the parent signal is already aborted', async () => {
    const fn = vi.fn(() => 1);
    const task = Task.async(fn, { signal: AbortSignal.abort(new Error('pre-aborted')) });
    expect(fn).not.toHaveBeenCalled();
    await expect(task.await()).rejects.toThrow('pre-aborted');
  });
});

describe('Task.yield', () => {
  it('returns undefined while running, then the result, without aborting the task', async () => {
    vi.useFakeTimers();
    const gate = deferred<number>();
    const task = Task.async(() => gate.promise);
    const first = task.yield(50);
    await vi.advanceTimersByTimeAsync(50);
    await expect(first).resolves.toBeUndefined();
    expect(task.status).toBe('running');
    expect(task.signal.aborted).toBe(false);
    const second = task.yield(50);
    gate.resolve(7);
    await expect(second).resolves.toEqual({ ok: true, value: 7 });
  });

  it('returns a failure as a value, not a throw', async () => {
    const boom = new Error('boom');
    const task = Task.async(async () => {
      throw boom;
    });
    await expect(task.yield(1000)).resolves.toEqual({ ok: false, reason: boom });
  });
});

describe('Task.shutdown', () => {
  it('aborts the signal with ShutdownError and returns the result of a cooperative task', async () => {
    const task = Task.async(
      (signal) =>
        new Promise<number>((_, reject) => signal.addEventListener('abort', () => reject(signal.reason))),
    );
    const result = await task.shutdown(1000);
    expect(task.signal.reason).toBeInstanceOf(ShutdownError);
    expect(result).toEqual({ ok: false, reason: task.signal.reason });
    await expect(task.exited).resolves.toEqual({ kind: 'shutdown' });
    expect(reports).toEqual([]);
  });

  it('returns undefined for a task that ignores its signal past the grace, and reports the abandonment', async () => {
    vi.useFakeTimers();
    const { task, signal } = ignoringTask('ignorer');
    const stopping = task.shutdown(300);
    expect(signal().aborted).toBe(true);
    expect(signal().reason).toBeInstanceOf(ShutdownError);
    await vi.advanceTimersByTimeAsync(300);
    await expect(stopping).resolves.toBeUndefined();
    expect(task.status).toBe('failed');
    await expect(task.exited).resolves.toEqual({ kind: 'shutdown' });
    expect(reports.map((r) => [r.event, r.name])).toEqual([['task.abandoned', 'ignorer']]);
    await expect(task.shutdown(0)).resolves.toBeUndefined();
  });

  it('returns the result of a task that had already settled', async () => {
    const task = Task.async(() => 'done');
    await expect(task.shutdown()).resolves.toEqual({ ok: true, value: 'done' });
    expect(task.signal.aborted).toBe(false);
  });

  it('implements Process: stop shuts down and exited says normal for a value', async () => {
    const task = Task.async(async () => 1);
    await expect(task.exited).resolves.toEqual({ kind: 'normal' });
    await task.stop(10);
    const { task: stuck } = ignoringTask();
    await stuck.stop(0);
    expect(stuck.status).toBe('failed');
  });
});

describe('unobserved failures', () => {
  it('reports a failure that nobody observes', async () => {
    const boom = new Error('nobody listens');
    Task.async(
      async () => {
        throw boom;
      },
      { name: 'orphan' },
    );
    await macrotasks();
    expect(reports).toEqual([
      { source: 'task', name: 'orphan', event: 'task.unobserved_error', reason: boom },
    ]);
  });

  it('does not report a failure observed by await, yield or awaitMany', async () => {
    const fail = async (): Promise<never> => {
      throw new Error('seen');
    };
    const awaited = Task.async(fail).await();
    const yielded = Task.async(fail).yield(1000);
    const many = Task.awaitMany([Task.async(fail)]);
    // Sync failure observed within the same macrotask.
    const sync = Task.async(() => {
      throw new Error('sync');
    });
    const late = sync.await();
    await Promise.allSettled([awaited, yielded, many, late]);
    await macrotasks();
    expect(reports).toEqual([]);
  });

  it('reports a failure after a yield that already returned undefined', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    const gate = deferred<number>();
    const task = Task.async(() => gate.promise, { name: 'yielded-once' });
    const polled = task.yield(10);
    await vi.advanceTimersByTimeAsync(10);
    expect(await polled).toBeUndefined();
    gate.reject(new Error('after the poll'));
    await macrotasks();
    expect(reports.map((r) => r.event)).toEqual(['task.unobserved_error']);
  });

  it('does not count reading exited as observing', async () => {
    const task = Task.async(async () => {
      throw new Error('owner crashed');
    });
    await task.exited;
    await macrotasks();
    expect(reports.map((r) => r.event)).toEqual(['task.unobserved_error']);
  });
});

describe('Task.awaitMany', () => {
  it('resolves every value in input order regardless of completion order', async () => {
    const a = deferred<string>();
    const b = deferred<number>();
    const tasks = [Task.async(() => a.promise), Task.async(() => b.promise), Task.async(() => true)] as const;
    const all = Task.awaitMany(tasks);
    b.resolve(2);
    a.resolve('one');
    const values: [string, number, boolean] = await all;
    expect(values).toEqual(['one', 2, true]);
  });

  it('resolves an empty list with []', async () => {
    await expect(Task.awaitMany([])).resolves.toEqual([]);
  });

  it('rejects with the first failure and aborts the rest', async () => {
    const boom = new Error('first failure');
    const gate = deferred<void>();
    const { task: slow, signal } = ignoringTask();
    const failing = Task.async(async () => {
      await gate.promise;
      throw boom;
    });
    const all = Task.awaitMany([slow, failing]);
    gate.resolve();
    await expect(all).rejects.toBe(boom);
    expect(signal().aborted).toBe(true);
    expect(slow.status).toBe('failed');
    await macrotasks();
    expect(reports).toEqual([]);
  });

  it('rejects with TaskTimeoutError after ms and aborts the unfinished tasks', async () => {
    vi.useFakeTimers();
    const done = Task.async(() => 1);
    const { task: stuck, signal } = ignoringTask();
    const all = Task.awaitMany([done, stuck], 500);
    const assertion = expect(all).rejects.toThrow('awaitMany of 2 tasks did not finish within 500 ms');
    await vi.advanceTimersByTimeAsync(500);
    await assertion;
    expect(signal().aborted).toBe(true);
    expect(signal().reason).toBeInstanceOf(TaskTimeoutError);
    expect(done.status).toBe('ok');
  });
});

describe('isTaskResult', () => {
  it('recognises both shapes and rejects others', () => {
    expect(isTaskResult({ ok: true, value: undefined })).toBe(true);
    expect(isTaskResult({ ok: false, reason: new Error('x') })).toBe(true);
    expect(isTaskResult({ ok: false, reason: 'x' })).toBe(false);
    expect(isTaskResult({ ok: true })).toBe(false);
    expect(isTaskResult(null)).toBe(false);
  });
});

describe('bad arguments', () => {
  it('names the value and what was expected', () => {
    expect(() => Task.async(42 as never)).toThrow('Expected `fn` to be a function, got `42` (number)');
    expect(() => Task.async(() => 1, { timeout: -1 })).toThrow(
      'Expected `timeout` to be a non-negative number of milliseconds (or Infinity), got `-1` (number)',
    );
    expect(() => Task.async(() => 1, { name: '' })).toThrow(
      'Expected `name` to be a non-empty string, got `""`',
    );
    expect(() => Task.async(() => 1, { signal: {} as AbortSignal })).toThrow(
      'Expected `signal` to be an AbortSignal, got `{}` (object)',
    );
    expect(() => Task.awaitMany('x' as never)).toThrow(TypeError);
    expect(() => Task.awaitMany([{}] as never)).toThrow('Expected `tasks` to be an array of Tasks');
  });

  it('rejects bad wait limits with a TypeError naming the value', async () => {
    const task = Task.async(() => 1);
    await expect(task.await(-5)).rejects.toThrow('Expected `ms` to be a non-negative number');
    await expect(task.yield('soon' as never)).rejects.toThrow('got `"soon"` (string)');
    await expect(task.shutdown(-1)).rejects.toThrow('Expected `graceMs`');
    expect(() => Task.awaitMany([task], -1)).toThrow('Expected `ms`');
  });
});
