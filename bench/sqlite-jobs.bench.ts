/**
 * The job system on SQLite (issue 5), through the public API (`createSteward` with a
 * `sqlite:<file>` store), against the figures the issue quotes for plainjob, a SQLite queue for
 * Node, on this kind of 2-core machine: ~14,000 single enqueues/s, ~175,000 bulk enqueues/s and
 * ~7,500 processed jobs/s at concurrency 10. plainjob runs `synchronous = NORMAL` (its source sets
 * `synchronous = 1`), so the like-for-like comparison is our NORMAL column; FULL (our default,
 * which fsyncs every commit) is printed beside it.
 * - enqueue 1 per call: `enqueue` awaited one after another (each its own transaction), and
 *   from 10 concurrent callers (group commit shares transactions);
 * - bulk: `enqueueMany` in batches of 1,000;
 * - process: N no-op jobs queued before `start()`, timed until `drain()`, at concurrency 10 and 50.
 * Each case keeps its best of ROUNDS rounds (the machine may be shared).
 * Run alone with `npx tsx bench/sqlite-jobs.bench.ts [full|normal ...]`.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createSqliteStore, createSteward } from '../src/index.js';
import type { Steward } from '../src/index.js';
import type { SynchronousMode } from '../src/store/sqlite.js';
import { isMain } from '../examples/support/is-main.js';
import { machineLine, rate } from './harness.js';

const ROUNDS = 3;
/** plainjob on this kind of machine, as the issue quotes it. */
const PLAINJOB = { single: 14_000, bulk: 175_000, process10: 7_500 } as const;

function system(path: string, synchronous: SynchronousMode, concurrency: number, run: boolean): Steward {
  return createSteward({
    store: createSqliteStore({ path, synchronous }),
    jobs: { noop: () => null },
    queues: { default: { concurrency } },
    logger: false,
    prune: false,
    run,
  });
}

async function timed(jobs: number, fn: () => Promise<unknown>): Promise<number> {
  const start = performance.now();
  await fn();
  return (jobs * 1000) / (performance.now() - start);
}

type Figures = Record<'single' | 'single10' | 'bulk' | 'process10' | 'process50', number>;

async function round(dir: string, mode: SynchronousMode): Promise<Figures> {
  const path = (name: string): string => join(dir, `${name}-${mode}-${Date.now()}.db`);
  const client = system(path('enqueue'), mode, 1, false);
  await client.start();
  const single = mode === 'full' ? 1000 : 5000;
  const singleRate = await timed(single, async () => {
    for (let i = 0; i < single; i++) await client.enqueue('noop', { n: i });
  });
  let next = 0;
  const single10 = await timed(10_000, () =>
    Promise.all(
      Array.from({ length: 10 }, async () => {
        while (next < 10_000) await client.enqueue('noop', { n: next++ });
      }),
    ),
  );
  const batches = Array.from({ length: 50 }, (_, b) =>
    Array.from({ length: 1000 }, (_, k) => ({ kind: 'noop', payload: { n: b * 1000 + k } })),
  );
  const bulk = await timed(50_000, async () => {
    for (const batch of batches) await client.enqueueMany(batch);
  });
  await client.stop();
  const processed: number[] = [];
  for (const concurrency of [10, 50]) {
    const s = system(path(`process${concurrency}`), mode, concurrency, true);
    const n = 20_000;
    for (let i = 0; i < n; i += 1000) {
      await s.enqueueMany(Array.from({ length: 1000 }, (_, k) => ({ kind: 'noop', payload: { n: i + k } })));
    }
    processed.push(
      await timed(n, async () => {
        await s.start();
        await s.drain();
      }),
    );
    await s.stop();
  }
  return {
    single: singleRate,
    single10,
    bulk,
    process10: processed[0] as number,
    process50: processed[1] as number,
  };
}

const ROWS: [keyof Figures, string, number | null][] = [
  ['single', 'enqueue 1 per call, awaited in turn', PLAINJOB.single],
  ['single10', 'enqueue 1 per call, 10 concurrent callers', PLAINJOB.single],
  ['bulk', 'enqueueMany, batches of 1,000', PLAINJOB.bulk],
  ['process10', 'process no-op jobs, concurrency 10', PLAINJOB.process10],
  ['process50', 'process no-op jobs, concurrency 50', null],
];

/** Runs the job-system-on-SQLite cases in each mode and prints them beside plainjob's figures. */
export async function run(modes: readonly SynchronousMode[] = ['normal', 'full']): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'steward-sqlite-jobs-'));
  try {
    const best = new Map<SynchronousMode, Figures>();
    for (const mode of modes) {
      for (let r = 0; r < ROUNDS; r++) {
        const f = await round(dir, mode);
        const b = best.get(mode);
        best.set(mode, b ? (Object.fromEntries(ROWS.map(([k]) => [k, Math.max(b[k], f[k])])) as Figures) : f);
      }
    }
    console.log(
      '\nThe job system on SQLite (createSteward, sqlite:<file>): jobs per second, best of ' + ROUNDS,
    );
    const head = modes.map((m) => m.toUpperCase().padStart(16)).join('');
    console.log(`  ${'case'.padEnd(44)}${head}${'plainjob'.padStart(12)}`);
    for (const [key, name, ref] of ROWS) {
      const cells = modes.map((m) => {
        const v = (best.get(m) as Figures)[key];
        return `${rate(v)}${ref ? ` ${(v / ref).toFixed(1)}x` : ''}`.padStart(16);
      });
      console.log(`  ${name.padEnd(44)}${cells.join('')}${(ref ? rate(ref) : '—').padStart(12)}`);
    }
    console.log('  (Nx = times plainjob’s figure; plainjob runs synchronous=NORMAL)');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (isMain(import.meta.url)) {
  const modes = process.argv
    .slice(2)
    .filter((a): a is SynchronousMode => ['full', 'normal', 'extra'].includes(a));
  console.log(`Job system on SQLite benchmarks on ${machineLine()}`);
  await run(modes.length > 0 ? modes : undefined);
}
