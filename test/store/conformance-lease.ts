/**
 * Conformance: the transitions a worker makes under a lease — complete, error, snooze,
 * cancelExecuting, release, recordProgress, heartbeat — and the fencing token that refuses a
 * stale holder without changing anything.
 */
import { describe, expect, it } from 'vitest';
import type { Ctx } from './conformance-helpers.js';
import { errorFor, fetch, get, leaseOf, running } from './conformance-helpers.js';
import type { JobRecord, LeaseRef, TransitionResult } from '../../src/store/types.js';

type Transition = (ctx: Ctx, lease: LeaseRef, job: JobRecord) => Promise<TransitionResult>;

const TRANSITIONS: [string, Transition][] = [
  ['completeJob', (ctx, l) => ctx.store.completeJob(l, { ok: true })],
  ['errorJob', (ctx, l, j) => ctx.store.errorJob(l, errorFor(ctx, j), ctx.clock.now() + 1000)],
  ['snoozeJob', (ctx, l) => ctx.store.snoozeJob(l, ctx.clock.now() + 1000)],
  ['cancelExecuting', (ctx, l, j) => ctx.store.cancelExecuting(l, errorFor(ctx, j, 'stop'))],
  ['releaseJob', (ctx, l) => ctx.store.releaseJob(l)],
];

/** Lease transitions. */
export function describeLease(ctx: Ctx): void {
  describe('transitions under a lease', () => {
    it('completeJob stores the result and ends the job completed', async () => {
      const job = await running(ctx);
      ctx.clock.advance(250);
      const res = await ctx.store.completeJob(leaseOf(job), { sum: 3, list: [1, 2] });
      expect(res.ok).toBe(true);
      const done = await get(ctx, job.id);
      expect(res.ok && res.job).toEqual(done);
      expect(done).toMatchObject({
        state: 'completed',
        result: { sum: 3, list: [1, 2] },
        finishedAt: ctx.clock.now(),
        lease: null,
        attempt: 1,
      });
    });

    it('errorJob with a retry time makes it retryable then, keeping the error', async () => {
      const job = await running(ctx);
      const retryAt = ctx.clock.now() + 5000;
      const res = await ctx.store.errorJob(leaseOf(job), errorFor(ctx, job, 'first'), retryAt);
      expect(res.ok).toBe(true);
      const after = await get(ctx, job.id);
      expect(after).toMatchObject({
        state: 'retryable',
        runAt: retryAt,
        lease: null,
        finishedAt: null,
        attempt: 1,
      });
      expect(after.errors).toEqual([{ attempt: 1, at: ctx.clock.now(), name: 'Error', message: 'first' }]);
    });

    it('keeps every attempt’s error, in order', async () => {
      let job = await running(ctx, { maxAttempts: 3 });
      for (let attempt = 1; attempt <= 3; attempt++) {
        expect(job.attempt).toBe(attempt);
        const retryAt = attempt < 3 ? ctx.clock.now() + 10 : null;
        await ctx.store.errorJob(leaseOf(job), errorFor(ctx, job, `failure ${attempt}`), retryAt);
        if (attempt === 3) break;
        ctx.clock.advance(10);
        expect((await ctx.store.stageJobs(100)).staged).toBe(1);
        job = (await fetch(ctx, 1, 'solo'))[0] as JobRecord;
      }
      const dead = await get(ctx, job.id);
      expect(dead.state).toBe('discarded');
      expect(dead.errors.map((e) => [e.attempt, e.message])).toEqual([
        [1, 'failure 1'],
        [2, 'failure 2'],
        [3, 'failure 3'],
      ]);
    });

    it('errorJob without a retry time discards the job (the dead-letter queue)', async () => {
      const job = await running(ctx, { maxAttempts: 5 });
      await ctx.store.errorJob(leaseOf(job), errorFor(ctx, job), null);
      expect(await get(ctx, job.id)).toMatchObject({
        state: 'discarded',
        finishedAt: ctx.clock.now(),
        lease: null,
      });
    });

    it('errorJob discards a job that has used its last attempt even when given a retry time', async () => {
      const job = await running(ctx, { maxAttempts: 1 });
      await ctx.store.errorJob(leaseOf(job), errorFor(ctx, job), ctx.clock.now() + 1000);
      expect((await get(ctx, job.id)).state).toBe('discarded');
    });

    it('snoozeJob schedules it for later without counting the attempt', async () => {
      const job = await running(ctx);
      const runAt = ctx.clock.now() + 2000;
      await ctx.store.snoozeJob(leaseOf(job), runAt);
      expect(await get(ctx, job.id)).toMatchObject({ state: 'scheduled', runAt, attempt: 0, lease: null });
      ctx.clock.advance(2000);
      await ctx.store.stageJobs(10);
      expect((await fetch(ctx, 1, 'solo'))[0]).toMatchObject({ id: job.id, attempt: 1 });
    });

    it('cancelExecuting ends it cancelled, keeping the reason', async () => {
      const job = await running(ctx);
      await ctx.store.cancelExecuting(leaseOf(job), errorFor(ctx, job, 'cancelled by user'));
      const after = await get(ctx, job.id);
      expect(after).toMatchObject({ state: 'cancelled', finishedAt: ctx.clock.now(), lease: null });
      expect(after.errors.map((e) => e.message)).toEqual(['cancelled by user']);
    });

    it('releaseJob hands it back available, the attempt not counted, for a new lease', async () => {
      const job = await running(ctx);
      await ctx.store.releaseJob(leaseOf(job));
      expect(await get(ctx, job.id)).toMatchObject({ state: 'available', attempt: 0, lease: null });
      const [again] = await fetch(ctx, 1, 'solo');
      expect(again).toMatchObject({ id: job.id, attempt: 1 });
      expect(again?.lease?.token).not.toBe(job.lease?.token);
    });

    it('recordProgress stores progress for the holder only', async () => {
      const job = await running(ctx);
      expect(await ctx.store.recordProgress(leaseOf(job), { pct: 40 })).toBe(true);
      expect((await get(ctx, job.id)).progress).toEqual({ pct: 40 });
      expect(await ctx.store.recordProgress({ id: job.id, token: -1 }, { pct: 99 })).toBe(false);
      expect((await get(ctx, job.id)).progress).toEqual({ pct: 40 });
    });

    for (const [name, transition] of TRANSITIONS) {
      it(`${name} refuses a wrong token as stale and changes nothing`, async () => {
        const job = await running(ctx);
        const res = await transition(ctx, { id: job.id, token: (job.lease?.token as number) + 1000 }, job);
        expect(res).toEqual({ ok: false, reason: 'stale' });
        expect(await get(ctx, job.id)).toEqual(job);
      });

      it(`${name} refuses the previous holder after the job was rescued and fetched again`, async () => {
        const old = await running(ctx, {}, 1000);
        ctx.clock.advance(1000);
        expect((await ctx.store.rescueJobs()).map((j) => j.id)).toEqual([old.id]);
        const [current] = await ctx.store.fetchJobs({ queue: 'solo', demand: 1, owner: 'w2', leaseMs: 1000 });
        expect(current?.lease?.token).not.toBe(old.lease?.token);
        const res = await transition(ctx, leaseOf(old), old);
        expect(res).toEqual({ ok: false, reason: 'stale' });
        expect(await get(ctx, old.id)).toEqual(current);
      });

      it(`${name} refuses a job that is no longer executing, and reports an unknown one`, async () => {
        const job = await running(ctx);
        expect((await ctx.store.completeJob(leaseOf(job), null)).ok).toBe(true);
        const done = await get(ctx, job.id);
        expect(await transition(ctx, leaseOf(job), job)).toEqual({ ok: false, reason: 'stale' });
        expect(await get(ctx, job.id)).toEqual(done);
        expect(await transition(ctx, { id: '999999', token: 1 }, job)).toEqual({
          ok: false,
          reason: 'not_found',
        });
      });
    }
  });

  describe('heartbeat', () => {
    it('extends a held lease from now, so rescue does not take the job', async () => {
      const job = await running(ctx, {}, 1000);
      ctx.clock.advance(900);
      const [beat] = await ctx.store.heartbeat([leaseOf(job)], 1000);
      expect(beat).toEqual({ id: job.id, held: true, cancelRequested: false });
      expect((await get(ctx, job.id)).lease).toEqual({ ...job.lease, expiresAt: ctx.clock.now() + 1000 });
      ctx.clock.advance(999);
      expect(await ctx.store.rescueJobs()).toEqual([]);
      expect((await ctx.store.completeJob(leaseOf(job), 1)).ok).toBe(true);
    });

    it('reports a lost lease for a stale token, a finished job or an unknown id', async () => {
      const a = await running(ctx);
      const b = await running(ctx);
      await ctx.store.completeJob(leaseOf(b), null);
      const beats = await ctx.store.heartbeat(
        [{ id: a.id, token: (a.lease?.token as number) + 1000 }, leaseOf(b), { id: '999999', token: 1 }],
        1000,
      );
      expect(beats.map((h) => [h.id, h.held])).toEqual([
        [a.id, false],
        [b.id, false],
        ['999999', false],
      ]);
      expect(await get(ctx, a.id)).toEqual(a);
    });

    it('tells the holder that a cancel was requested', async () => {
      const job = await running(ctx);
      expect(await ctx.store.cancelJobs([job.id])).toEqual(['cancelling']);
      const [beat] = await ctx.store.heartbeat([leaseOf(job)], 1000);
      expect(beat).toEqual({ id: job.id, held: true, cancelRequested: true });
    });

    it('rejects a bad extension, naming it', async () => {
      const job = await running(ctx);
      await expect(ctx.store.heartbeat([leaseOf(job)], 0)).rejects.toThrow(/extendMs[\s\S]*`0`/);
    });
  });
}
