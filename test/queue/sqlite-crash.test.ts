/**
 * The job system on SQLite when a worker process dies: a worker is killed with SIGKILL in the
 * middle of 5,000 jobs; a new worker finishes them. Every job ends completed, none is lost, and
 * the only jobs whose handler ran twice are those the database held as executing at the kill
 * (delivery is at-least-once: those are the attempts the kill interrupted).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { createSteward, openStore } from '../../src/index.js';
import { waitFor } from '../../src/testing/index.js';
import { countDone, readRuns, WorkerProcess } from './fixtures/workers.js';

const root = mkdtempSync(join(tmpdir(), 'steward-queue-crash-'));
afterEach(() => WorkerProcess.killAll());
afterAll(() => rmSync(root, { recursive: true, force: true }));

const JOBS = 5_000;

/** Enqueues `n` jobs of kind `task` (every 500th, from the 250th, `slow`) through an enqueue-only Steward; returns their ids. */
async function enqueueTasks(db: string, n: number): Promise<string[]> {
  const client = createSteward({
    store: `sqlite:${db}`,
    run: false,
    logger: false,
    jobs: { task: () => null },
  });
  const jobs = await client.enqueueMany(
    Array.from({ length: n }, (_, i) => ({ kind: 'task', payload: { i, slow: i % 500 === 250 } })),
  );
  await client.stop();
  return jobs.map((j) => j.id);
}

describe('the job system on SQLite when a worker process is killed', () => {
  it('completes all 5,000 jobs after a SIGKILL mid-run and a restart; only jobs executing at the kill run twice', async () => {
    const db = join(root, 'crash.db');
    const ids = await enqueueTasks(db, JOBS);
    const logA = join(root, 'runs-a.log');
    const logB = join(root, 'runs-b.log');

    // Worker a's slow jobs take a minute: whenever the kill lands, they are mid-run.
    const a = await WorkerProcess.start('work', db, logA, 'node-a', '20', '60000');
    a.go();
    await waitFor(
      () => {
        a.assertRunning('1,000 jobs done');
        return countDone(logA) >= 1_000;
      },
      { timeout: 60_000, interval: 10 },
    );
    await a.kill('SIGKILL');
    const slowStarted = [...readRuns(logA).starts.keys()].filter((id) => ids.indexOf(id) % 500 === 250);

    // What the file says at the kill: nothing has touched it since.
    const atKill = openStore(`sqlite:${db}`);
    const executing = await atKill.listJobs({ state: 'executing', limit: JOBS });
    const counts = await atKill.countJobs();
    await atKill.close();
    const executingIds = new Set(executing.map((j) => j.id));
    expect(slowStarted.length).toBeGreaterThanOrEqual(2); // jobs 250 and 750 at least
    for (const id of slowStarted) expect(executingIds).toContain(id);
    expect(executing.every((j) => j.lease?.owner === 'node-a')).toBe(true);
    expect(counts.default?.completed ?? 0).toBeLessThan(JOBS); // really in the middle

    // The restarted worker takes the dead worker's jobs back at once (its process is gone from
    // this host), without waiting out the 30 s lease.
    const b = await WorkerProcess.start('work', db, logB, 'node-b', '20');
    b.go();
    await b.succeeded();

    const after = openStore(`sqlite:${db}`);
    const all = await after.listJobs({ limit: JOBS + 1 });
    expect(await after.countJobs()).toEqual({ default: { completed: JOBS } });
    await after.close();
    expect(all.map((j) => j.id)).toEqual(ids); // none lost, none added

    const runs = readRuns(logA, logB);
    const startedTwice = ids.filter((id) => (runs.starts.get(id) ?? 0) > 1);
    expect(startedTwice.filter((id) => !executingIds.has(id))).toEqual([]);
    expect(ids.filter((id) => (runs.starts.get(id) ?? 0) === 0)).toEqual([]);
    expect(ids.filter((id) => (runs.dones.get(id) ?? 0) === 0)).toEqual([]);
    expect(ids.filter((id) => (runs.starts.get(id) ?? 0) > 2)).toEqual([]);

    for (const job of all) {
      if (executingIds.has(job.id)) {
        // The interrupted attempt counts, and says why it ended; node-b ran it again.
        expect(job).toMatchObject({ attempt: 2, result: { by: 'node-b' } });
        expect(job.errors.map((e) => e.name)).toEqual(['LeaseExpiredError']);
        expect(job.errors[0]?.message).toContain(`its process (pid ${a.pid}) on this host has exited`);
      } else {
        expect(job.attempt).toBe(1);
        expect(job.errors).toEqual([]);
        expect(runs.starts.get(job.id)).toBe(1);
      }
    }
    // Both workers did part of the work.
    expect(runs.doneBy.get('node-a')?.length).toBeGreaterThanOrEqual(1_000);
    expect(runs.doneBy.get('node-b')?.length).toBeGreaterThan(0);
  }, 90_000);
});
