/**
 * Conformance: cancelJobs (queued, executing, final, unknown), a requested cancel winning over
 * whatever the worker does next, dependencies (DAG inserts with refs, waking, cascading cancels)
 * and the refusals that leave the store unchanged (unknown parent, unknown ref, cycle).
 */
import { describe, expect, it } from 'vitest';
import type { Ctx } from './conformance-helpers.js';
import {
  errorFor,
  fetch,
  get,
  insert,
  insertOne,
  jobAt,
  leaseOf,
  running,
  statesOf,
} from './conformance-helpers.js';
import type { JobRecord, LeaseRef } from '../../src/store/types.js';

/** Cancels and dependencies. */
export function describeGraph(ctx: Ctx): void {
  describe('cancelJobs', () => {
    it('cancels queued jobs at once, asks executing ones, and leaves final and unknown ones', async () => {
      const now = ctx.clock.now();
      const parent = await running(ctx);
      const [available, scheduled, waiting] = await insert(
        ctx,
        {},
        { runAt: now + 1000 },
        { dependsOn: [parent.id] },
      );
      const done = await running(ctx);
      await ctx.store.completeJob(leaseOf(done), null);
      const ids = [available, scheduled, waiting].map((j) => (j as JobRecord).id);
      const outcomes = await ctx.store.cancelJobs([...ids, parent.id, done.id, '999999']);
      expect(outcomes).toEqual([
        'cancelled',
        'cancelled',
        'cancelled',
        'cancelling',
        'unchanged',
        'not_found',
      ]);
      expect(await statesOf(ctx, ids)).toEqual(['cancelled', 'cancelled', 'cancelled']);
      expect((await get(ctx, available?.id as string)).finishedAt).toBe(now);
      expect(await get(ctx, parent.id)).toMatchObject({ state: 'executing', cancelRequested: true });
      expect((await get(ctx, done.id)).state).toBe('completed');
    });

    it('cancels a retryable job', async () => {
      const job = await running(ctx);
      await ctx.store.errorJob(leaseOf(job), errorFor(ctx, job), ctx.clock.now() + 1000);
      expect(await ctx.store.cancelJobs([job.id])).toEqual(['cancelled']);
      expect((await get(ctx, job.id)).state).toBe('cancelled');
    });

    const finishers: [string, (ctx: Ctx, lease: LeaseRef, job: JobRecord) => Promise<unknown>][] = [
      ['completes it', (c, l) => c.store.completeJob(l, 'done anyway')],
      ['fails it with a retry', (c, l, j) => c.store.errorJob(l, errorFor(c, j), c.clock.now() + 10)],
      ['snoozes it', (c, l) => c.store.snoozeJob(l, c.clock.now() + 10)],
      ['releases it', (c, l) => c.store.releaseJob(l)],
      [
        'lets its lease expire',
        (c) => {
          c.clock.advance(60_000);
          return c.store.rescueJobs();
        },
      ],
    ];
    for (const [what, finish] of finishers) {
      it(`ends a job cancelled when a cancel was requested and the worker then ${what}`, async () => {
        const job = await running(ctx);
        expect(await ctx.store.cancelJobs([job.id])).toEqual(['cancelling']);
        await finish(ctx, leaseOf(job), job);
        expect(await get(ctx, job.id)).toMatchObject({ state: 'cancelled', lease: null });
      });
    }
  });

  describe('dependencies', () => {
    it('inserts a DAG in one batch with refs, in input order, forward refs included', async () => {
      const results = await ctx.store.insertJobs([
        jobAt(ctx, { ref: 'c', dependsOn: [{ ref: 'a' }, { ref: 'b' }] }),
        jobAt(ctx, { ref: 'a' }),
        jobAt(ctx, { ref: 'b', dependsOn: [{ ref: 'a' }] }),
      ]);
      const [c, a, b] = results.map((r) => r.job) as [JobRecord, JobRecord, JobRecord];
      expect([c.state, a.state, b.state]).toEqual(['waiting', 'available', 'waiting']);
      expect(b.dependsOn).toEqual([a.id]);
      expect([...c.dependsOn].sort()).toEqual([a.id, b.id].sort());
    });

    it('wakes a dependant only when all its parents have completed', async () => {
      const [a, b, c] = await insert(
        ctx,
        { ref: 'a' },
        { ref: 'b', dependsOn: [{ ref: 'a' }] },
        {
          dependsOn: [{ ref: 'a' }, { ref: 'b' }],
        },
      );
      const ids = [a, b, c].map((j) => (j as JobRecord).id);
      const [ja] = await fetch(ctx, 10);
      expect(ja?.id).toBe(ids[0]);
      await ctx.store.completeJob(leaseOf(ja as JobRecord), null);
      expect(await statesOf(ctx, ids)).toEqual(['completed', 'available', 'waiting']);
      const [jb] = await fetch(ctx, 10);
      await ctx.store.completeJob(leaseOf(jb as JobRecord), null);
      expect(await statesOf(ctx, ids)).toEqual(['completed', 'completed', 'available']);
    });

    it('wakes a dependant with a future runAt as scheduled', async () => {
      const parent = await running(ctx);
      const child = await insertOne(ctx, { dependsOn: [parent.id], runAt: ctx.clock.now() + 5000 });
      expect(child.state).toBe('waiting');
      await ctx.store.completeJob(leaseOf(parent), null);
      expect((await get(ctx, child.id)).state).toBe('scheduled');
    });

    it('inserts against existing parents by their state: completed runs, executing waits, dead cancels', async () => {
      const done = await running(ctx);
      await ctx.store.completeJob(leaseOf(done), null);
      const busy = await running(ctx);
      const dead = await running(ctx);
      await ctx.store.errorJob(leaseOf(dead), errorFor(ctx, dead), null);
      const [x, y, z] = await insert(
        ctx,
        { dependsOn: [done.id] },
        { dependsOn: [done.id, busy.id] },
        {
          dependsOn: [done.id, dead.id],
        },
      );
      expect([x?.state, y?.state, z?.state]).toEqual(['available', 'waiting', 'cancelled']);
    });

    it('cancels dependants through a 3-level DAG when a parent is cancelled, and spares the rest', async () => {
      const jobs = await insert(
        ctx,
        { ref: 'root' },
        { ref: 'other' },
        { ref: 'mid', dependsOn: [{ ref: 'root' }] },
        { ref: 'leaf', dependsOn: [{ ref: 'mid' }] },
        { ref: 'join', dependsOn: [{ ref: 'other' }, { ref: 'leaf' }] },
        { ref: 'free', dependsOn: [{ ref: 'other' }] },
      );
      const ids = jobs.map((j) => j.id);
      expect(await ctx.store.cancelJobs([ids[0] as string])).toEqual(['cancelled']);
      expect(await statesOf(ctx, ids)).toEqual([
        'cancelled',
        'available',
        'cancelled',
        'cancelled',
        'cancelled',
        'waiting',
      ]);
      // The dependants' end is announced, since no worker held them to report it.
      const cascaded = ctx.events.flatMap((e) => (e.type === 'cascade_cancelled' ? e.ids : []));
      expect([...cascaded].sort()).toEqual([ids[2], ids[3], ids[4]].sort());
    });

    it('cancels dependants, cascading, when a parent is discarded', async () => {
      const [root, mid, leaf] = await insert(
        ctx,
        { ref: 'r', queue: 'solo' },
        { ref: 'm', dependsOn: [{ ref: 'r' }] },
        { dependsOn: [{ ref: 'm' }] },
      );
      const [job] = await fetch(ctx, 1, 'solo');
      await ctx.store.errorJob(leaseOf(job as JobRecord), errorFor(ctx, job as JobRecord), null);
      const ids = [root, mid, leaf].map((j) => (j as JobRecord).id);
      expect(await statesOf(ctx, ids)).toEqual(['discarded', 'cancelled', 'cancelled']);
      const cascaded = ctx.events.flatMap((e) => (e.type === 'cascade_cancelled' ? e.ids : []));
      expect([...cascaded].sort()).toEqual([ids[1], ids[2]].sort());
    });

    it('rejects a parent id that does not exist, naming it, and inserts nothing', async () => {
      await expect(ctx.store.insertJobs([jobAt(ctx), jobAt(ctx, { dependsOn: ['424242'] })])).rejects.toThrow(
        /424242/,
      );
      expect(await ctx.store.listJobs()).toEqual([]);
    });

    it('rejects a ref no job of the batch has, naming it, and inserts nothing', async () => {
      await expect(
        ctx.store.insertJobs([jobAt(ctx, { ref: 'a' }), jobAt(ctx, { dependsOn: [{ ref: 'ghost' }] })]),
      ).rejects.toThrow(/ghost/);
      expect(await ctx.store.listJobs()).toEqual([]);
    });

    it('rejects a cycle, naming its jobs, and inserts nothing', async () => {
      await expect(
        ctx.store.insertJobs([
          jobAt(ctx, { ref: 'start' }),
          jobAt(ctx, { ref: 'x', dependsOn: [{ ref: 'start' }, { ref: 'z' }] }),
          jobAt(ctx, { ref: 'y', dependsOn: [{ ref: 'x' }] }),
          jobAt(ctx, { ref: 'z', dependsOn: [{ ref: 'y' }] }),
        ]),
      ).rejects.toThrow(/cycle[\s\S]*"x"[\s\S]*"[yz]"/i);
      await expect(
        ctx.store.insertJobs([jobAt(ctx, { ref: 'self', dependsOn: [{ ref: 'self' }] })]),
      ).rejects.toThrow(/self/);
      expect(await ctx.store.listJobs()).toEqual([]);
      expect(await ctx.store.countJobs()).toEqual({});
    });

    it('rejects two jobs of a batch with the same ref', async () => {
      await expect(
        ctx.store.insertJobs([jobAt(ctx, { ref: 'a' }), jobAt(ctx, { ref: 'a' })]),
      ).rejects.toThrow(/"a"/);
      expect(await ctx.store.listJobs()).toEqual([]);
    });

    it('resolves a ref to the existing job when that job is a unique duplicate', async () => {
      const unique = { key: 'shared', periodMs: null, states: ['available' as const] };
      const first = await insertOne(ctx, { unique });
      const results = await ctx.store.insertJobs([
        jobAt(ctx, { ref: 'p', unique }),
        jobAt(ctx, { dependsOn: [{ ref: 'p' }] }),
      ]);
      expect(results[0]).toMatchObject({ duplicate: true, job: { id: first.id } });
      expect(results[1]?.job.dependsOn).toEqual([first.id]);
    });
  });
}
