import { once } from 'node:events';
import { MessageChannel } from 'node:worker_threads';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { StoppedError, TaskTimeoutError } from '../../src/runtime/errors.js';
import { ThreadPool } from '../../src/runtime/thread-pool.js';
import type { ThreadPoolOptions } from '../../src/runtime/thread-pool.js';

// A .ts worker module: this also proves TypeScript modules load on threads under vitest.
const WORKER = new URL('../fixtures/cpu-worker.ts', import.meta.url);

interface Interval {
  start: number;
  end: number;
  met: boolean;
}

const pools: ThreadPool[] = [];
function startPool(opts: Partial<ThreadPoolOptions> = {}): ThreadPool {
  const pool = ThreadPool.start({ filename: WORKER, size: 2, ...opts });
  pools.push(pool);
  return pool;
}

/**
 * Starts `forever` and, once its thread is inside the loop, resolves with `{ call }`: the
 * call's outcome (its rejection reason), boxed so that this promise does not adopt it.
 */
async function startSpinning(
  pool: ThreadPool,
  opts: { signal?: AbortSignal; timeout?: number } = {},
): Promise<{ call: Promise<unknown> }> {
  const { port1, port2 } = new MessageChannel();
  const call = pool.run<never>('forever', port2, { ...opts, transferList: [port2] }).catch((e: unknown) => e);
  const ended = call.then((e) => {
    throw new Error('forever ended before it started spinning', { cause: e });
  });
  try {
    await Promise.race([once(port1, 'message'), ended]);
  } finally {
    ended.catch(() => {}); // settles (as expected) once the test ends the call
    port1.close();
  }
  return { call };
}

function rendezvous(pool: ThreadPool, counter: SharedArrayBuffer, waitMs: number): Promise<Interval> {
  return pool.run<Interval>('rendezvous', { counter, parties: 2, waitMs, workMs: 20 });
}

afterEach(async () => {
  vi.useRealTimers();
  await Promise.all(pools.splice(0).map((p) => p.stop(0)));
});

describe('ThreadPool.run', () => {
  let pool: ThreadPool;
  beforeAll(() => {
    pool = ThreadPool.start({ filename: WORKER, size: 2, name: 'shared' });
  });
  afterAll(() => pool.stop(0));

  it('resolves with what the named export returns, sync or async', async () => {
    expect(await pool.run('add', { a: 2, b: 3 })).toBe(5);
    expect(await pool.run('double', 21)).toBe(42);
    expect(await pool.run('echo', { list: [1, 'two'], when: new Date(0) })).toEqual({
      list: [1, 'two'],
      when: new Date(0),
    });
  });

  it('moves the buffers in transferList instead of copying them', async () => {
    const buffer = new Uint8Array([1, 2, 3, 4]).buffer;
    expect(await pool.run('sumBytes', buffer, { transferList: [buffer] })).toBe(10);
    expect(buffer.byteLength).toBe(0); // detached: it now belongs to the thread
  });

  it('runs calls on different threads at the same time', async () => {
    const counter = new SharedArrayBuffer(4);
    const [a, b] = await Promise.all([rendezvous(pool, counter, 10_000), rendezvous(pool, counter, 10_000)]);
    expect([a.met, b.met]).toEqual([true, true]);
    expect(a.start < b.end && b.start < a.end).toBe(true); // the intervals overlap
  });

  it('rejects only the call that throws; other calls and the pool carry on', async () => {
    const [crashed, fine] = await Promise.allSettled([
      pool.run('crash', 'boom'),
      pool.run('add', { a: 1, b: 1 }),
    ]);
    expect(crashed).toMatchObject({ status: 'rejected', reason: { message: 'boom' } });
    expect(fine).toEqual({ status: 'fulfilled', value: 2 });
    const thrown = await pool.run('throwString', 'plain string').catch((e: unknown) => e);
    expect(thrown).toBeInstanceOf(Error);
    expect((thrown as Error).cause).toBe('plain string');
    await expect(pool.run('exitThread', 3)).rejects.toThrow('exited with code: 3');
    expect(await pool.run('add', { a: 2, b: 2 })).toBe(4);
  });

  it('kills a thread stuck in an infinite loop when the call is aborted, rejecting with the reason', async () => {
    const controller = new AbortController();
    const failedBefore = pool.stats().failed;
    const { call } = await startSpinning(pool, { signal: controller.signal });
    expect(pool.stats().running).toBe(1);
    const reason = new Error('enough');
    controller.abort(reason);
    expect(await call).toBe(reason);
    expect(pool.stats()).toMatchObject({ running: 0, failed: failedBefore + 1 });
    expect(await pool.run('add', { a: 1, b: 2 })).toBe(3);
  });

  it('rejects with the signal reason at once when the signal is already aborted', async () => {
    const completedBefore = pool.stats().completed;
    await expect(
      pool.run('add', { a: 1, b: 1 }, { signal: AbortSignal.abort(new Error('too late')) }),
    ).rejects.toThrow('too late');
    expect(pool.stats().completed).toBe(completedBefore);
  });

  it('kills a call that exceeds its timeout with TaskTimeoutError naming the limit', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    const { call } = await startSpinning(pool, { timeout: 1_000 });
    vi.advanceTimersByTime(999);
    expect(pool.stats().running).toBe(1);
    vi.advanceTimersByTime(1);
    const err = await call;
    expect(err).toBeInstanceOf(TaskTimeoutError);
    expect(err).toMatchObject({
      timeoutMs: 1_000,
      message: 'thread pool "shared" call `forever` did not finish within 1000 ms',
    });
    vi.useRealTimers();
    expect(await pool.run('add', { a: 1, b: 2 })).toBe(3);
  });

  it('rejects with a TypeError naming fnName when the module has no such function', async () => {
    await expect(pool.run('missing', null)).rejects.toThrow(
      /Expected `fnName` to name a function exported by .*cpu-worker\.ts, got "missing" \(exported functions: add, /,
    );
    await expect(pool.run('notAFunction', null)).rejects.toThrow(TypeError);
  });
});

describe('ThreadPool size', () => {
  it('runs no more calls at once than its size, queueing the rest', async () => {
    const pool = startPool({ size: 1 });
    const counter = new SharedArrayBuffer(4);
    const [a, b] = await Promise.all([rendezvous(pool, counter, 150), rendezvous(pool, counter, 150)]);
    expect([a.met, b.met]).toEqual([false, false]); // never both inside at once
    expect(a.end <= b.start).toBe(true);
  });

  it('counts queued and running calls, and aborts a queued call without running it', async () => {
    const pool = startPool({ size: 1 });
    const controller = new AbortController();
    const { call: running } = await startSpinning(pool, { signal: controller.signal });
    const queued = pool.run('add', { a: 1, b: 1 }, { signal: controller.signal }).catch((e: unknown) => e);
    expect(pool.stats()).toMatchObject({ threads: 1, queued: 1, running: 1 });
    controller.abort();
    expect(await queued).toMatchObject({ name: 'AbortError' });
    expect(await running).toMatchObject({ name: 'AbortError' });
    expect(pool.stats()).toMatchObject({ queued: 0, running: 0, completed: 0, failed: 2 });
  });

  it('starts a fresh thread for a queued call when the only busy thread is killed by an abort', async () => {
    const pool = startPool({ size: 1 });
    const controller = new AbortController();
    const { call: spinning } = await startSpinning(pool, { signal: controller.signal });
    const queued = pool.run('add', { a: 2, b: 5 });
    expect(pool.stats()).toMatchObject({ threads: 1, queued: 1, running: 1 });
    controller.abort(new Error('stop spinning'));
    expect(await spinning).toMatchObject({ message: 'stop spinning' });
    expect(await queued).toBe(7);
    expect(pool.stats()).toMatchObject({ queued: 0, running: 0, completed: 1, failed: 1 });
  });

  it('starts a fresh thread for a queued call when the only busy thread is killed by a timeout', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    const pool = startPool({ size: 1 });
    const { call: spinning } = await startSpinning(pool, { timeout: 1_000 });
    const queued = pool.run('add', { a: 1, b: 1 });
    vi.advanceTimersByTime(1_000);
    expect(await spinning).toBeInstanceOf(TaskTimeoutError);
    vi.useRealTimers();
    expect(await queued).toBe(2);
  });

  it('starts fresh threads for every queued call when all busy threads are killed at once', async () => {
    const pool = startPool({ size: 2 });
    const controller = new AbortController();
    const spinning = [
      await startSpinning(pool, { signal: controller.signal }),
      await startSpinning(pool, { signal: controller.signal }),
    ];
    const queued = [1, 2, 3].map((n) => pool.run('double', n));
    expect(pool.stats()).toMatchObject({ threads: 2, queued: 3, running: 2 });
    controller.abort();
    for (const { call } of spinning) expect(await call).toMatchObject({ name: 'AbortError' });
    expect(await Promise.all(queued)).toEqual([2, 4, 6]);
  });

  it('starts a fresh thread for a queued call when the busy thread exits by itself', async () => {
    const pool = startPool({ size: 1 });
    const exiting = pool.run('exitThread', 7);
    const queued = pool.run('add', { a: 3, b: 4 });
    await expect(exiting).rejects.toThrow('exited with code: 7');
    expect(await queued).toBe(7);
  });

  it('keeps FIFO order among queued calls and skips one aborted while queued', async () => {
    const pool = startPool({ size: 1 });
    const counter = new SharedArrayBuffer(4);
    const order: number[] = [];
    const controller = new AbortController();
    const first = rendezvous(pool, counter, 0).then(() => order.push(0));
    const skipped = pool.run('add', { a: 0, b: 0 }, { signal: controller.signal }).catch((e: unknown) => e);
    const rest = [1, 2, 3].map((n) => pool.run<number>('echo', n).then((v) => order.push(v)));
    controller.abort(new Error('not needed'));
    expect(await skipped).toMatchObject({ message: 'not needed' });
    await Promise.all([first, ...rest]);
    expect(order).toEqual([0, 1, 2, 3]);
    expect(pool.stats()).toMatchObject({ completed: 4, failed: 1 });
  });
});

describe('ThreadPool.stop', () => {
  it('lets calls already made finish, refuses new ones, and exits with shutdown', async () => {
    const pool = startPool({ name: 'stopping' });
    const counter = new SharedArrayBuffer(4);
    const inFlight = pool.run<Interval>('rendezvous', { counter, parties: 1, waitMs: 0, workMs: 30 });
    const stopped = pool.stop();
    await expect(pool.run('add', { a: 1, b: 1 })).rejects.toThrow(new StoppedError('thread pool "stopping"'));
    expect(await inFlight).toMatchObject({ met: true });
    await stopped;
    expect(await pool.exited).toEqual({ kind: 'shutdown' });
    expect(pool.stats().threads).toBe(0);
    expect(pool.stop()).toBe(stopped);
  });

  it('terminates calls still running when the grace period ends, rejecting them with StoppedError', async () => {
    const pool = startPool();
    const { call } = await startSpinning(pool);
    await pool.stop(0);
    expect(await call).toBeInstanceOf(StoppedError);
    expect(pool.stats()).toMatchObject({ threads: 0, running: 0 });
  });

  it('rejects calls still waiting for a thread with StoppedError when the grace period ends', async () => {
    const pool = startPool({ size: 1 });
    const { call } = await startSpinning(pool);
    const queued = pool.run('add', { a: 1, b: 1 }).catch((e: unknown) => e);
    await pool.stop(0);
    expect(await queued).toBeInstanceOf(StoppedError);
    expect(await call).toBeInstanceOf(StoppedError);
    expect(pool.stats()).toMatchObject({ threads: 0, queued: 0, running: 0, completed: 0, failed: 2 });
  });
});

describe('ThreadPool arguments', () => {
  it('throws a TypeError naming the bad option', () => {
    expect(() => ThreadPool.start({ filename: WORKER, size: 0 })).toThrow(
      'Expected `size` to be a positive integer, got `0` (number)',
    );
    expect(() => ThreadPool.start({} as ThreadPoolOptions)).toThrow(
      'Expected `filename` to be a path or file: URL of a module, got `undefined` (undefined)',
    );
    expect(() => ThreadPool.start({ filename: 'no/such/worker.ts' })).toThrow(
      `Expected \`filename\` to be an existing module file (resolved to ${process.cwd()}/no/such/worker.ts, which does not exist), got \`"no/such/worker.ts"\` (string)`,
    );
    expect(() => ThreadPool.start({ filename: WORKER, idleTimeout: -5 })).toThrow(
      'Expected `idleTimeout` to be a non-negative number of milliseconds (or Infinity), got `-5` (number)',
    );
    expect(() => ThreadPool.start({ filename: WORKER, name: '' })).toThrow(
      'Expected `name` to be a non-empty string',
    );
  });

  it('throws a TypeError naming a bad run argument, before starting a thread', () => {
    const pool = startPool();
    expect(() => pool.run('add', null, { timeout: -1 })).toThrow(
      'Expected `timeout` to be a non-negative number of milliseconds (or Infinity), got `-1` (number)',
    );
    expect(() => pool.run('', null)).toThrow('Expected `fnName` to be a non-empty string, got `""` (string)');
    expect(() => pool.run('add', null, { signal: 'stop' as never })).toThrow(
      'Expected `signal` to be an AbortSignal, got `"stop"` (string)',
    );
    expect(() => pool.stop(-1)).toThrow('Expected `graceMs` to be a non-negative number');
    expect(pool.stats().threads).toBe(0);
  });
});
