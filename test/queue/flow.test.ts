import { describe, expect, it } from 'vitest';
import { createMemoryStore, defineJob } from '../../src/index.js';
import { waitFor } from '../../src/testing/index.js';
import { manualStore, sleep, startSteward } from './helpers.js';

describe('concurrency', () => {
  it('never runs more jobs of a queue at once than its concurrency', async () => {
    const running: Record<string, number> = { a: 0, b: 0 };
    const peak: Record<string, number> = { a: 0, b: 0 };
    const work = async (queue: string): Promise<void> => {
      running[queue]! += 1;
      peak[queue] = Math.max(peak[queue]!, running[queue]!);
      await sleep(2);
      running[queue]! -= 1;
    };
    const steward = await startSteward({
      queues: { a: { concurrency: 3 }, b: { concurrency: 5 } },
      jobs: {
        inA: { queue: 'a', handler: () => work('a') },
        inB: { queue: 'b', handler: () => work('b') },
      },
    });
    await steward.enqueueMany(
      Array.from({ length: 120 }, (_, i) => ({ kind: i % 2 === 0 ? 'inA' : 'inB', payload: i })),
    );
    await steward.drain();
    expect(peak).toEqual({ a: 3, b: 5 });
    expect((await steward.stats()).completed).toBe(120);
  });
});

describe('rate limits', () => {
  it('never starts more than N jobs in any window of the given length, under load', async () => {
    const limit = 4;
    const windowMs = 100;
    const starts: number[] = [];
    const store = createMemoryStore();
    const steward = await startSteward({
      store,
      queues: { limited: { concurrency: 20, rateLimit: { limit, windowMs } } },
      jobs: { hit: { queue: 'limited', handler: (_p, { job }) => void starts.push(job.attemptedAt!) } },
    });
    await steward.enqueueMany(Array.from({ length: 24 }, (_, i) => ({ kind: 'hit', payload: i })));
    await steward.drain();
    expect(starts).toHaveLength(24);
    starts.sort((x, y) => x - y);
    // Every window [t, t + windowMs) that opens at a start holds at most `limit` starts.
    for (const t of starts) {
      const inWindow = starts.filter((s) => s >= t && s < t + windowMs).length;
      expect(inWindow).toBeLessThanOrEqual(limit);
    }
    // And the limit does not starve the queue: 24 jobs need at least 5 full windows.
    expect(starts.at(-1)! - starts[0]!).toBeGreaterThanOrEqual(5 * windowMs);
  });
});

describe('scheduled jobs', () => {
  it('runs a scheduled job at its time and not before', async () => {
    const { clock, store } = manualStore();
    const ran: number[] = [];
    const steward = await startSteward({
      store,
      jobs: { later: (_p, { job }) => void ran.push(job.attemptedAt!) },
    });
    const runAt = clock.now() + 10_000;
    const job = await steward.enqueue('later', null, { runAt: new Date(runAt) });
    const delayed = await steward.enqueue('later', null, { delayMs: 20_000 });
    expect(job.state).toBe('scheduled');
    expect(delayed.runAt).toBe(clock.now() + 20_000);
    clock.advance(9_999);
    await steward.drain({ scheduled: false }); // everything due has run; the scheduled jobs wait
    expect(ran).toEqual([]);
    clock.advance(1);
    await waitFor(() => ran.length === 1);
    expect(ran).toEqual([runAt]);
    clock.advance(10_000);
    await waitFor(() => ran.length === 2);
    expect(ran[1]).toBe(delayed.runAt);
  });

  it('wakes the scheduler early for a job due sooner than its next poll', async () => {
    const ran: number[] = [];
    // A long poll interval: only the insert's wake-up can make the job run promptly.
    const steward = await startSteward({
      pollIntervalMs: 60_000,
      jobs: { soon: () => void ran.push(Date.now()) },
    });
    const job = await steward.enqueue('soon', null, { delayMs: 30 });
    await waitFor(() => ran.length === 1, { timeout: 2000 });
    expect(ran[0]).toBeGreaterThanOrEqual(job.runAt);
  });
});

describe('drain', () => {
  it('waits for retries with backoff to finish, not just for what is due now', async () => {
    let calls = 0;
    const steward = await startSteward({
      jobs: {
        flaky: defineJob({
          maxAttempts: 3,
          backoff: { type: 'fixed', delayMs: 30 },
          handler: () => {
            if (++calls < 3) throw new Error('not yet');
            return 'done';
          },
        }),
      },
    });
    const { id } = await steward.enqueue('flaky', null);
    await steward.drain();
    expect(calls).toBe(3);
    expect((await steward.getJob(id))!.state).toBe('completed');
  });
});
