/**
 * The job system on SQLite shared by two worker processes: 10,000 jobs on one file, two workers
 * (each a Steward in its own process) take them side by side, and no job runs or completes twice.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { createSteward, openStore } from '../../src/index.js';
import { readRuns, WorkerProcess } from './fixtures/workers.js';

const root = mkdtempSync(join(tmpdir(), 'steward-queue-shared-'));
afterEach(() => WorkerProcess.killAll());
afterAll(() => rmSync(root, { recursive: true, force: true }));

const JOBS = 10_000;

describe('the job system on SQLite shared by two worker processes', () => {
  it('shares 10,000 jobs between two processes: each does some, every job runs and completes exactly once', async () => {
    const db = join(root, 'shared.db');
    const client = createSteward({
      store: `sqlite:${db}`,
      run: false,
      logger: false,
      jobs: { task: () => null },
    });
    const jobs = await client.enqueueMany(
      Array.from({ length: JOBS }, (_, i) => ({ kind: 'task', payload: { i }, opts: { priority: i % 10 } })),
    );
    await client.stop();
    const ids = jobs.map((j) => j.id);

    const logs = { 'node-a': join(root, 'runs-a.log'), 'node-b': join(root, 'runs-b.log') };
    const workers = await Promise.all(
      Object.entries(logs).map(([node, log]) => WorkerProcess.start('work', db, log, node, '20')),
    );
    for (const w of workers) w.go(); // released together, so they really race
    await Promise.all(workers.map((w) => w.succeeded()));

    const runs = readRuns(...Object.values(logs));
    expect(ids.filter((id) => runs.starts.get(id) !== 1)).toEqual([]);
    expect(ids.filter((id) => runs.dones.get(id) !== 1)).toEqual([]);
    expect(runs.starts.size).toBe(JOBS);
    const doneByA = runs.doneBy.get('node-a') ?? [];
    const doneByB = runs.doneBy.get('node-b') ?? [];
    expect(doneByA.length + doneByB.length).toBe(JOBS);
    // Really shared: both processes did part of the work.
    expect(doneByA.length).toBeGreaterThan(0);
    expect(doneByB.length).toBeGreaterThan(0);

    const store = openStore(`sqlite:${db}`);
    try {
      expect(await store.countJobs()).toEqual({ default: { completed: JOBS } });
      const all = await store.listJobs({ limit: JOBS + 1 });
      expect(all.map((j) => j.id)).toEqual(ids);
      // The store agrees with the logs on who ran each job, once, without errors.
      const ranBy = new Map<string, string>([
        ...doneByA.map((id): [string, string] => [id, 'node-a']),
        ...doneByB.map((id): [string, string] => [id, 'node-b']),
      ]);
      const disagree = all.filter(
        (j) => j.attempt !== 1 || j.errors.length > 0 || (j.result as { by: string }).by !== ranBy.get(j.id),
      );
      expect(disagree).toEqual([]);
    } finally {
      await store.close();
    }
  }, 90_000);
});
