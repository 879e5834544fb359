/**
 * Conformance: reads (getJob, listJobs with filters and keyset pagination, countJobs,
 * listQueues), events, snapshot records, the clock, capabilities and close.
 */
import { describe, expect, it } from 'vitest';
import type { Ctx } from './conformance-helpers.js';
import {
  compareIds,
  errorFor,
  eventually,
  get,
  insert,
  insertOne,
  leaseOf,
  Q,
  running,
} from './conformance-helpers.js';
import type { JobRecord, StoreEvent } from '../../src/store/types.js';

/** Reads, events, snapshots, lifecycle. */
export function describeReads(ctx: Ctx): void {
  describe('reads', () => {
    it('getJob returns null for an unknown id', async () => {
      expect(await ctx.store.getJob('999999')).toBeNull();
      expect(await ctx.store.getJob('not-an-id')).toBeNull();
    });

    it('listJobs filters by state (one or several), queue and kind', async () => {
      const [a, b, c] = await insert(
        ctx,
        { kind: 'x', queue: 'q1' },
        { kind: 'y', queue: 'q1', runAt: ctx.clock.now() + 1000 },
        { kind: 'x', queue: 'q2' },
      );
      const ids = (jobs: JobRecord[]) => jobs.map((j) => j.id);
      expect(ids(await ctx.store.listJobs({ state: 'scheduled' }))).toEqual([b?.id]);
      expect(ids(await ctx.store.listJobs({ state: ['available', 'scheduled'], queue: 'q1' }))).toEqual([
        a?.id,
        b?.id,
      ]);
      expect(ids(await ctx.store.listJobs({ kind: 'x' }))).toEqual([a?.id, c?.id]);
      expect(ids(await ctx.store.listJobs({ kind: 'x', queue: 'q2', state: 'available' }))).toEqual([c?.id]);
      expect(await ctx.store.listJobs({ state: 'completed' })).toEqual([]);
    });

    it('listJobs lists oldest first by default, newest first with desc, at most 100 unless told', async () => {
      const jobs = await insert(ctx, ...Array.from({ length: 120 }, () => ({})));
      const ids = jobs.map((j) => j.id);
      expect((await ctx.store.listJobs()).map((j) => j.id)).toEqual(ids.slice(0, 100));
      expect((await ctx.store.listJobs({ order: 'desc', limit: 5 })).map((j) => j.id)).toEqual(
        ids.slice(-5).reverse(),
      );
      expect((await ctx.store.listJobs({ limit: 120 })).length).toBe(120);
    });

    it('listJobs pages through a filtered listing with `after`, in both orders, without gaps or repeats', async () => {
      const jobs = await insert(
        ctx,
        ...Array.from({ length: 47 }, (_, i) => ({ kind: i % 3 === 0 ? 'skip' : 'keep' })),
      );
      const keep = jobs.filter((j) => j.kind === 'keep').map((j) => j.id);
      for (const order of ['asc', 'desc'] as const) {
        const seen: string[] = [];
        let after: string | undefined;
        for (;;) {
          const page = await ctx.store.listJobs({
            kind: 'keep',
            limit: 7,
            order,
            ...(after ? { after } : {}),
          });
          if (page.length === 0) break;
          seen.push(...page.map((j) => j.id));
          after = page[page.length - 1]?.id;
        }
        expect(seen).toEqual(order === 'asc' ? keep : [...keep].reverse());
      }
      const sorted = [...keep].sort(compareIds);
      expect(sorted).toEqual(keep);
    });

    it('listJobs rejects an unknown state, naming it', async () => {
      await expect(ctx.store.listJobs({ state: 'queued' as never })).rejects.toThrow(/"queued"/);
      await expect(ctx.store.listJobs({ state: ['available', 'nope' as never] })).rejects.toThrow(/"nope"/);
    });

    it('countJobs counts by queue and state, leaving out zeros', async () => {
      expect(await ctx.store.countJobs()).toEqual({});
      await insert(ctx, {}, {}, { queue: 'b', runAt: ctx.clock.now() + 10 });
      const job = await running(ctx);
      await ctx.store.completeJob(leaseOf(job), null);
      await running(ctx);
      expect(await ctx.store.countJobs()).toEqual({
        [Q]: { available: 2 },
        b: { scheduled: 1 },
        solo: { completed: 1, executing: 1 },
      });
    });

    it('listQueues lists every queue with jobs or a pause state, by name', async () => {
      await insert(ctx, { queue: 'zeta' }, { queue: 'alpha' });
      await ctx.store.pauseQueue('mid');
      expect(await ctx.store.listQueues()).toEqual([
        { name: 'alpha', paused: false },
        { name: 'mid', paused: true },
        { name: 'zeta', paused: false },
      ]);
    });
  });

  describe('events', () => {
    it('announces inserts per queue with the earliest runAt', async () => {
      const now = ctx.clock.now();
      await insert(ctx, { queue: 'e1' }, { queue: 'e1' }, { queue: 'e2', runAt: now + 500 });
      await eventually(() => ctx.events.filter((e) => e.type === 'inserted').length >= 2, 'inserted events');
      const inserted = ctx.events.filter((e) => e.type === 'inserted');
      expect(inserted).toContainEqual({ type: 'inserted', queue: 'e1', runAt: now });
      expect(inserted).toContainEqual({ type: 'inserted', queue: 'e2', runAt: now + 500 });
    });

    it('announces a cancel request for an executing job, and pauses and resumes', async () => {
      const job = await running(ctx);
      await ctx.store.cancelJobs([job.id]);
      await ctx.store.pauseQueue('p');
      await ctx.store.resumeQueue('p');
      const want: StoreEvent[] = [
        { type: 'cancel_requested', id: job.id },
        { type: 'queue_paused', queue: 'p' },
        { type: 'queue_resumed', queue: 'p' },
      ];
      await eventually(
        () => want.every((w) => ctx.events.some((e) => JSON.stringify(e) === JSON.stringify(w))),
        'events',
      );
    });

    it('stops delivering to a listener once it unsubscribes', async () => {
      const got: StoreEvent[] = [];
      const off = ctx.store.subscribe((e) => got.push(e));
      await insertOne(ctx, { queue: 'before' });
      await eventually(() => got.length > 0, 'the first event');
      off();
      await insertOne(ctx, { queue: 'after' });
      await eventually(
        () => ctx.events.some((e) => e.type === 'inserted' && e.queue === 'after'),
        'the second event',
      );
      expect(got.some((e) => e.type === 'inserted' && e.queue === 'after')).toBe(false);
    });
  });

  describe('snapshots and lifecycle', () => {
    it('hands out snapshots: changing a returned record never changes the stored job', async () => {
      const job = await running(ctx, { payload: { a: [1] }, tags: ['t'] });
      await ctx.store.errorJob(leaseOf(job), errorFor(ctx, job), ctx.clock.now() + 100);
      const copy = await get(ctx, job.id);
      const before = JSON.parse(JSON.stringify(copy)) as unknown;
      const attempts: (() => void)[] = [
        () => ((copy as { state: string }).state = 'completed'),
        () => (copy.payload as { a: number[] }).a.push(2),
        () => (copy.tags as string[]).push('x'),
        () => (copy.errors as unknown[]).pop(),
        () => ((copy.errors[0] as { message: string }).message = 'changed'),
      ];
      for (const mutate of attempts) {
        try {
          mutate();
        } catch {
          // A frozen snapshot throws; a plain copy takes the change. Either way the store must not.
        }
      }
      expect(JSON.parse(JSON.stringify(await get(ctx, job.id)))).toEqual(before);
    });

    it('reads its clock', async () => {
      const t = ctx.clock.now();
      expect(ctx.store.now()).toBe(t);
      ctx.clock.advance(1234);
      expect(ctx.store.now()).toBe(t + 1234);
    });

    it('describes itself', () => {
      expect(typeof ctx.store.kind).toBe('string');
      const caps = ctx.store.capabilities;
      for (const key of ['durable', 'multiProcess', 'multiHost', 'crossProcessEvents'] as const) {
        expect(typeof caps[key]).toBe('boolean');
      }
      if (caps.multiHost) expect(caps.multiProcess).toBe(true);
    });

    it('opens idempotently, closes idempotently, and rejects every call after close', async () => {
      await ctx.store.open();
      await insertOne(ctx);
      await ctx.store.close();
      await ctx.store.close();
      const calls: (() => Promise<unknown>)[] = [
        () => ctx.store.insertJobs([]),
        () => ctx.store.fetchJobs({ queue: Q, demand: 1, owner: 'w', leaseMs: 1000 }),
        () => ctx.store.completeJob({ id: '1', token: 1 }, null),
        () => ctx.store.getJob('1'),
        () => ctx.store.listJobs(),
        () => ctx.store.countJobs(),
        () => ctx.store.stageJobs(10),
        () => ctx.store.rescueJobs(),
        () => ctx.store.pauseQueue(Q),
      ];
      for (const call of calls) await expect(call()).rejects.toThrow();
    });
  });
}
