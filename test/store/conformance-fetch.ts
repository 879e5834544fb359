/**
 * Conformance: fetchJobs — demand, leases and tokens, ordering (FIFO within a priority, strict
 * priority across), exactly-once delivery to concurrent fetchers, paused queues, rate limits.
 */
import { describe, expect, it } from 'vitest';
import type { Ctx } from './conformance-helpers.js';
import { drainQueue, fetch, insert, insertOne, Q, rng } from './conformance-helpers.js';
import type { JobRecord } from '../../src/store/types.js';

/** fetchJobs. */
export function describeFetch(ctx: Ctx): void {
  describe('fetchJobs', () => {
    it('takes up to demand jobs, each executing under a fresh lease with its attempt counted', async () => {
      const [a, b, c] = await insert(ctx, {}, {}, {});
      const now = ctx.clock.now();
      const got = await ctx.store.fetchJobs({ queue: Q, demand: 2, owner: 'node-1', leaseMs: 5000 });
      expect(got.map((j) => j.id)).toEqual([a?.id, b?.id]);
      for (const job of got) {
        expect(job).toMatchObject({ state: 'executing', attempt: 1, attemptedAt: now });
        expect(job.lease).toMatchObject({ owner: 'node-1', expiresAt: now + 5000 });
        expect(Number.isInteger(job.lease?.token)).toBe(true);
        expect(await ctx.store.getJob(job.id)).toEqual(job);
      }
      expect(got[0]?.lease?.token).not.toBe(got[1]?.lease?.token);
      expect((await ctx.store.getJob(c?.id as string))?.state).toBe('available');
      expect(await ctx.store.countJobs()).toEqual({ [Q]: { executing: 2, available: 1 } });
    });

    it('returns nothing for demand 0, an empty queue or an unknown queue', async () => {
      await insertOne(ctx);
      expect(await fetch(ctx, 0)).toEqual([]);
      expect(await fetch(ctx, 5, 'empty')).toEqual([]);
      expect((await ctx.store.listJobs({ state: 'available' })).length).toBe(1);
    });

    it('takes only from the named queue', async () => {
      const [a] = await insert(ctx, { queue: 'a' }, { queue: 'b' });
      const got = await fetch(ctx, 10, 'a');
      expect(got.map((j) => j.id)).toEqual([a?.id]);
    });

    it('does not take scheduled, waiting or final jobs', async () => {
      const parent = await insertOne(ctx, { queue: 'other' });
      await insert(ctx, { runAt: ctx.clock.now() + 1000 }, { dependsOn: [parent.id] });
      expect(await fetch(ctx, 10)).toEqual([]);
    });

    it('keeps FIFO order among 200 jobs of equal priority, whatever the demand', async () => {
      const ids: string[] = [];
      for (let i = 0; i < 50; i++) ids.push((await insertOne(ctx, { payload: i })).id);
      const batch = await insert(ctx, ...Array.from({ length: 150 }, (_, i) => ({ payload: 50 + i })));
      ids.push(...batch.map((j) => j.id));
      const got: JobRecord[] = [];
      const demands = [1, 7, 3, 50, 2, 13, 1, 100, 100];
      for (const d of demands) got.push(...(await fetch(ctx, d)));
      expect(got.map((j) => j.id)).toEqual(ids);
      expect(got.map((j) => j.payload)).toEqual(Array.from({ length: 200 }, (_, i) => i));
    });

    it('runs strictly by priority, FIFO within each, across 300 jobs inserted in random order', async () => {
      const random = rng(42);
      const inserted: JobRecord[] = [];
      for (let i = 0; i < 30; i++) {
        const batch = Array.from({ length: 10 }, () => ({ priority: Math.floor(random() * 10) }));
        inserted.push(...(await insert(ctx, ...batch)));
      }
      const expected = inserted
        .map((j, i) => ({ id: j.id, priority: j.priority, i }))
        .sort((x, y) => x.priority - y.priority || x.i - y.i)
        .map((x) => x.id);
      const got = await drainQueue(ctx, Q, 17);
      expect(got.map((j) => j.id)).toEqual(expected);
      expect(new Set(inserted.map((j) => j.priority)).size).toBe(10);
    });

    it('orders equal priorities by runAt before insertion order', async () => {
      const now = ctx.clock.now();
      const late = await insertOne(ctx, { runAt: now });
      const early = await insertOne(ctx, { runAt: now - 1000 });
      const urgent = await insertOne(ctx, { runAt: now, priority: 1 });
      expect((await fetch(ctx, 3)).map((j) => j.id)).toEqual([urgent.id, early.id, late.id]);
    });

    it('gives each job to exactly one of many concurrent fetchers', async () => {
      const jobs = await insert(ctx, ...Array.from({ length: 500 }, (_, i) => ({ payload: i })));
      const seen: string[] = [];
      for (;;) {
        const rounds = await Promise.all(
          Array.from({ length: 20 }, (_, w) => fetch(ctx, 1 + (w % 7), Q, `w${w}`)),
        );
        const got = rounds.flat();
        if (got.length === 0) break;
        seen.push(...got.map((j) => j.id));
      }
      expect(seen.length).toBe(500);
      expect(new Set(seen)).toEqual(new Set(jobs.map((j) => j.id)));
      const tokens = (await ctx.store.listJobs({ limit: 1000 })).map((j) => j.lease?.token);
      expect(new Set(tokens).size).toBe(500);
    });

    it('takes nothing from a paused queue until it is resumed', async () => {
      const [job] = await insert(ctx, {}, {});
      await ctx.store.pauseQueue(Q);
      expect(await ctx.store.listQueues()).toEqual([{ name: Q, paused: true }]);
      expect(await fetch(ctx, 10)).toEqual([]);
      await ctx.store.resumeQueue(Q);
      expect(await ctx.store.listQueues()).toEqual([{ name: Q, paused: false }]);
      expect((await fetch(ctx, 1)).map((j) => j.id)).toEqual([job?.id]);
    });

    it('can pause a queue before it has any job', async () => {
      await ctx.store.pauseQueue('later');
      await insertOne(ctx, { queue: 'later' });
      expect(await fetch(ctx, 1, 'later')).toEqual([]);
      expect(await ctx.store.listQueues()).toEqual([{ name: 'later', paused: true }]);
    });

    it('rejects a bad request, naming the value', async () => {
      const base = { queue: Q, demand: 1, owner: 'w', leaseMs: 1000 };
      await expect(ctx.store.fetchJobs({ ...base, demand: -1 })).rejects.toThrow(/demand[\s\S]*`-1`/);
      await expect(ctx.store.fetchJobs({ ...base, leaseMs: 0 })).rejects.toThrow(/leaseMs[\s\S]*`0`/);
      await expect(ctx.store.fetchJobs({ ...base, rateLimit: { limit: 0, windowMs: 1000 } })).rejects.toThrow(
        /limit[\s\S]*`0`/,
      );
    });
  });

  describe('fetchJobs with a rate limit', () => {
    const limited = (demand: number, limit: number, windowMs: number, owner = 'w1') =>
      ctx.store.fetchJobs({ queue: Q, demand, owner, leaseMs: 60_000, rateLimit: { limit, windowMs } });

    it('is a sliding window: a start stops counting exactly windowMs later', async () => {
      await insert(ctx, ...Array.from({ length: 20 }, () => ({})));
      expect((await limited(1, 3, 1000)).length).toBe(1); // t = 0
      ctx.clock.advance(500);
      expect((await limited(5, 3, 1000)).length).toBe(2); // t = 500: 3 in the window
      ctx.clock.advance(499);
      expect((await limited(5, 3, 1000)).length).toBe(0); // t = 999
      ctx.clock.advance(1);
      // t = 1000: only the start at 0 has left the window (a fixed window would admit 3 here).
      expect((await limited(5, 3, 1000)).length).toBe(1);
      ctx.clock.advance(500);
      expect((await limited(5, 3, 1000)).length).toBe(2); // t = 1500: the two at 500 left
    });

    it('is shared by every fetcher of the queue', async () => {
      await insert(ctx, ...Array.from({ length: 10 }, () => ({})));
      const got = await Promise.all([
        limited(3, 4, 1000, 'a'),
        limited(3, 4, 1000, 'b'),
        limited(3, 4, 1000, 'c'),
      ]);
      expect(got.flat().length).toBe(4);
    });

    it('never allows more than limit starts in any window, under random load over time', async () => {
      const limit = 5;
      const windowMs = 1000;
      const random = rng(7);
      const starts: number[] = [];
      const t0 = ctx.clock.now();
      for (let step = 0; step < 200; step++) {
        if (step % 20 === 0) await insert(ctx, ...Array.from({ length: 30 }, () => ({})));
        ctx.clock.advance(Math.floor(random() * 120));
        const got = await limited(1 + Math.floor(random() * 8), limit, windowMs, `w${step % 3}`);
        for (const job of got) {
          starts.push(job.attemptedAt as number);
          expect(
            (await ctx.store.completeJob({ id: job.id, token: job.lease?.token as number }, null)).ok,
          ).toBe(true);
        }
      }
      for (let i = 0; i < starts.length; i++) {
        const from = starts[i] as number;
        const inWindow = starts.filter((t) => t >= from && t < from + windowMs).length;
        expect(inWindow).toBeLessThanOrEqual(limit);
      }
      // Not vacuous: the limiter admitted most of its capacity (each freed slot waits for the next fetch).
      const elapsed = ctx.clock.now() - t0;
      expect(starts.length).toBeGreaterThanOrEqual(Math.floor(((elapsed / windowMs) * limit * 8) / 10));
    });
  });
}
