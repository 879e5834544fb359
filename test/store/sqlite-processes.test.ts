/**
 * The SQLite store shared by several processes on one file: three worker processes race for the
 * same jobs (each completed exactly once), and three processes migrate a new file at once (each
 * migration applied exactly once).
 */
import Database from 'better-sqlite3';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { Child } from './fixtures/children.js';
import { MIGRATIONS } from '../../src/store/sqlite-migrations.js';
import { createSqliteStore } from '../../src/store/sqlite.js';
import type { JobInsert } from '../../src/store/types.js';
import { jobInsert } from '../fixtures/job-insert.js';

const root = mkdtempSync(join(tmpdir(), 'steward-sqlite-procs-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

const job = (i: number): JobInsert => jobInsert({ queue: 'race', payload: { i }, priority: i % 10 });

describe('sqlite store shared by several processes', () => {
  it('gives each job to one worker process at a time: 900 jobs, three processes, each completed exactly once', async () => {
    const path = join(root, 'race.db');
    const store = createSqliteStore({ path });
    const inserted = await store.insertJobs(Array.from({ length: 900 }, (_, i) => job(i)));
    const ids = inserted.map((r) => r.job.id);
    // NORMAL sync keeps the test quick; which process gets a job does not depend on it.
    const env = { STEWARD_TEST_SYNCHRONOUS: 'normal' };
    const workers = await Promise.all(
      ['a', 'b', 'c'].map((owner) => Child.startWith(env, 'work', path, owner, '4', '5', '1')),
    );
    for (const w of workers) w.go();
    await Promise.all(workers.map((w) => w.succeeded()));

    const doneBy = workers.map((w) => w.values('done'));
    const all = doneBy.flat();
    expect(all.length).toBe(900);
    expect(new Set(all)).toEqual(new Set(ids));
    // Really shared: the processes worked side by side (a process the machine starves at the
    // start may find the queue already drained, so two of three is the bar).
    expect(doneBy.filter((done) => done.length > 0).length).toBeGreaterThanOrEqual(2);

    const jobs = await store.listJobs({ queue: 'race', limit: 2000 });
    expect(jobs.every((j) => j.state === 'completed' && j.attempt === 1 && j.errors.length === 0)).toBe(true);
    const owners = ['a', 'b', 'c'];
    for (const j of jobs) {
      const by = (j.result as { by: string }).by;
      expect(doneBy[owners.indexOf(by)]).toContain(j.id);
    }
    expect(await store.countJobs()).toEqual({ race: { completed: 900 } });
    await store.close();
  });

  it('applies each migration once when three processes open a new file at the same moment', async () => {
    const path = join(root, 'migrate.db');
    const children = await Promise.all([1, 2, 3].map(() => Child.start('migrate', path)));
    for (const c of children) c.go();
    await Promise.all(children.map((c) => c.succeeded()));
    const applied = children.map((c) => JSON.parse(c.values('applied')[0] as string) as number[]);
    const versions = MIGRATIONS.map((m) => m.version);
    // Exactly one process applied each version; the others found it applied (or clashed and skipped it).
    expect(applied.flat().sort()).toEqual(versions);
    const db = new Database(path, { readonly: true });
    try {
      expect(db.prepare('SELECT version FROM steward_migrations ORDER BY version').pluck().all()).toEqual(
        versions,
      );
      expect(db.pragma('integrity_check', { simple: true })).toBe('ok');
    } finally {
      db.close();
    }
    // And the file works.
    const store = createSqliteStore({ path });
    expect(await store.insertJobs([job(1)])).toHaveLength(1);
    await store.close();
  });
});
