/**
 * Job system benchmarks (issue 4), through the public API only (`createSteward`, memory store):
 * - enqueue: no-op jobs with `enqueue` one at a time (each awaited), 1,000 `enqueue` calls in
 *   flight at once, and `enqueueMany` in batches of 1,000 — on an enqueue-only client (`run: false`);
 * - process: N no-op jobs enqueued before `start()`, then timed from `start()` until `drain()`
 *   resolves, at queue concurrency 100 and 1,000; and enqueue and process at once (batches of 1,000
 *   enqueued into a running system, timed until drained);
 * - seed: the seed chapter's scenario — 1,000 jobs of random priority and type (compute 100 ms,
 *   io 200 ms, network 300 ms of sleep) at concurrency C — against its ideal time, the sum of the
 *   sleeps / C (a lower bound: it assumes perfect packing), and against the makespan of a
 *   zero-overhead executor taking the same jobs in the same order (what is left is Steward's).
 *
 * The machine is shared, so each figure is the best of a few rounds and the load average is
 * printed before and after. `drain()` polls every 5 ms, so a process figure includes up to 5 ms of
 * polling slack (about 2% of a 50,000-job run at 200k jobs/s).
 * Run alone with `npx tsx bench/queue.bench.ts [enqueue] [process] [seed]`.
 */
import os from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import { createSteward } from '../src/index.js';
import type { EnqueueOptions, Steward } from '../src/index.js';
import { isMain } from '../examples/support/is-main.js';
import { machineLine, printTable, rate } from './harness.js';
import type { CaseResult } from './harness.js';
import { seededRandom } from '../src/testing/index.js';

/** The issue's aim: no-op jobs per second through the memory store on a 2-core machine. */
const AIM = 200_000;
/** Jobs per timed enqueue case. */
const ENQUEUE_JOBS = 20_000;
/** Jobs per timed process case. */
const PROCESS_JOBS = 50_000;
const BATCH = 1_000;
const ROUNDS = 3;
const SEED_JOBS = 1_000;
/** The seed's job types and their sleeps, ms. */
const SEED_SLEEPS = { compute: 100, io: 200, network: 300 } as const;
const SEED_PRIORITIES = [1, 3, 5, 7, 9] as const;

type Job = { readonly kind: string; readonly payload: unknown; readonly opts?: EnqueueOptions };

/** A no-op system: one `noop` kind on the default queue; no logs, no pruning. */
function noopSteward(concurrency: number, run = true): Steward {
  return createSteward({
    store: 'memory:',
    jobs: { noop: () => null },
    queues: { default: { concurrency } },
    logger: false,
    prune: false,
    run,
  });
}

/** `n` no-op jobs in batches of `size`, built before timing (the caller's cost, not Steward's). */
function noopBatches(n: number, size: number): Job[][] {
  const out: Job[][] = [];
  for (let i = 0; i < n; i += size) {
    out.push(
      Array.from({ length: Math.min(size, n - i) }, (_, k) => ({ kind: 'noop', payload: { n: i + k } })),
    );
  }
  return out;
}

/** Times `fn` over `ROUNDS` fresh systems and keeps the best, as `jobs` per second. */
async function best(name: string, jobs: number, fn: () => Promise<number>): Promise<CaseResult> {
  let ms = Infinity;
  for (let r = 0; r < ROUNDS; r++) ms = Math.min(ms, await fn());
  return { name, opsPerSec: (jobs * 1000) / ms };
}

/** Ms taken by `body` on `steward`, which is stopped afterwards (untimed). */
async function timed(steward: Steward, body: (s: Steward) => Promise<void>): Promise<number> {
  try {
    const t0 = performance.now();
    await body(steward);
    return performance.now() - t0;
  } finally {
    await steward.stop({ graceMs: 0 });
  }
}

/** Fails the benchmark loudly if the run lost or failed a job, so no figure hides a bug. */
async function expectCompleted(steward: Steward, n: number): Promise<void> {
  const { completed, enqueued } = await steward.stats();
  if (completed !== n || enqueued !== n) {
    throw new Error(`expected ${n} jobs enqueued and completed, got ${enqueued} and ${completed}`);
  }
}

async function enqueueBench(): Promise<void> {
  const single = noopBatches(ENQUEUE_JOBS, 1).map((b) => b[0]!);
  const batches = noopBatches(ENQUEUE_JOBS, BATCH);
  const client = (): Steward => noopSteward(1, false);
  const results = [
    await best('enqueue, one at a time (awaited)', ENQUEUE_JOBS, () =>
      timed(client(), async (s) => {
        for (const job of single) await s.enqueue(job.kind, job.payload);
      }),
    ),
    await best('enqueue, 1,000 calls in flight', ENQUEUE_JOBS, () =>
      timed(client(), async (s) => {
        for (const batch of batches) await Promise.all(batch.map((job) => s.enqueue(job.kind, job.payload)));
      }),
    ),
    await best('enqueueMany, batches of 1,000', ENQUEUE_JOBS, () =>
      timed(client(), async (s) => {
        for (const batch of batches) await s.enqueueMany(batch);
      }),
    ),
  ];
  printTable(
    `Enqueue ${ENQUEUE_JOBS.toLocaleString('en')} no-op jobs (memory store, enqueue-only client): jobs/s, best of ${ROUNDS}`,
    results,
    'enqueue, one at a time (awaited)',
  );
}

async function processBench(): Promise<CaseResult[]> {
  const batches = noopBatches(PROCESS_JOBS, BATCH);
  const results: CaseResult[] = [];
  for (const concurrency of [100, 1_000]) {
    results.push(
      await best(
        `process ${PROCESS_JOBS / 1000}k queued, concurrency ${concurrency}`,
        PROCESS_JOBS,
        async () => {
          // Enqueued before start, untimed: the case measures fetching, running and recording only.
          const steward = noopSteward(concurrency);
          for (const batch of batches) await steward.enqueueMany(batch);
          return timed(steward, async (s) => {
            await s.start();
            await s.drain({ timeoutMs: 300_000 });
            await expectCompleted(s, PROCESS_JOBS);
          });
        },
      ),
    );
  }
  for (const concurrency of [100, 1_000]) {
    results.push(
      await best(`enqueue + process at once, concurrency ${concurrency}`, PROCESS_JOBS, async () => {
        const steward = noopSteward(concurrency);
        await steward.start();
        return timed(steward, async (s) => {
          for (const batch of batches) await s.enqueueMany(batch);
          await s.drain({ timeoutMs: 300_000 });
          await expectCompleted(s, PROCESS_JOBS);
        });
      }),
    );
  }
  printTable(
    `Process ${PROCESS_JOBS.toLocaleString('en')} no-op jobs (memory store): jobs/s from start (or first enqueue) to drained, best of ${ROUNDS}`,
    results,
    `process ${PROCESS_JOBS / 1000}k queued, concurrency 100`,
  );
  console.log(`\nAim: ${rate(AIM)} no-op jobs/s through the memory store on a 2-core machine`);
  for (const r of results) {
    console.log(
      `  ${r.name.padEnd(44)} ${rate(r.opsPerSec).padStart(10)} jobs/s = ${((100 * r.opsPerSec) / AIM).toFixed(0).padStart(3)}% of the aim`,
    );
  }
  return results;
}

/**
 * The makespan of a zero-overhead executor with `slots` slots taking jobs in the store's fetch
 * order (priority, then FIFO): the best any engine could do with this order, so the gap to it is
 * Steward's own overhead, while the gap from `sum / slots` to it is the tail of the last wave.
 */
function listSchedule(durations: readonly number[], slots: number): number {
  const free = new Array<number>(slots).fill(0); // when each slot is free; small, so a scan will do
  let end = 0;
  for (const d of durations) {
    let at = 0;
    for (let i = 1; i < slots; i++) if (free[i]! < free[at]!) at = i;
    free[at] = free[at]! + d;
    end = Math.max(end, free[at]!);
  }
  return end;
}

async function seedBench(): Promise<void> {
  const random = seededRandom(31);
  const types = Object.keys(SEED_SLEEPS) as (keyof typeof SEED_SLEEPS)[];
  const jobs: Job[] = Array.from({ length: SEED_JOBS }, (_, i) => {
    const type = types[Math.floor(random() * types.length)]!;
    const priority = SEED_PRIORITIES[Math.floor(random() * SEED_PRIORITIES.length)]!;
    return { kind: type, payload: { type, n: i }, opts: { priority } };
  });
  // The fetch order: priority, then insertion (a stable sort keeps FIFO within a priority).
  const ordered = jobs
    .map((job) => ({ priority: job.opts!.priority!, ms: SEED_SLEEPS[job.kind as keyof typeof SEED_SLEEPS] }))
    .sort((a, b) => a.priority - b.priority)
    .map((j) => j.ms);
  const sumMs = jobs.reduce((sum, job) => sum + SEED_SLEEPS[job.kind as keyof typeof SEED_SLEEPS], 0);
  const handlers = Object.fromEntries(types.map((type) => [type, () => sleep(SEED_SLEEPS[type])]));
  console.log(
    `\nSeed scenario: ${SEED_JOBS} jobs of random type (compute 100 ms, io 200 ms, network 300 ms sleeps; ` +
      `sum ${(sumMs / 1000).toFixed(1)} s), enqueued at once into a running system, timed until drained, best of ${ROUNDS}`,
  );
  console.log(
    '  ideal = sum of sleeps / concurrency; schedule = a zero-overhead executor taking the jobs in fetch order',
  );
  console.log(
    `  ${'concurrency'.padEnd(12)} ${'actual'.padStart(9)} ${'ideal'.padStart(9)} ${'overhead'.padStart(9)}` +
      ` ${'schedule'.padStart(9)} ${'vs schedule'.padStart(12)}`,
  );
  for (const concurrency of [50, 200]) {
    const ideal = sumMs / concurrency;
    let actual = Infinity;
    for (let r = 0; r < ROUNDS; r++) {
      const ms = await timed(
        createSteward({
          store: 'memory:',
          jobs: handlers,
          queues: { default: { concurrency } },
          logger: false,
          prune: false,
        }),
        async (s) => {
          await s.start();
          await s.enqueueMany(jobs);
          await s.drain({ timeoutMs: 300_000 });
          await expectCompleted(s, SEED_JOBS);
        },
      );
      actual = Math.min(actual, ms);
    }
    const schedule = listSchedule(ordered, concurrency);
    const pct = (base: number): string => `${((100 * (actual - base)) / base).toFixed(1)}%`;
    console.log(
      `  ${String(concurrency).padEnd(12)} ${`${actual.toFixed(0)} ms`.padStart(9)} ${`${ideal.toFixed(0)} ms`.padStart(9)}` +
        ` ${pct(ideal).padStart(9)} ${`${schedule.toFixed(0)} ms`.padStart(9)} ${pct(schedule).padStart(12)}`,
    );
  }
}

function loadLine(when: string): string {
  const [one = 0, five = 0, fifteen = 0] = os.loadavg();
  return `Load average ${when}: ${one.toFixed(2)} ${five.toFixed(2)} ${fifteen.toFixed(2)} (1, 5, 15 min; ${os.availableParallelism()} cores, shared)`;
}

const PARTS = { enqueue: enqueueBench, process: processBench, seed: seedBench } as const;

/** Runs the job system benchmarks (all parts, or the named ones). */
export async function run(parts: readonly string[] = Object.keys(PARTS)): Promise<void> {
  console.log(loadLine('before'));
  for (const part of parts) {
    const bench = PARTS[part as keyof typeof PARTS];
    if (!bench) throw new Error(`unknown part "${part}"; expected one of: ${Object.keys(PARTS).join(', ')}`);
    await bench();
  }
  console.log(`\n${loadLine('after')}`);
}

if (isMain(import.meta.url)) {
  console.log(`Job system benchmarks on ${machineLine()}`);
  const parts = process.argv.slice(2);
  await run(parts.length > 0 ? parts : undefined);
}
