/**
 * SQLite store benchmarks (issue 5): what the store costs per job on a real file, with nothing of
 * the queue engine around it, in both `synchronous` modes (FULL: an fsync per commit, the default;
 * NORMAL: fsync at checkpoints only):
 * - insert: one job per call (awaited one after another, and from 10 concurrent submitters, which
 *   group commit folds into shared transactions), batches of 100 and 1000;
 * - cycle: fetch → complete, by one worker taking one job at a time, and by 10 and 50 concurrent
 *   workers (the engine's concurrency 10 / 50 on no-op jobs);
 * - history: fetch 10 → complete each, on an empty table and with 10^6 finished jobs in it (fetch
 *   must not slow down with history).
 * Every call is awaited, as the engine awaits it. Each case keeps its best of ROUNDS rounds (the
 * machine may be shared). Run alone with `npx tsx bench/sqlite.bench.ts [full|normal ...]`.
 */
import Database from 'better-sqlite3';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createSqliteStore } from '../src/store/sqlite.js';
import type { SynchronousMode } from '../src/store/sqlite.js';
import type { JobInsert, JobRecord, Store } from '../src/store/index.js';
import { isMain } from '../examples/support/is-main.js';
import { jobInsert } from '../test/fixtures/job-insert.js';
import { machineLine, printTable } from './harness.js';
import type { CaseResult } from './harness.js';

const ROUNDS = 2;
const QUEUE = 'bench';
const LEASE_MS = 60_000;

function insertOf(i: number): JobInsert {
  return jobInsert({
    kind: 'noop',
    queue: QUEUE,
    payload: { to: 'user@example.com', n: i },
    maxAttempts: 20,
    runAt: Date.now(),
  });
}

const leaseOf = (job: JobRecord) => ({ id: job.id, token: (job.lease as { token: number }).token });

async function complete(store: Store, job: JobRecord): Promise<void> {
  const res = await store.completeJob(leaseOf(job), null);
  if (!res.ok) throw new Error(`complete of ${job.id} failed: ${res.reason}`);
}

/** `workers` concurrent loops of fetch(demand) → complete each, until `jobs` are done. */
async function work(store: Store, jobs: number, workers: number, demand: number): Promise<void> {
  let done = 0;
  let left = jobs;
  const loop = async (w: number): Promise<void> => {
    while (left > 0) {
      // Claimed before the fetch, so concurrent workers never take more than `jobs` between them.
      const want = Math.min(demand, left);
      left -= want;
      const got = await store.fetchJobs({ queue: QUEUE, demand: want, owner: `w${w}`, leaseMs: LEASE_MS });
      left += want - got.length;
      if (got.length === 0) return;
      for (const job of got) {
        await complete(store, job);
        done++;
      }
    }
  };
  await Promise.all(Array.from({ length: workers }, (_, w) => loop(w)));
  if (done !== jobs) throw new Error(`completed ${done} jobs, expected ${jobs}`);
}

async function insertEach(store: Store, n: number, submitters: number): Promise<void> {
  let next = 0;
  const submit = async (): Promise<void> => {
    while (next < n) await store.insertJobs([insertOf(next++)]);
  };
  await Promise.all(Array.from({ length: submitters }, submit));
}

async function insertBatches(store: Store, n: number, size: number): Promise<void> {
  for (let i = 0; i < n; i += size) {
    await store.insertJobs(Array.from({ length: Math.min(size, n - i) }, (_, k) => insertOf(i + k)));
  }
}

/** Jobs per second of `fn` (which handles `jobs` jobs). */
async function rateOf(jobs: number, fn: () => Promise<unknown>): Promise<number> {
  const start = performance.now();
  await fn();
  return (jobs * 1000) / (performance.now() - start);
}

/** One round of every case on a fresh file; `scale` shrinks the one-at-a-time cases under FULL. */
async function round(dir: string, synchronous: SynchronousMode, scale: number): Promise<Map<string, number>> {
  const out = new Map<string, number>();
  const path = join(dir, `bench-${synchronous}-${Date.now()}.db`);
  const store = createSqliteStore({ path, synchronous });
  await store.open();
  const single = Math.round(4000 * scale);
  const many = 20_000;
  out.set('insert 1 per call', await rateOf(single, () => insertEach(store, single, 1)));
  out.set('insert 1 per call, 10 submitters', await rateOf(many / 2, () => insertEach(store, many / 2, 10)));
  out.set('insert batch of 100', await rateOf(many, () => insertBatches(store, many, 100)));
  out.set('insert batch of 1000', await rateOf(many, () => insertBatches(store, many, 1000)));
  // The table now holds 10,000 + 40,000 + single available jobs.
  out.set('cycle fetch 1 → complete, 1 worker', await rateOf(single, () => work(store, single, 1, 1)));
  out.set('cycle fetch → complete, concurrency 10', await rateOf(many, () => work(store, many, 10, 1)));
  out.set('cycle fetch → complete, concurrency 50', await rateOf(many, () => work(store, many, 50, 1)));
  await store.close();
  for (const suffix of ['', '-wal', '-shm']) rmSync(`${path}${suffix}`, { force: true });
  return out;
}

/** Adds `n` completed jobs straight through SQL (the store's own path would take minutes under FULL). */
function fillFinished(path: string, n: number): void {
  const db = new Database(path);
  db.pragma('synchronous = normal');
  db.exec(`WITH RECURSIVE k(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM k WHERE i < ${n})
    INSERT INTO steward_jobs (kind, queue, payload, state, priority, attempt, max_attempts, run_at,
                              inserted_at, attempted_at, finished_at)
    SELECT 'noop', '${QUEUE}', '{"n":' || i || '}', 'completed', i % 10, 1, 20, i, i, i, i FROM k`);
  db.close();
}

/** fetch 10 → complete each, on an empty table and with `finished` completed jobs in it. */
async function history(dir: string, finished: number): Promise<CaseResult[]> {
  const out: CaseResult[] = [];
  for (const background of [0, finished]) {
    const path = join(dir, `history-${background}.db`);
    const store = createSqliteStore({ path, synchronous: 'normal' });
    await store.open();
    if (background > 0) fillFinished(path, background);
    let best = 0;
    for (let r = 0; r < ROUNDS; r++) {
      await insertBatches(store, 10_000, 1000);
      best = Math.max(best, await rateOf(10_000, () => work(store, 10_000, 1, 10)));
    }
    out.push({ name: `fetch 10 → complete each, ${background.toExponential(0)} finished`, opsPerSec: best });
    await store.close();
  }
  return out;
}

/** Runs the SQLite store benchmarks in each synchronous mode, then the history case. */
export async function run(
  modes: readonly SynchronousMode[] = ['full', 'normal'],
  finished = 1e6,
): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'steward-sqlite-bench-'));
  try {
    for (const mode of modes) {
      const best = new Map<string, number>();
      for (let r = 0; r < ROUNDS; r++) {
        for (const [name, ops] of await round(dir, mode, mode === 'full' ? 0.25 : 1)) {
          best.set(name, Math.max(best.get(name) ?? 0, ops));
        }
      }
      printTable(
        `SQLite store, synchronous=${mode.toUpperCase()}: jobs per second`,
        [...best].map(([name, opsPerSec]) => ({ name, opsPerSec })),
        'insert 1 per call',
      );
    }
    const rows = await history(dir, finished);
    printTable('SQLite store (NORMAL), fetch with history: jobs per second', rows, rows[0]?.name ?? '');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (isMain(import.meta.url)) {
  const modes = process.argv
    .slice(2)
    .filter((a): a is SynchronousMode => ['full', 'normal', 'extra'].includes(a));
  console.log(`SQLite store benchmarks on ${machineLine()}`);
  await run(modes.length > 0 ? modes : undefined);
}
