/**
 * Conformance: insertJobs (defaults, states, ids, atomicity, validation, copying) and unique jobs.
 */
import { describe, expect, it } from 'vitest';
import type { Ctx } from './conformance-helpers.js';
import { compareIds, insert, insertOne, jobAt, Q } from './conformance-helpers.js';
import type { JobInsert } from '../../src/store/types.js';

/** insertJobs and unique. */
export function describeInsert(ctx: Ctx): void {
  describe('insertJobs', () => {
    it('stores the given fields and fills in the store-owned ones', async () => {
      const now = ctx.clock.now();
      const job = await insertOne(ctx, {
        kind: 'email',
        queue: 'mail',
        payload: { to: 'a@b.c', n: [1, 2, { deep: true }] },
        priority: 3,
        maxAttempts: 7,
        timeoutMs: 5000,
        tags: ['x', 'y'],
      });
      expect(typeof job.id).toBe('string');
      expect(job).toMatchObject({
        kind: 'email',
        queue: 'mail',
        payload: { to: 'a@b.c', n: [1, 2, { deep: true }] },
        state: 'available',
        priority: 3,
        attempt: 0,
        maxAttempts: 7,
        runAt: now,
        insertedAt: now,
        attemptedAt: null,
        finishedAt: null,
        timeoutMs: 5000,
        dependsOn: [],
        uniqueKey: null,
        errors: [],
        result: null,
        progress: null,
        lease: null,
        cancelRequested: false,
        tags: ['x', 'y'],
      });
      expect(await ctx.store.getJob(job.id)).toEqual(job);
    });

    it('makes a job with a future runAt scheduled, and one due now or earlier available', async () => {
      const now = ctx.clock.now();
      const [later, exact, past] = await insert(
        ctx,
        { runAt: now + 1 },
        { runAt: now },
        { runAt: now - 5000 },
      );
      expect([later?.state, exact?.state, past?.state]).toEqual(['scheduled', 'available', 'available']);
      expect(later?.runAt).toBe(now + 1);
    });

    it('assigns distinct ids that increase in insertion order, within and across batches', async () => {
      const first = await insert(ctx, {}, {}, {});
      const second = await insert(ctx, {}, {});
      const ids = [...first, ...second].map((j) => j.id);
      expect(new Set(ids).size).toBe(5);
      for (let i = 1; i < ids.length; i++)
        expect(compareIds(ids[i - 1] as string, ids[i] as string)).toBe(-1);
    });

    it('returns results in input order', async () => {
      const results = await ctx.store.insertJobs([
        jobAt(ctx, { kind: 'a' }),
        jobAt(ctx, { kind: 'b', priority: 0 }),
        jobAt(ctx, { kind: 'c', priority: 9 }),
      ]);
      expect(results.map((r) => r.job.kind)).toEqual(['a', 'b', 'c']);
      expect(results.map((r) => r.duplicate)).toEqual([false, false, false]);
    });

    it('accepts an empty batch', async () => {
      expect(await ctx.store.insertJobs([])).toEqual([]);
    });

    it('inserts nothing when any job of the batch is invalid', async () => {
      await expect(ctx.store.insertJobs([jobAt(ctx), jobAt(ctx, { priority: 10 })])).rejects.toThrow(
        /priority/,
      );
      expect(await ctx.store.listJobs()).toEqual([]);
      expect(await ctx.store.countJobs()).toEqual({});
    });

    const bad: [string, Partial<Record<keyof JobInsert, unknown>>, RegExp][] = [
      ['a priority below 0', { priority: -1 }, /priority[\s\S]*`-1`/],
      ['a priority above 9', { priority: 10 }, /priority[\s\S]*`10`/],
      ['a fractional priority', { priority: 1.5 }, /priority[\s\S]*`1.5`/],
      ['maxAttempts of 0', { maxAttempts: 0 }, /maxAttempts[\s\S]*`0`/],
      ['an empty kind', { kind: '' }, /kind/],
      ['an empty queue', { queue: '' }, /queue/],
      ['a fractional runAt', { runAt: 1.5 }, /runAt[\s\S]*`1.5`/],
      ['a payload holding a function', { payload: { f: () => 1 } }, /payload/],
      ['a payload holding undefined', { payload: { u: undefined } }, /payload/],
      ['a payload holding NaN', { payload: [Number.NaN] }, /payload/],
      [
        'an unknown state in unique.states',
        { unique: { key: 'k', periodMs: null, states: ['queued'] } },
        /"queued"/,
      ],
      ['a malformed dependsOn entry', { dependsOn: [42] }, /dependsOn/],
    ];
    for (const [what, over, message] of bad) {
      it(`rejects ${what}, naming the value, and stores nothing`, async () => {
        await expect(ctx.store.insertJobs([jobAt(ctx, over as Partial<JobInsert>)])).rejects.toThrow(message);
        expect(await ctx.store.countJobs()).toEqual({});
      });
    }

    it('copies the payload: changing the caller’s object later does not reach the stored job', async () => {
      const payload = { list: [1, 2], nested: { a: 1 } };
      const job = await insertOne(ctx, { payload });
      payload.list.push(3);
      payload.nested.a = 99;
      expect((await ctx.store.getJob(job.id))?.payload).toEqual({ list: [1, 2], nested: { a: 1 } });
    });

    it('registers the queue and counts the job', async () => {
      await insert(ctx, { queue: 'a' }, { queue: 'a', runAt: ctx.clock.now() + 1000 }, { queue: 'b' });
      expect(await ctx.store.countJobs()).toEqual({ a: { available: 1, scheduled: 1 }, b: { available: 1 } });
      expect(await ctx.store.listQueues()).toEqual([
        { name: 'a', paused: false },
        { name: 'b', paused: false },
      ]);
    });
  });

  describe('unique jobs', () => {
    const spec = (key: string, periodMs: number | null, states: readonly string[]): Partial<JobInsert> => ({
      unique: { key, periodMs, states: states as NonNullable<JobInsert['unique']>['states'] },
    });
    const ALL = ['scheduled', 'available', 'waiting', 'executing', 'retryable', 'completed'];

    it('returns the existing job, marked duplicate, for an equal key', async () => {
      const [first] = await ctx.store.insertJobs([jobAt(ctx, { ...spec('k1', null, ALL), payload: 1 })]);
      const [second] = await ctx.store.insertJobs([jobAt(ctx, { ...spec('k1', null, ALL), payload: 2 })]);
      expect(first?.duplicate).toBe(false);
      expect(first?.job.uniqueKey).toBe('k1');
      expect(second?.duplicate).toBe(true);
      expect(second?.job.id).toBe(first?.job.id);
      expect(second?.job.payload).toBe(1);
      expect(await ctx.store.countJobs()).toEqual({ [Q]: { available: 1 } });
    });

    it('treats different keys as different jobs', async () => {
      const results = await ctx.store.insertJobs([
        jobAt(ctx, spec('a', null, ALL)),
        jobAt(ctx, spec('b', null, ALL)),
      ]);
      expect(results.map((r) => r.duplicate)).toEqual([false, false]);
    });

    it('deduplicates within one batch', async () => {
      const results = await ctx.store.insertJobs([
        jobAt(ctx, spec('same', null, ALL)),
        jobAt(ctx, {}),
        jobAt(ctx, spec('same', null, ALL)),
      ]);
      expect(results.map((r) => r.duplicate)).toEqual([false, false, true]);
      expect(results[2]?.job.id).toBe(results[0]?.job.id);
      expect((await ctx.store.listJobs()).length).toBe(2);
    });

    it('counts only jobs in the given states', async () => {
      const [first] = await ctx.store.insertJobs([
        jobAt(ctx, { queue: 'u', ...spec('k', null, ['available']) }),
      ]);
      const [taken] = await ctx.store.fetchJobs({ queue: 'u', demand: 1, owner: 'w', leaseMs: 1000 });
      expect(taken?.id).toBe(first?.job.id);
      const [second] = await ctx.store.insertJobs([
        jobAt(ctx, { queue: 'u', ...spec('k', null, ['available']) }),
      ]);
      expect(second?.duplicate).toBe(false);
      expect(second?.job.id).not.toBe(first?.job.id);
      const [third] = await ctx.store.insertJobs([
        jobAt(ctx, { queue: 'u', ...spec('k', null, ['available']) }),
      ]);
      expect(third).toMatchObject({ duplicate: true, job: { id: second?.job.id } });
    });

    it('counts a job only within its period after insertion', async () => {
      const [first] = await ctx.store.insertJobs([jobAt(ctx, spec('p', 1000, ALL))]);
      ctx.clock.advance(999);
      const [dup] = await ctx.store.insertJobs([jobAt(ctx, spec('p', 1000, ALL))]);
      expect(dup).toMatchObject({ duplicate: true, job: { id: first?.job.id } });
      ctx.clock.advance(1);
      const [fresh] = await ctx.store.insertJobs([jobAt(ctx, spec('p', 1000, ALL))]);
      expect(fresh?.duplicate).toBe(false);
      expect(fresh?.job.id).not.toBe(first?.job.id);
    });

    it('does not count a deleted job', async () => {
      const [first] = await ctx.store.insertJobs([jobAt(ctx, spec('d', null, ALL))]);
      expect(await ctx.store.deleteJobs([first?.job.id as string])).toBe(1);
      const [again] = await ctx.store.insertJobs([jobAt(ctx, spec('d', null, ALL))]);
      expect(again?.duplicate).toBe(false);
    });
  });
}
