import { describe, expect, it } from 'vitest';
import { describeStore } from './conformance.js';
import { createMemoryStore } from '../../src/store/memory.js';
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

  it('says the SQLite and PostgreSQL stores are not available yet', () => {
    expect(() => openStore('sqlite:./jobs.db')).toThrow(/SQLite store is not available yet/);
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
    const before = { jobs: t.jobs.toList(), ready: t.ready.toList(), counts: [...(t.counts.get('q') ?? [])] };
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
    expect(t.ready.toList()).toEqual(before.ready);
    expect(t.timed.toList()).toEqual([]);
    expect(t.children.toList()).toEqual([]);
    expect([...(t.counts.get('q') ?? [])]).toEqual(before.counts);
    expect(t.counts.has('new')).toBe(false);
    expect(t.queues.toList()).toEqual([['q', false]]);
    t.drop();
  });
});
