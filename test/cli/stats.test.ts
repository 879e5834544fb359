/** `stats`, `top` and `migrate`: what the store knows, live and at once, and its schema. */
import Database from 'better-sqlite3';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitFor } from '../../src/testing/index.js';
import type { StoreStats } from '../../src/cli/commands/stats.js';
import { insert, jsonOf, runOn, seedStates, start, tempDir, withSqlite } from './helpers.js';

const tmp = tempDir('stats');
const file = join(tmp.dir, 'stats.db');
beforeAll(() => seedStates(file));
afterAll(() => tmp.cleanup());

/** What `stats --json` prints: the command's own type, so the test and the output cannot drift. */
type StatsJson = StoreStats;

describe('steward stats', () => {
  it('prints counts per queue and state, totals, and the seed block, as JSON', async () => {
    const s = jsonOf<StatsJson>(await runOn(file, ['stats', '--json']));
    expect(s.store).toBe(`sqlite:${file}`);
    expect(Object.keys(s.queues)).toEqual(['default', 'email', 'other', 'slow']);
    expect(s.queues.default).toEqual({
      paused: false,
      counts: {
        scheduled: 1,
        available: 0,
        waiting: 0,
        executing: 0,
        retryable: 0,
        completed: 1,
        discarded: 0,
        cancelled: 1,
      },
      queued: 1,
      total: 3,
    });
    expect(s.counts).toEqual({
      scheduled: 1,
      available: 1,
      waiting: 0,
      executing: 1,
      retryable: 0,
      completed: 1,
      discarded: 1,
      cancelled: 1,
    });
    expect(s.queued).toBe(3);
    expect(s.total).toBe(6);
    expect(s.avgRunSample).toBe(1);
    expect(s.avgRunMs).toBeGreaterThanOrEqual(0);
    expect(s.recentErrors).toEqual([
      expect.objectContaining({
        jobId: '2',
        kind: 'broken',
        queue: 'other',
        attempt: 2,
        message: 'failure number 2',
      }),
    ]);
  });

  it('prints a table and the seed block for people, saying where the figures come from', async () => {
    const { code, out } = await runOn(file, ['stats']);
    expect(code).toBe(0);
    expect(out).toContain(`Store sqlite:${file}: jobs per queue and state`);
    expect(out).toMatch(
      /^QUEUE\s+SCHEDULED\s+AVAILABLE\s+WAITING\s+EXECUTING\s+RETRYABLE\s+COMPLETED\s+DISCARDED\s+CANCELLED\s+TOTAL$/m,
    );
    expect(out).toMatch(/^default\s+1\s+0\s+0\s+0\s+0\s+1\s+0\s+1\s+3$/m);
    expect(out).toMatch(/^all\s+1\s+1\s+0\s+1\s+0\s+1\s+1\s+1\s+6$/m);
    expect(out).toContain("the seed's JobQueue.stats(), from the store");
    expect(out).toMatch(/^ {2}queue size {3}3 not finished/m);
    expect(out).toMatch(/^ {2}in progress {2}1$/m);
    expect(out).toMatch(/^ {2}failed {7}1 discarded \(dead letters\), 0 awaiting a retry$/m);
    expect(out).toMatch(/job 2 broken \(other\) attempt 2, .*: failure number 2/);
  });

  it('says there is nothing on an empty store', async () => {
    const empty = join(tmp.dir, 'empty.db');
    await runOn(empty, ['migrate']);
    const { out } = await runOn(empty, ['stats']);
    expect(out).toContain('no jobs\n');
    expect(out).toContain('avg run      - (no completed jobs)');
    expect(out).toContain('recent errors: none');
  });
});

describe('steward top', () => {
  it('prints --iterations frames, without screen clearing when stdout is not a terminal', async () => {
    const { code, out } = await runOn(file, ['top', '--iterations', '2', '--interval', '20']);
    expect(code).toBe(0);
    expect(out).not.toContain('\x1b[');
    const frames = out.split(/\n(?=steward top: )/);
    expect(frames).toHaveLength(2);
    expect(frames[0]).toMatch(/^steward top: sqlite:.* every 20 ms \(Ctrl-C quits\)/);
    expect(frames[0]).toMatch(/^default\s+1\s+0\s+0\s+0\s+0\s+1\s+0\s+1\s+3\s+-$/m);
    expect(frames[0]).toContain('queued 3, executing 1, completed/s -');
    expect(frames[1]).toMatch(/^default(\s+\d+){9}\s+0\.0$/m);
  });

  it('clears the screen before each frame on a terminal', async () => {
    const { out } = await runOn(file, ['top', '--iterations', '2', '--interval', '20'], { isTTY: true });
    expect(out.split('\x1b[H\x1b[2J')).toHaveLength(3);
    expect(out.startsWith('\x1b[H\x1b[2J')).toBe(true);
  });

  it('derives completed/s from the change in counts between frames', async () => {
    const busy = join(tmp.dir, 'busy.db');
    await withSqlite(busy, (store) => store.insertJobs(Array.from({ length: 30 }, () => insert('k'))));
    const top = start(['--store', `sqlite:${busy}`, 'top', '--interval', '3000', '--iterations', '2']);
    await waitFor(() => top.out().includes('completed/s -'), { timeout: 10_000 });
    await withSqlite(busy, async (store) => {
      const got = await store.fetchJobs({ queue: 'default', demand: 30, owner: 't', leaseMs: 60_000 });
      for (const j of got) await store.completeJob({ id: j.id, token: j.lease!.token }, null);
    });
    const { code, out } = await top.done;
    expect(code).toBe(0);
    const last = out.split(/\n(?=steward top: )/)[1]!;
    const rate = Number(/completed\/s ([\d.]+)/.exec(last)?.[1]);
    // 30 completions (made well within the 3 s interval) over the time between the two frames,
    // which is at least the interval: above 0, at most 10/s.
    expect(rate).toBeGreaterThan(0);
    expect(rate).toBeLessThanOrEqual(10);
  });

  it('stops on SIGINT and exits 0', async () => {
    const top = start(['--store', `sqlite:${file}`, 'top', '--interval', '60000']);
    await waitFor(() => top.out().includes('steward top:'), { timeout: 10_000 });
    top.signal('SIGINT');
    const { code, out } = await top.done;
    expect(code).toBe(0);
    expect(out.match(/steward top:/g)).toHaveLength(1);
  });

  it('exits 2 on a bad --interval', async () => {
    expect((await runOn(file, ['top', '--interval', '0'])).code).toBe(2);
    expect((await runOn(file, ['top', '--iterations', 'two'])).code).toBe(2);
  });
});

describe('steward migrate', () => {
  it('creates a new store and says which migrations it applied; then says it is up to date', async () => {
    const fresh = join(tmp.dir, 'fresh.db');
    const first = await runOn(fresh, ['migrate']);
    expect(first).toEqual({
      code: 0,
      out: `sqlite:${fresh}: schema version 2 (applied now: 0001_init, 0002_jobs_without_checks)\n`,
      err: '',
    });
    const db = new Database(fresh, { readonly: true });
    try {
      expect(db.prepare('SELECT version FROM steward_migrations').pluck().all()).toEqual([1, 2]);
    } finally {
      db.close();
    }
    expect((await runOn(fresh, ['migrate'])).out).toBe(
      `sqlite:${fresh}: schema version 2, up to date (nothing to apply)\n`,
    );
    expect(jsonOf(await runOn(fresh, ['migrate', '--json']))).toEqual({
      store: `sqlite:${fresh}`,
      version: 2,
      applied: [],
      message: `sqlite:${fresh}: schema version 2, up to date (nothing to apply)`,
    });
  });

  it('reports the applied migrations as JSON', async () => {
    const fresh = join(tmp.dir, 'fresh-json.db');
    const r = jsonOf<{ version: number; applied: unknown[] }>(await runOn(fresh, ['migrate', '--json']));
    expect(r).toMatchObject({
      version: 2,
      applied: [
        { version: 1, name: 'init' },
        { version: 2, name: 'jobs_without_checks' },
      ],
    });
  });

  it('says a memory store has nothing to migrate', async () => {
    const { code, out } = await runOn('ignored', ['--store', 'memory:', 'migrate']);
    expect(code).toBe(0);
    expect(out).toBe('the store memory: is in memory and keeps nothing between runs: nothing to migrate\n');
  });

  it('exits 1 for a file that is not a database, leaving it alone', async () => {
    const text = join(tmp.dir, 'notes.db');
    const content = 'plain text, not a database; '.repeat(40);
    writeFileSync(text, content);
    const { code, err } = await runOn(text, ['migrate']);
    expect(code).toBe(1);
    expect(err).toMatch(/^steward: Cannot open the SQLite store .*not a SQLite database/);
    expect(existsSync(`${text}-wal`)).toBe(false);
  });
});
