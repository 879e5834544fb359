import { describe, expect, it } from 'vitest';
import { TaskTimeoutError } from '../../src/runtime/index.js';
import {
  crashDemo,
  parallelWork,
  sequentialWork,
  slowComputation,
  timeoutDemo,
} from '../../examples/drill1-tasks.js';

describe('drill 1: awaited tasks', () => {
  it('gives the same results in parallel as sequentially', async () => {
    expect(await sequentialWork(5, 5)).toEqual([1, 4, 9, 16, 25]);
    expect(await parallelWork(5, 5)).toEqual([1, 4, 9, 16, 25]);
  });

  it('runs the parallel computations at the same time, not one after another', async () => {
    // Counted, not timed: every computation has started before the first one finishes.
    let running = 0;
    let peak = 0;
    const counted = async (n: number, ms: number, signal?: AbortSignal): Promise<number> => {
      peak = Math.max(peak, ++running);
      try {
        return await slowComputation(n, ms, signal);
      } finally {
        running--;
      }
    };
    expect(await parallelWork(5, 20, counted)).toEqual([1, 4, 9, 16, 25]);
    expect(peak).toBe(5);
  });

  it('rejects a too-short await with TaskTimeoutError naming the limit, and aborts the task', async () => {
    const { error, aborted } = await timeoutDemo(20, 1000);
    expect(error).toBeInstanceOf(TaskTimeoutError);
    expect(error.timeoutMs).toBe(20);
    expect(error.message).toContain('20 ms');
    expect(aborted).toBe(true);
  });

  it("hands a crashing task's own error to the awaiting caller", async () => {
    const error = await crashDemo();
    expect(error.message).toBe('boom');
  });
});
