/**
 * The job system on SQLite across a restart: a worker process leaves jobs scheduled, waiting,
 * retryable (a failed attempt, a long backoff) and discarded (the dead-letter queue), and stops.
 * A new Steward on the same file finds every job exactly as it was — state, runAt, attempts,
 * errors — runs nothing before it is due, and runs the scheduled and retryable jobs when they are.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { createSteward, openStore } from '../../src/index.js';
import type { JobRecord } from '../../src/index.js';
import { ManualClock, waitFor } from '../../src/testing/index.js';
import { WorkerProcess } from './fixtures/workers.js';

const root = mkdtempSync(join(tmpdir(), 'steward-queue-restart-'));
afterEach(() => WorkerProcess.killAll());
afterAll(() => rmSync(root, { recursive: true, force: true }));

const T = 1_700_000_000_000;
const HOUR = 3_600_000;

/** Runs the seed worker on `db`; returns what it saw on disk after its clean stop, and its clock. */
async function seed(db: string): Promise<{ jobs: JobRecord[]; clock: number }> {
  const seeder = await WorkerProcess.start('seed', db, String(T));
  seeder.go();
  await seeder.succeeded();
  return {
    jobs: JSON.parse(seeder.values('snapshot')[0] as string) as JobRecord[],
    clock: Number(seeder.values('clock')[0]),
  };
}

describe('the job system on SQLite across a restart', () => {
  it('reloads scheduled, waiting, retryable and dead-lettered jobs as they were, and runs them when due', async () => {
    const db = join(root, 'restart.db');
    const before = await seed(db);
    expect(before.clock).toBe(T + 1_000);
    const [ok, later, child, fail, twice, bad] = before.jobs as [
      JobRecord,
      JobRecord,
      JobRecord,
      JobRecord,
      JobRecord,
      JobRecord,
    ];
    // What the first process left (so the comparison below compares something).
    expect(ok).toMatchObject({
      kind: 'ok',
      state: 'completed',
      attempt: 1,
      result: { echo: 'hello' },
      finishedAt: T,
    });
    expect(later).toMatchObject({
      kind: 'later',
      state: 'scheduled',
      attempt: 0,
      runAt: T + HOUR,
      tags: ['hourly'],
    });
    expect(child).toMatchObject({ kind: 'later', state: 'waiting', dependsOn: [later.id], priority: 2 });
    expect(fail).toMatchObject({
      kind: 'fail',
      state: 'retryable',
      attempt: 1,
      maxAttempts: 5,
      runAt: T + 600_000,
    });
    expect(fail.errors).toMatchObject([{ attempt: 1, at: T, name: 'Error', message: 'upstream 503' }]);
    expect(twice).toMatchObject({ kind: 'twice', state: 'discarded', attempt: 2, finishedAt: T + 1_000 });
    expect(twice.errors).toMatchObject([
      { attempt: 1, at: T, message: 'attempt failed for 7' },
      { attempt: 2, at: T + 1_000, message: 'attempt failed for 7' },
    ]);
    expect(bad).toMatchObject({ kind: 'bad', state: 'discarded', attempt: 1 });
    expect(bad.errors).toMatchObject([{ name: 'UnrecoverableError', message: 'malformed input' }]);

    // The restart: a new process's Steward, where the bug behind `fail` has been fixed.
    const clock = new ManualClock(before.clock);
    const store = openStore(`sqlite:${db}`, { clock: clock.now });
    const steward = createSteward({
      store,
      logger: false,
      pollIntervalMs: 10,
      jobs: {
        ok: () => 'again',
        later: (payload: { child?: boolean }) => (payload.child === true ? 'child ran' : 'ran'),
        fail: () => 'recovered',
        twice: () => 'fixed',
        bad: () => 'fixed',
      },
    });
    const started: string[] = [];
    let stages = 0;
    steward.on('job.start', ({ job }) => started.push(job.id));
    steward.on('store.call', ({ method }) => void (method === 'stageJobs' && stages++));
    try {
      await steward.start();
      expect(await steward.listJobs({ limit: 100 })).toEqual(before.jobs);
      for (const job of before.jobs) expect(await steward.getJob(job.id)).toEqual(job);
      // Nothing is due: several scheduler rounds later, nothing has run and nothing has changed.
      await waitFor(() => stages >= 5, { timeout: 10_000 });
      expect(started).toEqual([]);
      expect(await steward.listJobs({ limit: 100 })).toEqual(before.jobs);

      // The retry comes due: it runs (attempt 2) and completes, keeping the first attempt's error.
      clock.set(T + 600_000);
      await waitFor(async () => (await steward.getJob(fail.id))?.state === 'completed', { timeout: 10_000 });
      expect(await steward.getJob(fail.id)).toMatchObject({
        attempt: 2,
        result: 'recovered',
        errors: fail.errors,
      });
      expect(started).toEqual([fail.id]);
      expect(await steward.getJob(later.id)).toEqual(later);

      // The scheduled job comes due, and its waiting dependant runs after it.
      clock.set(T + HOUR);
      await waitFor(async () => (await steward.getJob(child.id))?.state === 'completed', { timeout: 10_000 });
      expect(await steward.getJob(later.id)).toMatchObject({ state: 'completed', attempt: 1, result: 'ran' });
      expect(await steward.getJob(child.id)).toMatchObject({ attempt: 1, result: 'child ran' });
      expect(started).toEqual([fail.id, later.id, child.id]);

      // Dead letters stay dead until retried by hand.
      expect(await steward.getJob(twice.id)).toEqual(twice);
      expect(await steward.getJob(bad.id)).toEqual(bad);
      await steward.retryJob(bad.id);
      await waitFor(async () => (await steward.getJob(bad.id))?.state === 'completed', { timeout: 10_000 });
      expect(await steward.getJob(bad.id)).toMatchObject({ result: 'fixed', errors: bad.errors });
      expect(await steward.getJob(twice.id)).toEqual(twice);
    } finally {
      await steward.stop();
      await store.close();
    }
  }, 60_000);
});
