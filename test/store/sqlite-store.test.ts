/**
 * SQLite store extras beyond the conformance suite: what it says it is, its options and URLs, its
 * connection settings, restarts, group commit, the per-commit counts, the rate log staying small,
 * listings by state, fake timers, and the query plans that keep fetch fast however many jobs have
 * finished.
 */
import Database from 'better-sqlite3';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { openDatabase } from '../../src/store/sqlite-db.js';
import { GroupCommit } from '../../src/store/sqlite-group.js';
import { MIGRATIONS } from '../../src/store/sqlite-migrations.js';
import { PLANNED_ADMIN } from '../../src/store/sqlite-admin.js';
import { PLANNED_TAKE } from '../../src/store/sqlite-take.js';
import { JOB_COLUMNS } from '../../src/store/sqlite-rows.js';
import { createSqliteStore } from '../../src/store/sqlite.js';
import { openStore } from '../../src/store/open.js';
import type { JobInsert, JobRecord, Store, StoreEvent } from '../../src/store/types.js';
import { ManualClock } from '../../src/testing/clock.js';
import { jobInsert } from '../fixtures/job-insert.js';

const root = mkdtempSync(join(tmpdir(), 'steward-sqlite-store-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
let n = 0;
const fresh = (): string => join(root, `db-${++n}.db`);

const job = (over: Partial<JobInsert> = {}): JobInsert =>
  jobInsert({ queue: 'q', payload: { n: 1 }, runAt: 1_000, ...over });
const leaseOf = (j: JobRecord) => ({ id: j.id, token: (j.lease as { token: number }).token });
const take = async (store: Store, queue = 'q', demand = 1): Promise<JobRecord[]> =>
  store.fetchJobs({ queue, demand, owner: 'w', leaseMs: 30_000 });

/** A second, raw connection on the store's file, closed after `fn`. */
function raw<T>(path: string, fn: (db: Database.Database) => T): T {
  const db = new Database(path);
  try {
    return fn(db);
  } finally {
    db.close();
  }
}

describe('sqlite store: what it is and how it is configured', () => {
  it('says it is durable and shared by processes on one host, with this process’s events only', () => {
    expect(createSqliteStore({ path: fresh() }).capabilities).toEqual({
      durable: true,
      multiProcess: true,
      multiHost: false,
      crossProcessEvents: false,
    });
    expect(createSqliteStore({ path: ':memory:' }).capabilities).toMatchObject({
      durable: false,
      multiProcess: false,
    });
    expect(createSqliteStore({ path: ':memory:' }).kind).toBe('sqlite');
  });

  it('rejects bad options, naming each', () => {
    expect(() => createSqliteStore({ path: '' })).toThrow(/`path`[\s\S]*""/);
    expect(() => createSqliteStore({ path: 'x.db', synchronous: 'off' as never })).toThrow(
      /`synchronous` to be "full", "normal" or "extra", got `"off"`/,
    );
    expect(() => createSqliteStore({ path: 'x.db', busyTimeoutMs: -1 })).toThrow(
      /`busyTimeoutMs`[\s\S]*`-1`/,
    );
    expect(() => createSqliteStore({ path: 'x.db', detectDeadNodes: 'yes' as never })).toThrow(
      /`detectDeadNodes`/,
    );
    expect(() => createSqliteStore({ path: 'x.db', clock: 5 as never })).toThrow(/`clock`[\s\S]*`5`/);
    expect(() => createSqliteStore(null as never)).toThrow(/`opts`/);
  });

  it('opens from `sqlite:<path>` and `sqlite::memory:` URLs, and refuses a URL without a path', async () => {
    const path = fresh();
    const clock = new ManualClock(42_000);
    const store = openStore(`sqlite:${path}`, { clock: clock.now });
    expect(store.kind).toBe('sqlite');
    expect(store.now()).toBe(42_000);
    const [res] = await store.insertJobs([job()]);
    await store.close();
    const again = openStore(`sqlite:${path}`);
    expect((await again.getJob(res?.job.id as string))?.insertedAt).toBe(42_000);
    await again.close();
    const mem = openStore('sqlite::memory:');
    expect(mem.capabilities.durable).toBe(false);
    expect(await mem.insertJobs([job()])).toHaveLength(1);
    await mem.close();
    expect(() => openStore('sqlite:')).toThrow(/`sqlite:<path>` with a file path[\s\S]*"sqlite:"/);
    expect(() => openStore('sqlite://host/x.db')).toThrow(/"sqlite:\/\/host\/x.db"/);
  });

  it('takes `synchronous` and `busyTimeoutMs` after a `?` in the URL, and refuses anything else there', async () => {
    const path = fresh();
    const store = openStore(`sqlite:${path}?synchronous=normal&busyTimeoutMs=250`);
    expect(await store.insertJobs([job()])).toHaveLength(1);
    await store.close();
    expect(existsSync(path)).toBe(true);
    expect(existsSync(`${path}?synchronous=normal&busyTimeoutMs=250`)).toBe(false);
    expect(() => openStore(`sqlite:${path}?synchronous=off`)).toThrow(/synchronous=.*full, normal or extra/);
    expect(() => openStore(`sqlite:${path}?busyTimeoutMs=soon`)).toThrow(/busyTimeoutMs=.*milliseconds/);
    expect(() => openStore(`sqlite:${path}?cache=big`)).toThrow(
      /only the settings `synchronous` and `busyTimeoutMs`/,
    );
  });

  it('runs in WAL mode with a busy timeout, synchronous FULL by default and NORMAL when asked', () => {
    const full = openDatabase({ path: fresh(), synchronous: 'full', busyTimeoutMs: 5000 }, MIGRATIONS, 0);
    const normal = openDatabase({ path: fresh(), synchronous: 'normal', busyTimeoutMs: 250 }, MIGRATIONS, 0);
    try {
      expect(full.pragma('journal_mode', { simple: true })).toBe('wal');
      expect(full.pragma('synchronous', { simple: true })).toBe(2);
      expect(full.pragma('busy_timeout', { simple: true })).toBe(5000);
      expect(normal.pragma('synchronous', { simple: true })).toBe(1);
      expect(normal.pragma('busy_timeout', { simple: true })).toBe(250);
    } finally {
      full.close();
      normal.close();
    }
  });

  it('fails a call that cannot get the write lock within busyTimeoutMs, saying so, and changes nothing', async () => {
    const path = fresh();
    const store = createSqliteStore({ path, busyTimeoutMs: 50 });
    await store.open();
    const other = new Database(path);
    try {
      other.exec('BEGIN IMMEDIATE');
      await expect(store.insertJobs([job()])).rejects.toThrow(
        /is busy: another connection held the write lock longer than busyTimeoutMs \(50 ms\); nothing was changed/,
      );
      other.exec('ROLLBACK');
      expect(await store.countJobs()).toEqual({});
      expect(await store.insertJobs([job()])).toHaveLength(1);
    } finally {
      other.close();
      await store.close();
    }
  });
});

describe('sqlite store: durability and restarts', () => {
  it('reloads scheduled, retryable, dead-lettered, waiting and finished jobs, paused queues and leases as they were', async () => {
    const path = fresh();
    const clock = new ManualClock(1_000_000);
    const store = createSqliteStore({ path, clock: clock.now });
    const [scheduled, parent, child] = (
      await store.insertJobs([
        job({ runAt: 2_000_000, tags: ['later'] }),
        job({ queue: 'p', ref: 'p', payload: { deep: [1, { x: 'y' }] } }),
        job({ queue: 'c', dependsOn: [{ ref: 'p' }] }),
      ])
    ).map((r) => r.job);
    const [failing] = await store.insertJobs([job({ queue: 'r' }), job({ queue: 'd', maxAttempts: 1 })]);
    const [r] = await take(store, 'r');
    await store.errorJob(
      leaseOf(r as JobRecord),
      { attempt: 1, at: clock.now(), name: 'Error', message: 'boom' },
      1_500_000,
    );
    const [d] = await take(store, 'd');
    await store.errorJob(
      leaseOf(d as JobRecord),
      { attempt: 1, at: clock.now(), name: 'Error', message: 'dead' },
      null,
    );
    const [p] = await take(store, 'p');
    await store.recordProgress(leaseOf(p as JobRecord), { pct: 50 });
    await store.cancelJobs([(p as JobRecord).id]);
    await store.pauseQueue('paused');
    const ids = [scheduled, parent, child, failing?.job, r, d].map((j) => (j as JobRecord).id);
    const before = await Promise.all(ids.map((id) => store.getJob(id)));
    const counts = await store.countJobs();
    const queues = await store.listQueues();
    await store.close();

    const again = createSqliteStore({ path, clock: clock.now });
    expect(await Promise.all(ids.map((id) => again.getJob(id)))).toEqual(before);
    expect(before.map((j) => j?.state)).toEqual([
      'scheduled',
      'executing',
      'waiting',
      'retryable',
      'retryable',
      'discarded',
    ]);
    expect(await again.countJobs()).toEqual(counts);
    expect(await again.listQueues()).toEqual(queues);
    // The lease still holds after the restart (tokens are stored), and its cancel request too.
    expect(await again.heartbeat([leaseOf(p as JobRecord)], 30_000)).toEqual([
      { id: (p as JobRecord).id, held: true, cancelRequested: true },
    ]);
    // Tokens keep increasing across restarts: a new lease never repeats an old token.
    clock.advance(600_000);
    await again.stageJobs(10);
    const [retried] = await take(again, 'r');
    expect(retried?.lease?.token).toBeGreaterThan((p as JobRecord).lease?.token as number);
    await again.close();
  });

  it('never reuses the id of a deleted or pruned job, even across a restart', async () => {
    const path = fresh();
    const store = createSqliteStore({ path });
    const [a] = await store.insertJobs([job()]);
    expect(await store.deleteJobs([a?.job.id as string])).toBe(1);
    const [b] = await store.insertJobs([job()]);
    expect(Number(b?.job.id)).toBeGreaterThan(Number(a?.job.id));
    await store.cancelJobs([b?.job.id as string]);
    expect(await store.pruneJobs({ before: Date.now() + 1, states: ['cancelled'], limit: 10 })).toBe(1);
    await store.close();
    const again = createSqliteStore({ path });
    const [c] = await again.insertJobs([job()]);
    expect(Number(c?.job.id)).toBeGreaterThan(Number(b?.job.id));
    await again.close();
  });

  it('finishes the calls made before close, then rejects', async () => {
    const path = fresh();
    const store = createSqliteStore({ path });
    await store.open();
    const pending = store.insertJobs([job()]);
    await store.close();
    const [res] = await pending;
    await expect(store.getJob('1')).rejects.toThrow(/sqlite store has stopped/);
    const again = createSqliteStore({ path });
    expect((await again.getJob(res?.job.id as string))?.state).toBe('available');
    await again.close();
  });
});

describe('sqlite store: group commit', () => {
  it('commits the calls of one tick together, each all or nothing, and announces only those that committed', async () => {
    const store = createSqliteStore({ path: fresh() });
    await store.open();
    const events: StoreEvent[] = [];
    store.subscribe((e) => events.push(e));
    const settled = await Promise.allSettled([
      store.insertJobs([job({ queue: 'a' })]),
      store.insertJobs([job({ queue: 'b' }), job({ queue: 'b', dependsOn: ['424242'] })]),
      store.insertJobs([job({ queue: 'c' })]),
    ]);
    expect(settled.map((s) => s.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect((settled[1] as PromiseRejectedResult).reason).toBeInstanceOf(Error);
    expect(String((settled[1] as PromiseRejectedResult).reason)).toMatch(/424242/);
    expect(await store.countJobs()).toEqual({ a: { available: 1 }, c: { available: 1 } });
    expect(events.map((e) => e.type === 'inserted' && e.queue)).toEqual(['a', 'c']);
    await store.close();
  });

  it('lets a read made after a write in the same tick see that write', async () => {
    const store = createSqliteStore({ path: fresh() });
    await store.open();
    const inserted = store.insertJobs([job()]);
    const listed = store.listJobs();
    const [res] = await inserted;
    expect((await listed).map((j) => j.id)).toEqual([res?.job.id]);
    await store.close();
  });

  it('keeps 200 concurrent fetches and completions exactly-once', async () => {
    const store = createSqliteStore({ path: fresh() });
    await store.insertJobs(Array.from({ length: 200 }, (_, i) => job({ payload: i })));
    const got = (await Promise.all(Array.from({ length: 200 }, () => take(store)))).flat();
    expect(new Set(got.map((j) => j.id)).size).toBe(200);
    const done = await Promise.all(got.map((j) => store.completeJob(leaseOf(j), null)));
    expect(done.every((d) => d.ok)).toBe(true);
    expect(await store.countJobs()).toEqual({ q: { completed: 200 } });
    await store.close();
  });
});

describe('GroupCommit', () => {
  const setup = () => {
    const db = new Database(':memory:');
    db.exec('CREATE TABLE t (v INTEGER NOT NULL CHECK (v >= 0))');
    const committed: string[][] = [];
    const group = new GroupCommit<string[]>(db, 'test store', {
      afterCommit: (steps) => committed.push(steps.flat()),
    });
    const insert = (v: number, tag: string) =>
      group.write(() => db.prepare('INSERT INTO t (v) VALUES (?)').run(v).changes, [tag]);
    const sum = () => group.read(() => db.prepare('SELECT coalesce(sum(v), 0) FROM t').pluck().get());
    return { db, group, committed, insert, sum };
  };

  it('runs the writes of one tick in one transaction, a failing one rolled back alone', async () => {
    const { db, group, committed, insert, sum } = setup();
    const settled = await Promise.allSettled([insert(1, 'a'), insert(-1, 'bad'), insert(2, 'b'), sum()]);
    expect(settled.map((s) => s.status)).toEqual(['fulfilled', 'rejected', 'fulfilled', 'fulfilled']);
    expect((settled[3] as PromiseFulfilledResult<unknown>).value).toBe(3);
    expect(group.commits).toBe(1);
    expect(committed).toEqual([['a', 'b']]);
    await insert(4, 'c');
    expect(group.commits).toBe(2);
    expect(await sum()).toBe(7);
    db.close();
  });

  it('runs a read at once when nothing is queued', async () => {
    const { db, sum } = setup();
    db.prepare('INSERT INTO t (v) VALUES (5)').run();
    const p = sum();
    db.prepare('INSERT INTO t (v) VALUES (6)').run();
    expect(await p).toBe(5);
    db.close();
  });

  it('runs queued calls on close, then rejects new ones', async () => {
    const { db, group, insert, sum } = setup();
    const p = insert(1, 'a');
    group.close();
    await expect(p).resolves.toBe(1);
    await expect(insert(2, 'b')).rejects.toThrow(/test store has stopped/);
    await expect(sum()).rejects.toThrow(/test store has stopped/);
    db.close();
  });
});

describe('sqlite store: tables that stay right and small', () => {
  it('keeps the counts table equal to the job table through every kind of transition', async () => {
    const path = fresh();
    const clock = new ManualClock(1_000_000);
    const store = createSqliteStore({ path, clock: clock.now });
    const made = await store.insertJobs([
      ...Array.from({ length: 30 }, (_, i) =>
        job({ queue: `q${i % 3}`, maxAttempts: 2, runAt: 1_000_000 + (i % 2) * 100 }),
      ),
      job({ queue: 'q0', ref: 'root' }),
      job({ queue: 'q1', ref: 'kid', dependsOn: [{ ref: 'root' }] }),
      job({ queue: 'q2', dependsOn: [{ ref: 'kid' }] }),
    ]);
    for (let round = 0; round < 4; round++) {
      for (const q of ['q0', 'q1', 'q2']) {
        const jobs = await take(store, q, 4);
        for (const [i, j] of jobs.entries()) {
          const l = leaseOf(j);
          const at = clock.now();
          if (i === 0) await store.completeJob(l, { ok: true });
          else if (i === 1)
            await store.errorJob(l, { attempt: j.attempt, at, name: 'E', message: 'x' }, at + 10);
          else if (i === 2) await store.snoozeJob(l, at + 50);
          // i === 3 keeps its lease until it expires
        }
      }
      clock.advance(31_000);
      await store.rescueJobs();
      await store.stageJobs(100);
    }
    // The dependency paths: a completed parent wakes its child, a cancelled one cascades.
    const [, , cancelled] = await store.insertJobs([
      job({ queue: 'q4', ref: 'done' }),
      job({ queue: 'q4', dependsOn: [{ ref: 'done' }] }),
      job({ queue: 'q3', ref: 'gone' }),
      job({ queue: 'q3', dependsOn: [{ ref: 'gone' }] }),
    ]);
    const [parent] = await take(store, 'q4');
    await store.completeJob(leaseOf(parent as JobRecord), null);
    await store.cancelJobs([cancelled?.job.id as string]);
    await store.cancelJobs(made.slice(0, 5).map((r) => r.job.id));
    await store.retryJobs(made.slice(0, 3).map((r) => r.job.id));
    await store.deleteJobs(made.slice(5, 8).map((r) => r.job.id));
    await store.pruneJobs({ before: clock.now() + 1, states: ['completed'], limit: 5 });
    const truth = raw(path, (db) => {
      const rows = db
        .prepare('SELECT queue, state, count(*) AS n FROM steward_jobs GROUP BY queue, state')
        .all() as {
        queue: string;
        state: string;
        n: number;
      }[];
      const out: Record<string, Record<string, number>> = {};
      for (const row of rows) (out[row.queue] ??= {})[row.state] = row.n;
      return out;
    });
    expect(Object.values(truth).flatMap((s) => Object.keys(s)).length).toBeGreaterThan(5);
    expect(truth.q4).toEqual({ completed: 1, available: 1 });
    expect(truth.q3).toEqual({ cancelled: 2 });
    expect(await store.countJobs()).toEqual(truth);
    await store.close();
  });

  it('prunes the rate log as its window slides', async () => {
    const path = fresh();
    const clock = new ManualClock(1_000_000);
    const store = createSqliteStore({ path, clock: clock.now });
    await store.insertJobs(Array.from({ length: 50 }, () => job()));
    for (let i = 0; i < 40; i++) {
      await store.fetchJobs({
        queue: 'q',
        demand: 1,
        owner: 'w',
        leaseMs: 1000,
        rateLimit: { limit: 100, windowMs: 500 },
      });
      clock.advance(100);
    }
    const rows = raw(path, (db) => db.prepare('SELECT count(*) FROM steward_rate').pluck().get() as number);
    expect(rows).toBeLessThanOrEqual(5);
    await store.close();
  });

  it('deletes pruned and deleted jobs’ dependency rows', async () => {
    const path = fresh();
    const store = createSqliteStore({ path });
    const [parent, child] = await store.insertJobs([job({ ref: 'p' }), job({ dependsOn: [{ ref: 'p' }] })]);
    expect(raw(path, (db) => db.prepare('SELECT count(*) FROM steward_deps').pluck().get())).toBe(1);
    await store.cancelJobs([parent?.job.id as string]);
    expect((await store.getJob(child?.job.id as string))?.state).toBe('cancelled');
    expect(await store.pruneJobs({ before: Date.now() + 1, states: ['cancelled'], limit: 10 })).toBe(2);
    expect(raw(path, (db) => db.prepare('SELECT count(*) FROM steward_deps').pluck().get())).toBe(0);
    await store.close();
  });
});

describe('sqlite store: listings by state', () => {
  it('pages through each state (walking its partial index) in both orders, as a full listing filtered would', async () => {
    const clock = new ManualClock(1_000_000);
    const store = createSqliteStore({ path: fresh(), clock: clock.now });
    await store.insertJobs(
      Array.from({ length: 40 }, (_, i) => job({ queue: `q${i % 2}`, runAt: i % 5 === 0 ? 2_000_000 : 1 })),
    );
    for (const q of ['q0', 'q1']) {
      const taken = await take(store, q, 12);
      for (const [i, j] of taken.entries()) {
        const at = clock.now();
        if (i % 4 === 0) await store.completeJob(leaseOf(j), null);
        else if (i % 4 === 1)
          await store.errorJob(leaseOf(j), { attempt: 1, at, name: 'E', message: 'x' }, null);
        else if (i % 4 === 2)
          await store.errorJob(leaseOf(j), { attempt: 1, at, name: 'E', message: 'x' }, at + 5);
      }
    }
    const all = await store.listJobs({ limit: 1000 });
    const states = ['scheduled', 'available', 'executing', 'retryable', 'completed', 'discarded'] as const;
    for (const state of states)
      expect(
        all.some((j) => j.state === state),
        state,
      ).toBe(true);
    const filters = [...states.map((s) => [s]), ['discarded', 'retryable'], ['available', 'completed']];
    for (const wanted of filters) {
      for (const queue of [undefined, 'q1']) {
        for (const order of ['asc', 'desc'] as const) {
          const expected = all
            .filter(
              (j) =>
                (wanted as readonly string[]).includes(j.state) && (queue === undefined || j.queue === queue),
            )
            .map((j) => j.id);
          if (order === 'desc') expected.reverse();
          const seen: string[] = [];
          let after: string | undefined;
          for (;;) {
            const page = await store.listJobs({
              state: wanted as JobRecord['state'][],
              limit: 3,
              order,
              ...(queue === undefined ? {} : { queue }),
              ...(after === undefined ? {} : { after }),
            });
            if (page.length === 0) break;
            seen.push(...page.map((j) => j.id));
            after = page.at(-1)?.id;
          }
          expect(seen, `${wanted.join('+')} ${queue ?? ''} ${order}`).toEqual(expected);
        }
      }
    }
    await store.close();
  });
});

describe('sqlite store under fake timers', () => {
  it('keeps working: group commit waits for the turn through node:timers, which vitest does not fake', async () => {
    vi.useFakeTimers();
    try {
      const store = createSqliteStore({ path: fresh() });
      const [res] = await store.insertJobs([job()]);
      const [got] = await take(store);
      expect(got?.id).toBe(res?.job.id);
      expect((await store.completeJob(leaseOf(got as JobRecord), 1)).ok).toBe(true);
      await store.close();
    } finally {
      vi.useRealTimers();
    }
  });
});

describe('sqlite store: raw rows', () => {
  it('reads raw rows in the table’s column order (rowOf and the schema agree)', () => {
    const db = openDatabase({ path: fresh(), synchronous: 'normal', busyTimeoutMs: 1000 }, MIGRATIONS, 0);
    try {
      const names = (db.prepare('PRAGMA table_info(steward_jobs)').all() as { name: string }[]).map(
        (c) => c.name,
      );
      expect(names).toEqual([...JOB_COLUMNS]);
    } finally {
      db.close();
    }
  });
});

describe('sqlite store: query plans', () => {
  it('walks a partial index, without a scan or a sort, for fetch, stage, rescue and prune — even with 100,000 finished jobs', () => {
    const db = openDatabase({ path: fresh(), synchronous: 'normal', busyTimeoutMs: 1000 }, MIGRATIONS, 0);
    try {
      // A realistic shape for the planner: many finished jobs, a few live ones, then ANALYZE.
      db.exec(`WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 100000)
        INSERT INTO steward_jobs (kind, queue, payload, state, priority, max_attempts, run_at, inserted_at, finished_at)
        SELECT 'k', 'q' || (i % 5), '{}', 'completed', i % 10, 1, i, i, i FROM n`);
      db.exec(`INSERT INTO steward_jobs (kind, queue, payload, state, priority, max_attempts, run_at, inserted_at)
        VALUES ('k', 'q1', '{}', 'available', 5, 1, 1, 1), ('k', 'q1', '{}', 'scheduled', 5, 1, 9, 1)`);
      db.exec('ANALYZE');
      const expected: Record<string, string> = {
        fetch: 'steward_jobs_fetch',
        mayFetch: 'steward_jobs_fetch',
        unique: 'steward_jobs_unique',
        mayRescue: 'steward_jobs_lease',
        expired: 'steward_jobs_lease',
        held: 'steward_jobs_lease',
        nextDue: 'steward_jobs_due',
        due: 'steward_jobs_due',
        prune: 'steward_jobs_finished',
      };
      const planned: Record<string, string> = { ...PLANNED_TAKE, ...PLANNED_ADMIN };
      expect(Object.keys(planned).sort()).toEqual(Object.keys(expected).sort());
      for (const [name, sql] of Object.entries(planned)) {
        const params = Array.from({ length: (sql.match(/\?/g) ?? []).length }, () => 1);
        const plan = (db.prepare(`EXPLAIN QUERY PLAN ${sql}`).all(...params) as { detail: string }[]).map(
          (r) => r.detail,
        );
        const onJobs = plan.filter((d) => / steward_jobs\b/.test(d));
        expect(
          onJobs.some((d) => d.includes(`INDEX ${expected[name]}`)),
          `${name}: ${plan.join(' | ')}`,
        ).toBe(true);
        // The only full walk allowed is of the executing jobs' own (small) index, by owner.
        for (const d of onJobs) {
          if (name !== 'held') expect(d, `${name}: ${plan.join(' | ')}`).not.toMatch(/^SCAN/);
        }
        expect(plan.join(' | '), name).not.toMatch(/TEMP B-TREE/);
      }
    } finally {
      db.close();
    }
  });
});
