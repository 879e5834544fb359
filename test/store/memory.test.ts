import { describe, expect, it } from 'vitest';
import { describeStore } from './conformance.js';
import { rng } from './conformance-helpers.js';
import { createMemoryStore } from '../../src/store/memory.js';
import { pruneJobs } from '../../src/store/memory-admin.js';
import { JobOps } from '../../src/store/memory-ops.js';
import { planBatch } from '../../src/store/memory-plan.js';
import { checkInsert } from '../../src/store/memory-validate.js';
import { openStore } from '../../src/store/open.js';
import type { JobInsert, JobRecord } from '../../src/store/types.js';
import { captureReports } from '../../src/testing/index.js';
import { ManualClock } from '../../src/testing/clock.js';

describeStore('memory', async () => {
  const clock = new ManualClock();
  return { store: createMemoryStore({ clock: clock.now }), clock };
});

const job = (over: Partial<JobInsert> = {}): JobInsert => ({
  kind: 'k',
  queue: 'q',
  payload: null,
  priority: 5,
  maxAttempts: 1,
  runAt: 0,
  timeoutMs: null,
  dependsOn: [],
  unique: null,
  tags: [],
  ...over,
});

describe('memory store extras', () => {
  it('says it is a memory store: not durable, one process', () => {
    const store = createMemoryStore();
    expect(store.kind).toBe('memory');
    expect(store.capabilities).toEqual({
      durable: false,
      multiProcess: false,
      multiHost: false,
      crossProcessEvents: false,
    });
  });

  it('hands out frozen records: a write to one throws', async () => {
    const store = createMemoryStore({ clock: () => 1000 });
    const [res] = await store.insertJobs([job({ payload: { a: [1] } })]);
    const rec = res?.job as JobRecord;
    expect(() => ((rec as { state: string }).state = 'completed')).toThrow(TypeError);
    expect(() => (rec.payload as { a: number[] }).a.push(2)).toThrow(TypeError);
    expect(() => (rec.dependsOn as string[]).push('x')).toThrow(TypeError);
  });

  it('uses Date.now when no clock is given', () => {
    const before = Date.now();
    const now = createMemoryStore().now();
    expect(now).toBeGreaterThanOrEqual(before);
    expect(now).toBeLessThanOrEqual(Date.now());
  });

  it('rejects a clock that is not a function, naming it', () => {
    expect(() => createMemoryStore({ clock: 5 as never })).toThrow(/`clock`[\s\S]*`5`/);
  });

  it('reports a listener that throws, and still completes the step and tells other listeners', async () => {
    const capture = captureReports();
    try {
      const store = createMemoryStore({ clock: () => 1000 });
      const seen: string[] = [];
      store.subscribe(() => {
        throw new Error('listener broke');
      });
      store.subscribe((e) => seen.push(e.type));
      const [res] = await store.insertJobs([job()]);
      expect(res?.job.state).toBe('available');
      expect(seen).toEqual(['inserted']);
      expect(capture.reports.map((r) => [r.event, r.reason?.message])).toEqual([
        ['listener.crashed', 'listener broke'],
      ]);
    } finally {
      capture.dispose();
    }
  });

  it('inserts a 20,000-job dependency chain given child first, without overflowing the stack', async () => {
    const store = createMemoryStore({ clock: () => 1000 });
    const n = 20_000;
    const batch = Array.from({ length: n }, (_, i) =>
      job({ ref: `j${n - 1 - i}`, dependsOn: i === n - 1 ? [] : [{ ref: `j${n - 2 - i}` }] }),
    );
    const results = await store.insertJobs(batch);
    expect(results[n - 1]?.job.state).toBe('available');
    expect(results[0]?.job.state).toBe('waiting');
    expect(await store.countJobs()).toEqual({ q: { available: 1, waiting: n - 1 } });
  });

  it('rejects a batch that is not an array, naming it', async () => {
    await expect(createMemoryStore().insertJobs({} as never)).rejects.toThrow(/`jobs`/);
  });
});

describe('openStore', () => {
  it('opens a memory store from `memory:` with the given clock', () => {
    const clock = new ManualClock(5000);
    const store = openStore('memory:', { clock: clock.now });
    expect(store.kind).toBe('memory');
    expect(store.now()).toBe(5000);
  });

  it('returns a Store object as it is', () => {
    const store = createMemoryStore();
    expect(openStore(store)).toBe(store);
  });

  it('says the PostgreSQL store is not available yet', () => {
    expect(() => openStore('postgres://localhost/jobs')).toThrow(/PostgreSQL store is not available yet/);
    expect(() => openStore('postgresql://localhost/jobs')).toThrow(/PostgreSQL store is not available yet/);
  });

  it('rejects anything else, naming the value and the accepted forms', () => {
    expect(() => openStore('redis://x')).toThrow(/`store`[\s\S]*"redis:\/\/x"/);
    expect(() => openStore('redis://x')).toThrow(/`memory:`, `sqlite:<path>` or `postgres:\/\/<connection>`/);
    expect(() => openStore('memory:extra')).toThrow(/"memory:extra"/);
    expect(() => openStore(42 as never)).toThrow(/`42`/);
  });
});

describe('ManualClock', () => {
  it('stands still until advanced or set', () => {
    const clock = new ManualClock(1000);
    expect(clock.now()).toBe(1000);
    expect(clock.advance(250)).toBe(1250);
    expect(clock.set(10)).toBe(10);
    const { now } = clock;
    expect(now()).toBe(10);
  });

  it('starts at a fixed epoch time by default', () => {
    expect(new ManualClock().now()).toBe(1_700_000_000_000);
  });

  it('rejects negative or fractional moves, naming the value', () => {
    const clock = new ManualClock(0);
    expect(() => clock.advance(-1)).toThrow(/`ms`[\s\S]*`-1`/);
    expect(() => clock.advance(0.5)).toThrow(/`0.5`/);
    expect(() => clock.set(Number.NaN)).toThrow(/`NaN`/);
    expect(() => new ManualClock(-5)).toThrow(/`start`[\s\S]*`-5`/);
  });
});

describe('memory store atomic steps', () => {
  it('undoes every table, the counts and new queues when a step throws midway', async () => {
    const t = new JobOps();
    t.now = 1000;
    const one = [checkInsert(job(), 0)];
    t.atomic(() =>
      t.insertBatch(
        one,
        planBatch(one, () => false),
      ),
    );
    const slot = t.queues.get('q');
    const before = {
      jobs: t.jobs.toList(),
      ids: t.ids.toList(),
      ready: slot?.ready.toList(),
      counts: [...(slot?.counts ?? [])],
    };
    const batch = [
      job(),
      job({ queue: 'new', runAt: 5000 }),
      job({ ref: 'p' }),
      job({ dependsOn: [{ ref: 'p' }] }),
    ].map((j, i) => checkInsert(j, i));
    expect(() =>
      t.atomic(() => {
        t.insertBatch(
          batch,
          planBatch(batch, () => false),
        );
        expect(t.jobs.toList().length).toBe(5);
        throw new Error('midway');
      }),
    ).toThrow('midway');
    expect(t.jobs.toList()).toEqual(before.jobs);
    expect(t.ids.toList()).toEqual(before.ids);
    expect(t.queues.get('q')?.ready.toList()).toEqual(before.ready);
    expect(t.timed.toList()).toEqual([]);
    expect(t.children.toList()).toEqual([]);
    expect([...(t.queues.get('q')?.counts ?? [])]).toEqual(before.counts);
    expect([...t.queues.keys()]).toEqual(['q']);
    t.drop();
  });
});

describe('memory store indexes', () => {
  const finishAll = async (store: ReturnType<typeof createMemoryStore>): Promise<void> => {
    for (const j of await store.fetchJobs({ queue: 'q', demand: 100, owner: 'w', leaseMs: 1000 })) {
      expect((await store.completeJob({ id: j.id, token: j.lease?.token as number }, null)).ok).toBe(true);
    }
  };

  it('lists ids in order across pages emptied by deletes, both ways, from any cursor', async () => {
    const store = createMemoryStore({ clock: () => 1000 });
    const ids = (await store.insertJobs(Array.from({ length: 3000 }, (_, i) => job({ payload: i })))).map(
      (r) => r.job.id,
    );
    // A run long enough to empty a whole page of ids, plus a scattering of gaps.
    const gone = new Set([...ids.slice(1000, 2100), ...ids.filter((_, i) => i % 7 === 0)]);
    expect(await store.deleteJobs([...gone])).toBe(gone.size);
    const kept = ids.filter((id) => !gone.has(id));
    for (const order of ['asc', 'desc'] as const) {
      const seen: string[] = [];
      let after: string | undefined;
      for (;;) {
        const page = await store.listJobs({ limit: 333, order, ...(after ? { after } : {}) });
        if (page.length === 0) break;
        seen.push(...page.map((j) => j.id));
        after = page[page.length - 1]?.id;
      }
      expect(seen).toEqual(order === 'asc' ? kept : [...kept].reverse());
    }
    const cursor = ids[1500] as string; // deleted: the listing still continues from it
    const later = kept.filter((id) => Number(id) > Number(cursor));
    const earlier = kept.filter((id) => Number(id) < Number(cursor)).reverse();
    expect((await store.listJobs({ after: cursor, limit: 3 })).map((j) => j.id)).toEqual(later.slice(0, 3));
    expect((await store.listJobs({ after: cursor, order: 'desc', limit: 3 })).map((j) => j.id)).toEqual(
      earlier.slice(0, 3),
    );
  });

  it('prunes a job retried and finished again once, and never counts a deleted one', async () => {
    const clock = new ManualClock(10_000);
    const store = createMemoryStore({ clock: clock.now });
    const [a, b, c, d] = (await store.insertJobs([job({ maxAttempts: 3 }), job(), job(), job()])).map(
      (r) => r.job,
    ) as [JobRecord, JobRecord, JobRecord, JobRecord];
    await finishAll(store); // a, b, c, d completed at 10_000
    await store.retryJobs([a.id]);
    await finishAll(store); // a completed again at 10_000: logged twice
    clock.advance(5);
    await store.retryJobs([b.id]);
    await finishAll(store); // b completed again at 10_005: its row at 10_000 is stale
    await store.deleteJobs([c.id]); // gone: its row is stale
    expect(await store.pruneJobs({ before: 10_001, states: ['completed'], limit: 1 })).toBe(1);
    expect(await store.getJob(a.id)).toBeNull();
    expect(await store.pruneJobs({ before: 10_001, states: ['completed'], limit: 10 })).toBe(1);
    expect(await store.getJob(d.id)).toBeNull();
    expect((await store.getJob(b.id))?.state).toBe('completed');
    expect(await store.pruneJobs({ before: 10_001, states: ['completed'], limit: 10 })).toBe(0);
    expect(await store.pruneJobs({ before: 10_006, states: ['completed'], limit: 10 })).toBe(1);
    expect(await store.countJobs()).toEqual({});
  });

  it('prunes up to its limit, oldest first, when a thousand jobs finish in one millisecond', async () => {
    const clock = new ManualClock(10_000);
    const store = createMemoryStore({ clock: clock.now });
    const ids = (await store.insertJobs(Array.from({ length: 1000 }, () => job()))).map((r) => r.job.id);
    for (let i = 0; i < 10; i++) await finishAll(store); // all complete at 10_000
    clock.advance(1);
    const [late] = await store.insertJobs([job()]);
    await finishAll(store); // one more at 10_001
    const pruned = [await store.pruneJobs({ before: 10_001, states: ['completed'], limit: 300 })];
    expect(await store.getJob(ids[299] as string)).toBeNull();
    expect((await store.getJob(ids[300] as string))?.state).toBe('completed');
    for (let i = 0; i < 4; i++) {
      pruned.push(await store.pruneJobs({ before: 10_001, states: ['completed'], limit: 300 }));
    }
    expect(pruned).toEqual([300, 300, 300, 100, 0]);
    expect((await store.getJob(late?.job.id as string))?.state).toBe('completed');
    expect(await store.countJobs()).toEqual({ q: { completed: 1 } });
  });

  it('drops stale finish rows as prune passes them, keeping rows of states it was not asked for', () => {
    const t = new JobOps();
    t.now = 1000;
    const items = [job(), job()].map((j, i) => checkInsert(j, i));
    const [x, y] = t
      .insertBatch(
        items,
        planBatch(items, () => false),
      )
      .map((r) => r.job) as [JobRecord, JobRecord];
    t.end(Number(x.id), x, 'completed');
    t.end(Number(y.id), y, 'cancelled');
    t.move(Number(x.id), t.bySeq(Number(x.id)) as JobRecord, { state: 'available', finishedAt: null });
    expect(t.finishes.toList()).toEqual([
      [1000, Number(x.id)],
      [1000, Number(y.id)],
    ]);
    t.now = 2000;
    expect(pruneJobs(t, { before: 1001, states: ['completed'], limit: 10 })).toBe(0);
    expect(t.finishes.toList()).toEqual([[1000, Number(y.id)]]);
    t.drop();
  });

  it('fetches by priority, runAt, then id through releases, snoozes, retries and back-dated inserts', async () => {
    const clock = new ManualClock(1_000_000);
    const store = createMemoryStore({ clock: clock.now });
    const random = rng(11);
    const pick = (n: number): number => Math.floor(random() * n);
    type Key = { id: string; priority: number; runAt: number };
    let ready: Key[] = []; // the model: what fetch must return, in order
    const held: JobRecord[] = [];
    const retrying: Key[] = [];
    const byOrder = (p: Key, q: Key): number =>
      p.priority - q.priority || p.runAt - q.runAt || Number(p.id) - Number(q.id);
    let fetched = 0;
    for (let step = 0; step < 600; step++) {
      const now = clock.now();
      const r = random();
      if (r < 0.35) {
        const batch = Array.from({ length: 1 + pick(4) }, () =>
          job({ priority: pick(3), runAt: now - pick(40), maxAttempts: 99 }),
        );
        for (const res of await store.insertJobs(batch))
          ready.push({ id: res.job.id, priority: res.job.priority, runAt: res.job.runAt });
      } else if (r < 0.65) {
        const demand = 1 + pick(3);
        const got = await store.fetchJobs({ queue: 'q', demand, owner: 'w', leaseMs: 60_000 });
        ready.sort(byOrder);
        expect(got.length).toBe(Math.min(demand, ready.length));
        expect(got.map((j) => j.id)).toEqual(ready.slice(0, got.length).map((k) => k.id));
        ready = ready.slice(got.length);
        held.push(...got);
        fetched += got.length;
      } else if (held.length > 0) {
        const [j] = held.splice(pick(held.length), 1) as [JobRecord];
        const lease = { id: j.id, token: j.lease?.token as number };
        if (r < 0.78) {
          await store.releaseJob(lease);
          ready.push({ id: j.id, priority: j.priority, runAt: j.runAt });
        } else if (r < 0.9) {
          const runAt = now - pick(60);
          await store.snoozeJob(lease, runAt);
          ready.push({ id: j.id, priority: j.priority, runAt });
        } else {
          const retryAt = now + 1 + pick(5);
          await store.errorJob(lease, { attempt: j.attempt, at: now, name: 'Error', message: 'x' }, retryAt);
          retrying.push({ id: j.id, priority: j.priority, runAt: retryAt });
        }
      }
      clock.advance(pick(3));
      const due = retrying.filter((k) => k.runAt <= clock.now());
      expect((await store.stageJobs(1000)).staged).toBe(due.length);
      ready.push(...due);
      for (const k of due) retrying.splice(retrying.indexOf(k), 1);
    }
    expect(fetched).toBeGreaterThan(200);
    const rest = await store.fetchJobs({ queue: 'q', demand: 10_000, owner: 'w', leaseMs: 60_000 });
    expect(rest.map((j) => j.id)).toEqual(ready.sort(byOrder).map((k) => k.id));
  });
});
