/**
 * The seed chapter's testing scenario and stress test, on the memory store. The seed's
 * sleeps (compute 100 ms, io 200 ms, network 300 ms) are scaled down by SCALE so the
 * scenario keeps its shape but runs in a fraction of a second.
 */
import { describe, expect, it } from 'vitest';
import { Priority, defineJob } from '../../src/index.js';
import type { JobContext } from '../../src/index.js';
import { sleep, startSteward } from './helpers.js';

const SCALE = 0.01;
const SEED_SLEEPS = { compute: 100, io: 200, network: 300 } as const;
type SeedType = keyof typeof SEED_SLEEPS;

/** A small deterministic generator, so a failure reproduces. */
function random(seed: number): () => number {
  let s = seed;
  return () => {
    s = (s * 1_103_515_245 + 12_345) % 2 ** 31;
    return s / 2 ** 31;
  };
}

/** The seed's perform_job, one kind per type, sleeping the seed's time × SCALE. */
function seedJobs(sleeps: Record<SeedType, number>, ran: Map<string, number>) {
  const perform =
    (type: SeedType, result: (n: number) => unknown) =>
    async (p: { data: number }, ctx: JobContext): Promise<unknown> => {
      ran.set(ctx.job.id, (ran.get(ctx.job.id) ?? 0) + 1);
      await sleep(sleeps[type], ctx.signal);
      return result(p.data);
    };
  return {
    compute: perform('compute', (n) => n * 2),
    io: perform('io', (n) => `processed ${n}`),
    network: perform('network', (n) => `fetched ${n}`),
    error: defineJob({
      maxAttempts: 3,
      backoff: { type: 'fixed', delayMs: 1 },
      handler: () => {
        throw new Error('Intentional job failure');
      },
    }),
  };
}

const scaled = Object.fromEntries(Object.entries(SEED_SLEEPS).map(([k, ms]) => [k, ms * SCALE])) as Record<
  SeedType,
  number
>;

describe('the seed scenario', () => {
  it('runs 1,000 jobs of random priority and type: none lost, and the stats add up', async () => {
    const ran = new Map<string, number>();
    const steward = await startSteward({
      queues: { default: { concurrency: 20 } },
      jobs: seedJobs(scaled, ran),
    });
    const rand = random(42);
    const levels = [Priority.critical, Priority.high, Priority.normal, Priority.low, Priority.background];
    const types = ['compute', 'io', 'network'] as const;
    const submitted = new Map<string, { type: string; data: number }>();
    for (let i = 1; i <= 1000; i++) {
      const type = i % 25 === 0 ? 'error' : types[Math.floor(rand() * 3)]!;
      const job = await steward.submit({ type, data: i }, levels[Math.floor(rand() * 5)]);
      submitted.set(job.id, { type, data: i });
    }
    await steward.drain({ timeoutMs: 20_000 });

    const jobs = await steward.listJobs({ limit: 2000 });
    expect(jobs).toHaveLength(1000);
    const raising = [...submitted.values()].filter((s) => s.type === 'error').length;
    expect(raising).toBe(40);
    for (const job of jobs) {
      const { type, data } = submitted.get(job.id)!;
      if (type === 'error') {
        expect(job).toMatchObject({ state: 'discarded', attempt: 3 });
        expect(job.errors.map((e) => e.message)).toEqual(Array(3).fill('Intentional job failure'));
      } else {
        expect(job.state).toBe('completed');
        expect(job.result).toEqual(
          type === 'compute' ? data * 2 : `${type === 'io' ? 'processed' : 'fetched'} ${data}`,
        );
        expect(ran.get(job.id)).toBe(1);
      }
    }

    const stats = await steward.stats();
    const queued = await steward.queueSize();
    expect(queued).toBe(0);
    expect(stats.enqueued).toBe(1000);
    expect(stats.enqueued).toBe(stats.completed + stats.discarded + stats.cancelled + queued);
    expect(stats).toMatchObject({
      completed: 960,
      discarded: 40,
      cancelled: 0,
      failed: 120,
      retried: 80,
      started: 960 + 120,
      inProgress: 0,
    });
    expect(stats.byKind.error).toMatchObject({ enqueued: 40, failed: 120, discarded: 40 });
    expect(stats.byQueue.default?.completed).toBe(960);
    expect(stats.recentErrors).toHaveLength(100);
    expect(stats.recentErrors[0]).toMatchObject({ kind: 'error', message: 'Intentional job failure' });
    expect(stats.avgRunMs).toBeGreaterThan(0);
    expect(stats.p50RunMs).toBeLessThanOrEqual(stats.p95RunMs);
    expect(stats.p95RunMs).toBeLessThanOrEqual(stats.p99RunMs);
    expect(await steward.metrics()).toContain(
      'steward_jobs_discarded_total{queue="default",kind="error"} 40',
    );
  });

  it('survives the stress test: 10 concurrent submitters × 1,000 jobs, none lost or duplicated', async () => {
    const ran = new Map<string, number>();
    const steward = await startSteward({
      queues: { default: { concurrency: 50 } },
      jobs: seedJobs(scaled, ran),
    });
    const ids = (
      await Promise.all(
        Array.from({ length: 10 }, async () => {
          const mine: string[] = [];
          for (let i = 1; i <= 1000; i++) mine.push((await steward.submit({ type: 'compute', data: i })).id);
          return mine;
        }),
      )
    ).flat();
    await steward.drain({ timeoutMs: 20_000 });
    expect(ids).toHaveLength(10_000);
    expect(new Set(ids).size).toBe(10_000);
    expect(ran.size).toBe(10_000);
    expect([...ran.values()].every((n) => n === 1)).toBe(true);
    const idSet = new Set(ids);
    expect([...ran.keys()].every((id) => idSet.has(id))).toBe(true);
    const stats = await steward.stats();
    expect(stats).toMatchObject({ enqueued: 10_000, completed: 10_000, inProgress: 0 });
    expect(await steward.queueSize()).toBe(0);
  });
});
