/**
 * Conformance: completeJobs — a tick's completions in one call. Each is its own transition (a
 * stale or unknown one changes only itself), answers (the final state and time) come back in input
 * order, dependants wake,
 * a requested cancel wins, and a malformed completion rejects the whole call changing nothing.
 */
import { describe, expect, it } from 'vitest';
import type { Ctx } from './conformance-helpers.js';
import { fetch, get, insert, insertOne, leaseOf, statesOf } from './conformance-helpers.js';
import type { JobRecord } from '../../src/store/types.js';

/** completeJobs. */
export function describeBatch(ctx: Ctx): void {
  describe('completeJobs', () => {
    it('completes each job with its own result, answering in input order', async () => {
      await insert(ctx, {}, {}, {});
      const got = await fetch(ctx, 3);
      ctx.clock.advance(40);
      const [a, b, c] = got as [JobRecord, JobRecord, JobRecord];
      const res = await ctx.store.completeJobs([
        { lease: leaseOf(c), result: { n: 3 } },
        { lease: leaseOf(a), result: null },
        { lease: leaseOf(b), result: [1, 'two'] },
      ]);
      const done = { ok: true, state: 'completed', finishedAt: ctx.clock.now() };
      expect(res).toMatchObject([done, done, done]);
      for (const [job, result] of [
        [a, null],
        [b, [1, 'two']],
        [c, { n: 3 }],
      ] as const) {
        const stored = await get(ctx, job.id);
        // A store that answers with the record (memory) answers the stored one.
        const answer = res[[c, a, b].indexOf(job)];
        if (answer?.ok && answer.job !== undefined) expect(answer.job).toEqual(stored);
        expect(stored).toMatchObject({
          state: 'completed',
          result,
          finishedAt: ctx.clock.now(),
          lease: null,
        });
      }
    });

    it('answers stale and not_found for the bad ones and completes the rest', async () => {
      await insert(ctx, {}, {});
      const [a, b] = (await fetch(ctx, 2)) as [JobRecord, JobRecord];
      const res = await ctx.store.completeJobs([
        { lease: { id: a.id, token: (a.lease?.token as number) + 1000 }, result: 1 },
        { lease: { id: '999999', token: 1 }, result: 2 },
        { lease: { id: 'nope', token: 1 }, result: 2 },
        { lease: leaseOf(b), result: 3 },
      ]);
      expect(res.slice(0, 3)).toEqual([
        { ok: false, reason: 'stale' },
        { ok: false, reason: 'not_found' },
        { ok: false, reason: 'not_found' },
      ]);
      expect(res[3]?.ok).toBe(true);
      expect(await statesOf(ctx, [a.id, b.id])).toEqual(['executing', 'completed']);
    });

    it('answers a job named twice as a single completeJob would: the second is stale', async () => {
      await insertOne(ctx);
      const [a] = (await fetch(ctx, 1)) as [JobRecord];
      const res = await ctx.store.completeJobs([
        { lease: leaseOf(a), result: 'first' },
        { lease: leaseOf(a), result: 'second' },
      ]);
      expect(res.map((r) => (r.ok ? r.state : r.reason))).toEqual(['completed', 'stale']);
      expect((await get(ctx, a.id)).result).toBe('first');
    });

    it('ends a job cancelled when a cancel was requested while it ran', async () => {
      await insert(ctx, {}, {});
      const [a, b] = (await fetch(ctx, 2)) as [JobRecord, JobRecord];
      expect(await ctx.store.cancelJobs([a.id])).toEqual(['cancelling']);
      const res = await ctx.store.completeJobs([
        { lease: leaseOf(a), result: 'ignored' },
        { lease: leaseOf(b), result: 'kept' },
      ]);
      expect(res.map((r) => r.ok && r.state)).toEqual(['cancelled', 'completed']);
      expect((await get(ctx, a.id)).result).toBeNull();
    });

    it('wakes the dependants whose parents all completed, and only those', async () => {
      const [p1, p2] = await insert(ctx, { queue: 'parents' }, { queue: 'parents' });
      const [both, one] = await insert(
        ctx,
        { dependsOn: [(p1 as JobRecord).id, (p2 as JobRecord).id] },
        { dependsOn: [(p1 as JobRecord).id] },
      );
      const got = await fetch(ctx, 2, 'parents');
      await ctx.store.completeJobs([{ lease: leaseOf(got[0] as JobRecord), result: null }]);
      expect(await statesOf(ctx, [(both as JobRecord).id, (one as JobRecord).id])).toEqual([
        'waiting',
        'available',
      ]);
      await ctx.store.completeJobs([{ lease: leaseOf(got[1] as JobRecord), result: null }]);
      expect(await statesOf(ctx, [(both as JobRecord).id])).toEqual(['available']);
    });

    it('rejects a malformed completion, naming it, and completes none of the batch', async () => {
      await insertOne(ctx);
      const [a] = (await fetch(ctx, 1)) as [JobRecord];
      await expect(
        ctx.store.completeJobs([
          { lease: leaseOf(a), result: 1 },
          { lease: { id: a.id, token: 'x' as never }, result: 1 },
        ]),
      ).rejects.toThrow(/completions\[1\]\.lease\.token/);
      await expect(
        ctx.store.completeJobs([{ lease: leaseOf(a), result: { f: () => 1 } as never }]),
      ).rejects.toThrow(/completions\[0\]\.result/);
      await expect(ctx.store.completeJobs('nope' as never)).rejects.toThrow(/completions/);
      expect(await statesOf(ctx, [a.id])).toEqual(['executing']);
      expect(await ctx.store.completeJobs([])).toEqual([]);
    });
  });
}
