/**
 * Conformance: the maintenance transitions — rescueJobs, stageJobs, retryJobs, deleteJobs,
 * pruneJobs — which the scheduler, the lifeline and an operator drive.
 */
import { describe, expect, it } from 'vitest';
import type { Ctx } from './conformance-helpers.js';
import {
  errorFor,
  fetch,
  get,
  insert,
  insertOne,
  leaseOf,
  running,
  statesOf,
} from './conformance-helpers.js';
import type { JobRecord } from '../../src/store/types.js';

/** rescue, stage, retry, delete, prune. */
export function describeMaintenance(ctx: Ctx): void {
  describe('rescueJobs', () => {
    it('takes a job back once its lease has run out, not a moment before', async () => {
      const job = await running(ctx, { maxAttempts: 3 }, 1000);
      ctx.clock.advance(999);
      expect(await ctx.store.rescueJobs()).toEqual([]);
      ctx.clock.advance(1);
      const rescued = await ctx.store.rescueJobs();
      expect(rescued.map((j) => [j.id, j.state, j.lease])).toEqual([[job.id, 'available', null]]);
      expect(await get(ctx, job.id)).toEqual(rescued[0]);
      expect(rescued[0]?.attempt).toBe(1);
      const [again] = await fetch(ctx, 1, 'solo');
      expect(again).toMatchObject({ id: job.id, attempt: 2 });
    });

    it('discards a job out of attempts', async () => {
      const job = await running(ctx, { maxAttempts: 1 }, 1000);
      ctx.clock.advance(1000);
      const [rescued] = await ctx.store.rescueJobs();
      expect(rescued).toMatchObject({ id: job.id, state: 'discarded', finishedAt: ctx.clock.now() });
    });

    it('rescues only expired leases', async () => {
      const short = await running(ctx, {}, 1000);
      const long = await running(ctx, {}, 5000);
      ctx.clock.advance(2000);
      expect((await ctx.store.rescueJobs()).map((j) => j.id)).toEqual([short.id]);
      expect((await get(ctx, long.id)).state).toBe('executing');
    });
  });

  describe('stageJobs', () => {
    it('moves due scheduled and retryable jobs to available and says when the next is due', async () => {
      const now = ctx.clock.now();
      const failing = await running(ctx);
      await ctx.store.errorJob(leaseOf(failing), errorFor(ctx, failing), now + 150);
      const [a, b, c] = await insert(ctx, { runAt: now + 100 }, { runAt: now + 200 }, { runAt: now + 300 });
      expect(await ctx.store.stageJobs(100)).toEqual({ staged: 0, nextRunAt: now + 100 });
      ctx.clock.advance(200);
      expect(await ctx.store.stageJobs(100)).toEqual({ staged: 3, nextRunAt: now + 300 });
      const ids = [a, b, c].map((j) => (j as JobRecord).id);
      expect(await statesOf(ctx, [...ids, failing.id])).toEqual([
        'available',
        'available',
        'scheduled',
        'available',
      ]);
      ctx.clock.advance(100);
      expect(await ctx.store.stageJobs(100)).toEqual({ staged: 1, nextRunAt: null });
    });

    it('stages at most `limit` jobs, earliest first', async () => {
      const now = ctx.clock.now();
      const jobs = await insert(ctx, { runAt: now + 30 }, { runAt: now + 10 }, { runAt: now + 20 });
      ctx.clock.advance(30);
      expect(await ctx.store.stageJobs(2)).toEqual({ staged: 2, nextRunAt: now + 30 });
      expect(
        await statesOf(
          ctx,
          jobs.map((j) => j.id),
        ),
      ).toEqual(['scheduled', 'available', 'available']);
    });

    it('reports nothing due on an empty store', async () => {
      expect(await ctx.store.stageJobs(10)).toEqual({ staged: 0, nextRunAt: null });
    });
  });

  describe('retryJobs', () => {
    it('runs a discarded job again with a fresh attempt budget, keeping its errors', async () => {
      const job = await running(ctx, { maxAttempts: 1 });
      await ctx.store.errorJob(leaseOf(job), errorFor(ctx, job, 'dead'), null);
      const [retried] = await ctx.store.retryJobs([job.id]);
      expect(retried).toMatchObject({ id: job.id, state: 'available', finishedAt: null, lease: null });
      expect(retried?.errors.map((e) => e.message)).toEqual(['dead']);
      const [again] = await fetch(ctx, 1, 'solo');
      expect(again?.id).toBe(job.id);
      expect(again?.attempt).toBeLessThanOrEqual(again?.maxAttempts as number);
      await ctx.store.errorJob(leaseOf(again as JobRecord), errorFor(ctx, again as JobRecord), null);
      expect((await get(ctx, job.id)).errors.length).toBe(2);
    });

    it('runs cancelled and completed jobs again, and skips unfinished and unknown ones', async () => {
      const done = await running(ctx);
      await ctx.store.completeJob(leaseOf(done), 'r');
      const [cancelled, queued] = await insert(ctx, {}, {});
      await ctx.store.cancelJobs([cancelled?.id as string]);
      const busy = await running(ctx);
      const retried = await ctx.store.retryJobs([
        done.id,
        cancelled?.id as string,
        queued?.id as string,
        busy.id,
        '999999',
      ]);
      expect(retried.map((j) => [j.id, j.state])).toEqual([
        [done.id, 'available'],
        [cancelled?.id, 'available'],
      ]);
      expect((await get(ctx, busy.id)).state).toBe('executing');
    });

    it('leaves cascade-cancelled dependants cancelled', async () => {
      const [parent, child] = await insert(ctx, { ref: 'p' }, { dependsOn: [{ ref: 'p' }] });
      await ctx.store.cancelJobs([parent?.id as string]);
      await ctx.store.retryJobs([parent?.id as string]);
      expect(await statesOf(ctx, [parent?.id as string, child?.id as string])).toEqual([
        'available',
        'cancelled',
      ]);
    });
  });

  describe('deleteJobs', () => {
    it('deletes jobs that are not executing and counts them', async () => {
      const [a, b] = await insert(ctx, {}, { runAt: ctx.clock.now() + 1000 });
      const busy = await running(ctx);
      const done = await running(ctx);
      await ctx.store.completeJob(leaseOf(done), null);
      const n = await ctx.store.deleteJobs([a?.id as string, b?.id as string, busy.id, done.id, '999999']);
      expect(n).toBe(3);
      expect(await statesOf(ctx, [a?.id as string, b?.id as string, busy.id, done.id])).toEqual([
        'gone',
        'gone',
        'executing',
        'gone',
      ]);
      expect(await ctx.store.countJobs()).toEqual({ solo: { executing: 1 } });
    });
  });

  describe('pruneJobs', () => {
    it('deletes final jobs that finished before the cutoff, in the given states, up to the limit', async () => {
      const finish = async (how: 'complete' | 'discard' | 'cancel'): Promise<JobRecord> => {
        const job = await running(ctx);
        if (how === 'complete') await ctx.store.completeJob(leaseOf(job), null);
        if (how === 'discard') await ctx.store.errorJob(leaseOf(job), errorFor(ctx, job), null);
        if (how === 'cancel') await ctx.store.cancelExecuting(leaseOf(job), errorFor(ctx, job));
        ctx.clock.advance(10);
        return job;
      };
      const t0 = ctx.clock.now();
      const c1 = await finish('complete');
      const d1 = await finish('discard');
      const c2 = await finish('complete');
      const x1 = await finish('cancel');
      const c3 = await finish('complete');
      const pending = await insertOne(ctx);
      const cutoff = t0 + 35; // c1, d1, c2, x1 finished before it; c3 did not
      ctx.clock.advance(1000);
      expect(await ctx.store.pruneJobs({ before: cutoff, states: ['completed'], limit: 1 })).toBe(1);
      expect(await statesOf(ctx, [c1.id, c2.id])).toEqual(['gone', 'completed']);
      expect(
        await ctx.store.pruneJobs({ before: cutoff, states: ['completed', 'cancelled'], limit: 10 }),
      ).toBe(2);
      expect(await statesOf(ctx, [d1.id, c2.id, x1.id, c3.id, pending.id])).toEqual([
        'discarded',
        'gone',
        'gone',
        'completed',
        'available',
      ]);
    });

    it('refuses to prune unfinished states, naming the state', async () => {
      await expect(
        ctx.store.pruneJobs({ before: ctx.clock.now(), states: ['available'], limit: 10 }),
      ).rejects.toThrow(/"available"/);
    });
  });
}
