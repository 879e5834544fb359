/**
 * Metrics through the public API: a real Steward on the memory store, its stats after
 * mixed runs, in progress under cancels, releases and rescues, and the per-second series.
 */
import { describe, expect, it } from 'vitest';
import { UnrecoverableError } from '../../src/index.js';
import type { Steward, StewardStats } from '../../src/index.js';
import { waitFor } from '../../src/testing/index.js';
import { deferred, manualStore, sleep, startSteward } from './helpers.js';

/** Samples in progress at every lifecycle event, so a dip below zero anywhere would be seen. */
function watchInProgress(steward: Steward): number[] {
  const seen: number[] = [];
  const sample = (): void => void steward.stats().then((s) => seen.push(s.inProgress));
  for (const event of [
    'job.start',
    'job.stop',
    'job.exception',
    'job.cancel',
    'job.release',
    'job.rescue',
  ] as const) {
    steward.on(event, sample);
  }
  return seen;
}

describe('stats of a running Steward', () => {
  it('add up after a mixed run of completed, retried, discarded and cancelled jobs', async () => {
    let flakyRuns = 0;
    const blocked = deferred();
    const steward = await startSteward({
      queues: { default: { concurrency: 5 }, slow: { concurrency: 1 } },
      jobs: {
        ok: () => 'fine',
        flaky: {
          backoff: { type: 'fixed', delayMs: 0 },
          handler: () => {
            flakyRuns += 1;
            if (flakyRuns === 1) throw new Error('first time unlucky');
            return 'second time lucky';
          },
        },
        doomed: { queue: 'slow', handler: () => Promise.reject(new UnrecoverableError('no way')) },
        stuck: async (_p, { signal }) => {
          blocked.resolve();
          await sleep(60_000, signal);
        },
      },
    });
    const seen = watchInProgress(steward);
    for (let i = 0; i < 4; i++) await steward.enqueue('ok', { i });
    await steward.enqueue('flaky', null);
    await steward.enqueue('doomed', null);
    const later = await steward.enqueue('ok', null, { delayMs: 60_000 });
    const stuck = await steward.enqueue('stuck', null);
    await blocked.promise;
    await steward.cancelJob(later.id); // queued: cancelled at once
    await steward.cancelJob(stuck.id); // running: its signal aborts
    await steward.drain();

    const s = await steward.stats();
    expect(s).toMatchObject({
      enqueued: 8,
      started: 4 + 2 + 1 + 1,
      completed: 5,
      failed: 2,
      retried: 1,
      discarded: 1,
      cancelled: 2,
      released: 0,
      inProgress: 0,
    });
    expect(s.enqueued).toBe(s.completed + s.discarded + s.cancelled + (await steward.queueSize()));
    expect(s.byQueue.slow).toMatchObject({ enqueued: 1, started: 1, failed: 1, discarded: 1, completed: 0 });
    expect(s.byKind.flaky).toMatchObject({ started: 2, failed: 1, retried: 1, completed: 1 });
    expect(s.byKind.stuck).toMatchObject({ started: 1, cancelled: 1, completed: 0 });
    expect(s.recentErrors.map((e) => [e.kind, e.queue, e.attempt, e.message])).toEqual([
      ['doomed', 'slow', 1, 'no way'],
      ['flaky', 'default', 1, 'first time unlucky'],
    ]);
    expect(s.p50RunMs).toBeGreaterThan(0);
    expect(s.p50RunMs).toBeLessThanOrEqual(s.p99RunMs);
    await waitFor(() => seen.length >= 10);
    expect(Math.min(...seen)).toBe(0);
  });

  it('counts in progress exactly through cancels and a graceful shutdown that hands jobs back', async () => {
    const started: string[] = [];
    const steward = await startSteward({
      queues: { default: { concurrency: 3 } },
      jobs: {
        hold: async (_p, { signal, job }) => {
          started.push(job.id);
          await sleep(60_000, signal);
        },
      },
    });
    const seen = watchInProgress(steward);
    const jobs = [];
    for (let i = 0; i < 4; i++) jobs.push(await steward.enqueue('hold', { i }));
    await waitFor(() => started.length === 3);
    expect((await steward.stats()).inProgress).toBe(3);
    await steward.cancelJob(jobs[0]!.id); // running: ends cancelled, the fourth job takes its place
    await waitFor(() => started.length === 4);
    expect(await steward.stats()).toMatchObject({ inProgress: 3, cancelled: 1 });
    await steward.cancelJob(jobs[1]!.id);
    await waitFor(async () => (await steward.stats()).cancelled === 2);
    expect((await steward.stats()).inProgress).toBe(2);
    await steward.stop({ graceMs: 0 }); // the other two are handed back
    const s: StewardStats = await steward.stats();
    expect(s).toMatchObject({ inProgress: 0, released: 2, cancelled: 2, started: 4, completed: 0 });
    expect(s.byQueue.default).toMatchObject({ inProgress: 0, released: 2 });
    expect(seen.every((n) => n >= 0 && n <= 3)).toBe(true);
  });

  it('never counts a job twice or below zero when its lease is lost and it is rescued and rerun', async () => {
    const { clock, store } = manualStore();
    const firstRun = deferred();
    let runs = 0;
    const steward = await startSteward({
      store,
      leaseMs: 60,
      jobs: {
        work: async (_p, { signal }) => {
          runs += 1;
          if (runs > 1) return 'second';
          firstRun.resolve();
          await new Promise<void>((resolve) => signal.addEventListener('abort', () => resolve()));
          return 'first';
        },
      },
    });
    const seen = watchInProgress(steward);
    const stale = deferred();
    steward.on('job.stale', () => stale.resolve());
    const { id } = await steward.enqueue('work', null);
    await firstRun.promise;
    expect((await steward.stats()).inProgress).toBe(1);
    clock.advance(61);
    await steward.store.rescueJobs(); // rescued from under the worker, then run again here
    await waitFor(async () => (await steward.getJob(id))?.state === 'completed');
    await stale.promise; // the first attempt learns it lost the lease
    await waitFor(async () => (await steward.stats()).inProgress === 0);
    expect(await steward.stats()).toMatchObject({ started: 2, completed: 1, failed: 0, inProgress: 0 });
    expect(seen.every((n) => n >= 0 && n <= 2)).toBe(true);
  });
});

describe('metricsSeries', () => {
  it('shows each second of the store clock: starts, completions, and the monitor’s queue depth', async () => {
    const { clock, store } = manualStore(1_700_000_000_000);
    const steward = await startSteward({
      store,
      monitor: { intervalMs: 10 },
      queues: { default: { concurrency: 2 }, parked: { paused: true } },
      jobs: { work: () => null, later: { queue: 'parked', handler: () => null } },
    });
    for (let i = 0; i < 3; i++) await steward.enqueue('work', { i });
    await steward.drain();
    clock.advance(1000);
    await steward.enqueue('later', null);
    await steward.enqueue('later', null);
    const report = deferred();
    steward.on('monitor.report', () => report.resolve());
    await report.promise;

    const points = await steward.metricsSeries({ seconds: 3 });
    expect(points.map((p) => p.at)).toEqual([1_699_999_999_000, 1_700_000_000_000, 1_700_000_001_000]);
    expect(points[0]).toEqual({
      at: 1_699_999_999_000,
      enqueued: 0,
      started: 0,
      completed: 0,
      failed: 0,
      queued: null,
    });
    expect(points[1]).toMatchObject({ enqueued: 3, started: 3, completed: 3, failed: 0 });
    expect(points[2]).toMatchObject({ enqueued: 2, started: 0, completed: 0, queued: 2 });
    expect(await steward.metricsSeries()).toHaveLength(300);
    await expect(steward.metricsSeries({ seconds: 0 })).rejects.toThrow(/`seconds`/);
  });
});
