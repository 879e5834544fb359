/**
 * Retention on SQLite: the pruner deletes finished jobs by age, each final state with its own age
 * (by default completed 1 day, cancelled 7 days, discarded 30 days), keeps `maxAgeMs` working as
 * "every state", keeps a state given `false` forever, and deletes in bounded batches. Time is a
 * manual clock handed to the store (`openStore(url, { clock })`), so ages are exact.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createSteward, openStore, UnrecoverableError } from '../../src/index.js';
import type { Steward, StewardOptions, Store } from '../../src/index.js';
import { ManualClock, waitFor } from '../../src/testing/index.js';

const root = mkdtempSync(join(tmpdir(), 'steward-queue-retention-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
let n = 0;

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const T0 = 1_700_000_000_000;

type Final = 'completed' | 'cancelled' | 'discarded';

/** A started Steward on a fresh SQLite file whose store runs on `clock`; counts the pruner's deletes. */
async function stewardOn(
  clock: ManualClock,
  prune: StewardOptions['prune'],
): Promise<{ steward: Steward; store: Store; pruneCalls: () => number; pruned: number[] }> {
  const store = openStore(`sqlite:${join(root, `retention-${++n}.db`)}`, { clock: clock.now });
  const steward = createSteward({
    store,
    prune,
    logger: false,
    pollIntervalMs: 20,
    jobs: {
      ok: () => 'done',
      bad: () => {
        throw new UnrecoverableError('no');
      },
    },
  });
  let calls = 0;
  const pruned: number[] = [];
  steward.on('store.call', ({ method }) => void (method === 'pruneJobs' && calls++));
  steward.on('pruner.prune', (e) => pruned.push(e.pruned));
  await steward.start();
  return { steward, store, pruneCalls: () => calls, pruned };
}

/** Finishes two jobs in each final state at the clock's current time; returns their ids. */
async function finishSome(steward: Steward): Promise<Record<Final, string[]>> {
  const ids = async (kind: string, opts = {}): Promise<string[]> =>
    (await steward.enqueueMany([0, 1].map((i) => ({ kind, payload: i, opts })))).map((j) => j.id);
  const completed = await ids('ok');
  const discarded = await ids('bad');
  const cancelled = await ids('ok', { delayMs: 365 * DAY });
  await steward.cancelJobs(cancelled);
  await steward.drain();
  for (const [state, list] of Object.entries({ completed, discarded, cancelled })) {
    for (const id of list) expect((await steward.getJob(id))?.state).toBe(state);
  }
  return { completed, cancelled, discarded };
}

/** Waits until the pruner has run a whole tick (`groups` deletes) that started after now. */
async function afterFullTick(pruneCalls: () => number, groups: number): Promise<void> {
  const from = pruneCalls();
  await waitFor(() => pruneCalls() >= from + 2 * groups, { timeout: 10_000 });
}

async function remaining(steward: Steward): Promise<string[]> {
  return (await steward.listJobs({ limit: 1000 })).map((j) => j.id).sort();
}

describe('retention on SQLite', () => {
  it('by default keeps completed jobs 1 day, cancelled 7 days and discarded (dead letters) 30 days', async () => {
    const clock = new ManualClock(T0);
    const { steward, store, pruneCalls } = await stewardOn(clock, { intervalMs: 10 });
    try {
      // Four generations, aged 31 days, 8 days, 2 days and 1 hour when the clock reaches `now`.
      const now = T0 + 31 * DAY;
      const gens: Record<Final, string[]>[] = [];
      for (const at of [T0, now - 8 * DAY, now - 2 * DAY, now - HOUR]) {
        clock.set(at);
        gens.push(await finishSome(steward));
      }
      clock.set(now);
      await afterFullTick(pruneCalls, 3);
      const [, b, c, d] = gens as [
        unknown,
        Record<Final, string[]>,
        Record<Final, string[]>,
        Record<Final, string[]>,
      ];
      const kept = [
        ...d.completed,
        ...c.cancelled,
        ...d.cancelled,
        ...b.discarded,
        ...c.discarded,
        ...d.discarded,
      ];
      expect(await remaining(steward)).toEqual(kept.sort());

      // Another 30 days on, the youngest dead letters are 30 days and 1 hour old: all are gone.
      clock.set(now + 30 * DAY);
      await afterFullTick(pruneCalls, 3);
      expect(await remaining(steward)).toEqual([]);
    } finally {
      await steward.stop();
      await store.close();
    }
  });

  it('keeps `maxAgeMs` as the age of every state not named, and keeps a state given `false` forever', async () => {
    const clock = new ManualClock(T0);
    const { steward, store, pruneCalls } = await stewardOn(clock, {
      maxAgeMs: 2 * HOUR,
      discarded: false,
      intervalMs: 10,
    });
    try {
      const old = await finishSome(steward);
      clock.set(T0 + 2 * HOUR);
      const young = await finishSome(steward);
      clock.set(T0 + 3 * HOUR);
      await afterFullTick(pruneCalls, 1); // completed and cancelled share one delete
      const kept = [...old.discarded, ...Object.values(young).flat()];
      expect(await remaining(steward)).toEqual(kept.sort());

      clock.set(T0 + 365 * DAY);
      await afterFullTick(pruneCalls, 1);
      expect(await remaining(steward)).toEqual([...old.discarded, ...young.discarded].sort());
    } finally {
      await steward.stop();
      await store.close();
    }
  });

  it('deletes in bounded batches: at most `limit` jobs per delete', async () => {
    const clock = new ManualClock(T0);
    const { steward, store, pruneCalls, pruned } = await stewardOn(clock, {
      completed: HOUR,
      intervalMs: 10,
      limit: 50,
    });
    try {
      await steward.enqueueMany(Array.from({ length: 120 }, (_, i) => ({ kind: 'ok', payload: i })));
      await steward.drain();
      clock.set(T0 + 90 * 60_000);
      const young = await steward.enqueue('ok', 'young');
      await steward.drain();
      clock.set(T0 + 2 * HOUR);
      await waitFor(() => pruned.reduce((a, b) => a + b, 0) >= 120, { timeout: 10_000 });
      await afterFullTick(pruneCalls, 3);
      // Three ticks for 120 old jobs; the young one stays, and nothing more was deleted.
      expect(pruned).toEqual([50, 50, 20]);
      expect(await remaining(steward)).toEqual([young.id]);
    } finally {
      await steward.stop();
      await store.close();
    }
  });

  it('refuses bad retention settings, naming the setting', () => {
    const make = (prune: unknown) => () =>
      createSteward({ store: 'memory:', jobs: {}, prune: prune as StewardOptions['prune'] });
    expect(make({ completed: -1 })).toThrow(
      'Expected `prune.completed` to be a positive finite number of milliseconds, or false (keep forever), got `-1`',
    );
    expect(make({ discarded: true })).toThrow(
      /^Expected `prune.discarded` to be .*or false \(keep forever\)/,
    );
    expect(make({ maxAgeMs: 0 })).toThrow(/^Expected `prune.maxAgeMs` to be a positive finite number/);
    expect(make({ limit: 0 })).toThrow(/^Expected `prune.limit` to be a positive integer/);
    expect(make({ complete: 1 })).toThrow(/^Expected `prune.complete` to be absent: it is not an option/);
    expect(make('daily')).toThrow(/^Expected `prune` to be an object `\{ completed, cancelled, discarded/);
  });
});
