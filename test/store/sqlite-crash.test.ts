/**
 * The SQLite store when a worker process dies: a SIGKILL in the middle of work loses nothing that
 * was committed, leaves a file that opens clean, and the dead worker's jobs come back (after their
 * lease, or at once when the store sees the process is gone); a cancel reaches a worker in another
 * process through its heartbeat.
 */
import Database from 'better-sqlite3';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { Child } from './fixtures/children.js';
import { createSqliteStore } from '../../src/store/sqlite.js';
import type { JobInsert, JobRecord, Store } from '../../src/store/types.js';
import { jobInsert } from '../fixtures/job-insert.js';

const root = mkdtempSync(join(tmpdir(), 'steward-sqlite-crash-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

const job = (queue: string, i: number): JobInsert => jobInsert({ queue, payload: { i } });

async function drain(store: Store, queue: string): Promise<number> {
  let n = 0;
  for (;;) {
    const jobs = await store.fetchJobs({ queue, demand: 100, owner: 'parent', leaseMs: 60_000 });
    if (jobs.length === 0) return n;
    for (const j of jobs) {
      const res = await store.completeJob({ id: j.id, token: (j.lease as { token: number }).token }, null);
      expect(res.ok).toBe(true);
      n++;
    }
  }
}

describe('sqlite store when a worker process dies', () => {
  it('loses nothing committed to a SIGKILL mid-work, opens clean, and rescues the dead worker’s jobs after their lease', async () => {
    const path = join(root, 'crash.db');
    const child = await Child.start('crash', path, 'doomed');
    child.go();
    await child.waitFor(
      (lines) => lines.filter((l) => l.startsWith('done ')).length >= 100,
      '100 completions',
    );
    await child.kill('SIGKILL');

    const inserted = child.values('inserted').flatMap((l) => l.split(' '));
    const done = child.values('done');
    const raw = new Database(path);
    try {
      expect(raw.pragma('integrity_check', { simple: true })).toBe('ok');
      expect(raw.pragma('journal_mode', { simple: true })).toBe('wal');
    } finally {
      raw.close();
    }

    // Dead-process detection off: only the lease tells.
    const now = Date.now();
    const store = createSqliteStore({ path, detectDeadNodes: false, clock: () => now });
    const all = await store.listJobs({ queue: 'crash', limit: 100_000 });
    const byId = new Map(all.map((j) => [j.id, j]));
    // Every insert the child saw committed is there; every completion it saw committed is completed.
    for (const id of inserted) expect(byId.has(id)).toBe(true);
    for (const id of done) expect(byId.get(id)?.state).toBe('completed');
    const executing = all.filter((j) => j.state === 'executing');
    expect(executing.length).toBeGreaterThan(0);
    expect(executing.every((j) => j.lease?.owner === 'doomed')).toBe(true);
    expect(await store.rescueJobs()).toEqual([]);
    await store.close();

    const later = createSqliteStore({ path, detectDeadNodes: false, clock: () => now + 60_000 });
    const rescued = await later.rescueJobs();
    expect(rescued.map((j) => j.id).sort()).toEqual(executing.map((j) => j.id).sort());
    for (const j of rescued) {
      expect(j).toMatchObject({ state: 'available', lease: null, attempt: 1 });
      expect(j.errors.at(-1)?.name).toBe('LeaseExpiredError');
    }
    const finished = all.filter((j) => j.state === 'completed').length;
    const left = await drain(later, 'crash');
    expect(finished + left).toBe(all.length);
    expect(await later.countJobs()).toEqual({ crash: { completed: all.length } });
    await later.close();
  });

  it('rescues at once the jobs of a worker process that has exited, and not while it lives', async () => {
    const path = join(root, 'gone.db');
    const store = createSqliteStore({ path });
    await store.insertJobs(Array.from({ length: 5 }, (_, i) => job('hold', i)));
    const child = await Child.start('hold', path, 'holder');
    child.go();
    await child.waitFor((lines) => lines.includes('held 5'), 'held 5');
    expect(await store.rescueJobs()).toEqual([]);
    await child.kill('SIGKILL');

    const blind = createSqliteStore({ path, detectDeadNodes: false });
    expect(await blind.rescueJobs()).toEqual([]);
    await blind.close();

    const rescued = await store.rescueJobs();
    expect(rescued.map((j) => j.state)).toEqual(Array(5).fill('available'));
    for (const j of rescued) {
      expect(j.errors.at(-1)?.message).toMatch(
        new RegExp(`"holder" was taken back: its process \\(pid ${child.pid}\\)`),
      );
    }
    const raw = new Database(path, { readonly: true });
    try {
      expect(raw.prepare('SELECT count(*) FROM steward_nodes WHERE pid = ?').pluck().get(child.pid)).toBe(0);
    } finally {
      raw.close();
    }
    expect(await drain(store, 'hold')).toBe(5);
    await store.close();
  });

  it('reaches a worker in another process with a cancel, through its heartbeat', async () => {
    const path = join(root, 'cancel.db');
    const store = createSqliteStore({ path });
    const [inserted] = await store.insertJobs([job('watch', 1)]);
    const child = await Child.start('watch', path, 'watcher');
    child.go();
    const id = (inserted?.job as JobRecord).id;
    await child.waitFor((lines) => lines.includes(`took ${id}`), 'the job taken');
    expect(await store.cancelJobs([id])).toEqual(['cancelling']);
    await child.succeeded();
    expect(child.values('cancelled')).toEqual([`${id} true`]);
    const after = await store.getJob(id);
    expect(after).toMatchObject({ state: 'cancelled', cancelRequested: true, lease: null });
    expect(after?.errors.map((e) => e.name)).toEqual(['JobCancelledError']);
    await store.close();
  });
});
