/**
 * Memory store benchmarks (issue 4): what the store itself costs per job and per transition, with
 * nothing of the queue engine around it, so a regression in the store shows here first.
 * - insert: one job per `insertJobs` call, and batches of 100 and 1000;
 * - fetch: `fetchJobs` with demand 1, 10 and 50 (every job taken);
 * - complete: `completeJob` of each fetched job;
 * - cycle: `insertJobs` of a batch → `fetchJobs` of that many → `completeJob` of each (the
 *   engine's path for no-op jobs), and the same one job at a time;
 * each with 0, 10^5 and 10^6 finished jobs already in the store (fetch and the cycle must not slow
 * down with history). Every call is awaited, as the engine awaits it.
 *
 * Timing: each round times every phase over `JOBS` jobs, then deletes that round's jobs (untimed)
 * so the store keeps its background size; the best of `ROUNDS` rounds is kept per case, since the
 * machine may be shared (the first round also warms the JIT). The load average and a Map.get
 * yardstick are printed with the figures, which are wall times. A no-op listener is subscribed,
 * as the engine's producers are, so events are built and delivered. Run alone with
 * `npx tsx bench/store.bench.ts [sizes...]`, e.g. `npx tsx bench/store.bench.ts 0 1e5`.
 */
import os from 'node:os';
import { createMemoryStore } from '../src/store/index.js';
import type { JobInsert, JobRecord, Store } from '../src/store/index.js';
import { isMain } from '../examples/support/is-main.js';
import { jobInsert } from '../test/fixtures/job-insert.js';
import { machineLine, printTable, rate } from './harness.js';
import type { CaseResult } from './harness.js';

/** Jobs per timed phase. */
const JOBS = 20_000;
/** Timed rounds per background size; each case keeps its best. */
const ROUNDS = 5;
const QUEUE = 'bench';
const LEASE_MS = 60_000;

/** A fixed clock: the phases measure the store, not time passing (leases never expire here). */
const NOW = 1_700_000_000_000;

function insertOf(i: number): JobInsert {
  return jobInsert({
    kind: 'noop',
    queue: QUEUE,
    payload: { to: 'user@example.com', n: i },
    maxAttempts: 20,
    runAt: NOW,
  });
}

/** `n` inserts cut into batches of `size` (built before timing: the engine's cost, not the store's). */
function batchesOf(n: number, size: number, from: number): JobInsert[][] {
  const out: JobInsert[][] = [];
  for (let i = 0; i < n; i += size) {
    out.push(Array.from({ length: Math.min(size, n - i) }, (_, k) => insertOf(from + i + k)));
  }
  return out;
}

/** Fetches every available job with `demand` per call; returns them in fetch order. */
async function fetchAll(store: Store, demand: number, ids?: string[]): Promise<JobRecord[]> {
  const request = { queue: QUEUE, demand, owner: 'bench', leaseMs: LEASE_MS };
  const out: JobRecord[] = [];
  for (;;) {
    const got = await store.fetchJobs(request);
    if (got.length === 0) return out;
    for (const job of got) {
      out.push(job);
      ids?.push(job.id);
    }
  }
}

async function completeAll(store: Store, jobs: readonly JobRecord[]): Promise<void> {
  for (const job of jobs) {
    const res = await store.completeJob({ id: job.id, token: (job.lease as { token: number }).token }, null);
    if (!res.ok) throw new Error(`complete of ${job.id} failed: ${res.reason}`);
  }
}

async function insertAll(store: Store, batches: readonly JobInsert[][]): Promise<void> {
  for (const batch of batches) await store.insertJobs(batch);
}

/** Milliseconds `fn` took. */
async function timed(fn: () => Promise<unknown>): Promise<number> {
  const start = performance.now();
  await fn();
  return performance.now() - start;
}

/** Fills the store with `n` completed jobs (insert, fetch and complete in batches of 1000). */
async function fillFinished(store: Store, n: number): Promise<void> {
  for (let done = 0; done < n; done += 1000) {
    const size = Math.min(1000, n - done);
    await store.insertJobs(batchesOf(size, size, done)[0] as JobInsert[]);
    await completeAll(
      store,
      await store.fetchJobs({ queue: QUEUE, demand: size, owner: 'fill', leaseMs: LEASE_MS }),
    );
  }
}

/** One round: every phase timed over JOBS jobs; returns ms per case. The round's jobs are deleted after. */
async function round(store: Store): Promise<Map<string, number>> {
  const ms = new Map<string, number>();
  const ids: string[] = [];
  // Each insert shape feeds one fetch demand; the fetched jobs are then completed.
  const plan: [insert: string, size: number, demand: number][] = [
    ['insert 1 per call', 1, 1],
    ['insert batch of 100', 100, 10],
    ['insert batch of 1000', 1000, 50],
  ];
  for (const [name, size, demand] of plan) {
    const batches = batchesOf(JOBS, size, 0);
    ms.set(name, await timed(() => insertAll(store, batches)));
    let jobs: JobRecord[] = [];
    ms.set(`fetch demand ${demand}`, await timed(async () => (jobs = await fetchAll(store, demand, ids))));
    if (jobs.length !== JOBS) throw new Error(`fetched ${jobs.length} jobs, expected ${JOBS}`);
    ms.set(`complete (after demand ${demand})`, await timed(() => completeAll(store, jobs)));
  }
  for (const size of [100, 1]) {
    const batches = batchesOf(JOBS, size, 0);
    ms.set(
      `cycle: insert ${size} → fetch ${size} → complete each`,
      await timed(async () => {
        const request = { queue: QUEUE, demand: size, owner: 'bench', leaseMs: LEASE_MS };
        for (const batch of batches) {
          await store.insertJobs(batch);
          const got = await store.fetchJobs(request);
          for (const job of got) ids.push(job.id);
          await completeAll(store, got);
        }
      }),
    );
  }
  if ((await store.deleteJobs(ids)) !== ids.length) throw new Error('the round left jobs behind');
  return ms;
}

/**
 * Nanoseconds per Map.get of a random key among 10^5 (best of 5): a yardstick for how loaded the
 * machine is while the figures are taken (about 50 ns on a quiet one), since they are wall times.
 */
function mapGetNs(): number {
  const n = 1e5;
  const map = new Map<number, number>();
  for (let i = 0; i < n; i++) map.set(i, i);
  const keys = Int32Array.from({ length: 1 << 16 }, (_, i) => (i * 7919) % n);
  let best = Infinity;
  let sum = 0;
  for (let r = 0; r < 5; r++) {
    const start = performance.now();
    for (let i = 0; i < 1e6; i++) sum += map.get(keys[i & 0xffff] as number) as number;
    best = Math.min(best, performance.now() - start);
  }
  return sum === -1 ? 0 : best; // 1e6 gets: ms per 1e6 = ns per get
}

/** Best per-job rates of every case with `background` finished jobs in the store. */
async function sizeBench(background: number): Promise<CaseResult[]> {
  const store = createMemoryStore({ clock: () => NOW });
  await store.open();
  // The engine's producers listen for `inserted`, so the store builds and delivers its events.
  store.subscribe(() => undefined);
  await fillFinished(store, background);
  const best = new Map<string, number>();
  for (let r = 0; r < ROUNDS; r++) {
    for (const [name, ms] of await round(store)) best.set(name, Math.min(best.get(name) ?? Infinity, ms));
  }
  await store.close();
  return [...best].map(([name, ms]) => ({ name, opsPerSec: (JOBS * 1000) / ms }));
}

/** Runs the store benchmarks at each background size (finished jobs already stored). */
export async function run(sizes: readonly number[] = [0, 1e5, 1e6]): Promise<void> {
  console.log(
    `\nMachine load: load average ${os
      .loadavg()
      .map((l) => l.toFixed(2))
      .join(' ')} (1, 5, 15 min); ` +
      `a Map.get among 1e5 keys takes ${mapGetNs().toFixed(0)} ns (~50 ns when quiet)`,
  );
  const all: [number, CaseResult[]][] = [];
  for (const n of sizes) {
    const results = await sizeBench(n);
    all.push([n, results]);
    printTable(
      `Memory store, ${n === 0 ? 'empty' : `${n.toExponential().replace('e+', 'e')} finished jobs stored`}: jobs per second (µs per job = 1e6 / rate)`,
      results,
      'insert 1 per call',
    );
    console.log(
      `  µs per job: ${results.map((r) => `${r.name.replace(/ →.*$/, '')} ${(1e6 / r.opsPerSec).toFixed(2)}`).join('; ')}`,
    );
  }
  // Three transitions per job (insert, fetch, complete): the aim is at most ~2 µs each on a quiet
  // machine, so the store leaves the engine most of the 5 µs per job that 200k jobs/s allows.
  console.log('\nStore cost per transition (a cycle of 100 / 3); aim: ≤ ~2 µs on a quiet machine');
  for (const [n, results] of all) {
    const cycle = results.find((r) => r.name.startsWith('cycle: insert 100'))?.opsPerSec ?? NaN;
    console.log(
      `  ${String(n).padStart(7)} finished jobs: cycle ${rate(cycle)} jobs/s = ${(1e6 / cycle / 3).toFixed(2)} µs per transition`,
    );
  }
  console.log(
    `Load average after: ${os
      .loadavg()
      .map((l) => l.toFixed(2))
      .join(' ')} (1, 5, 15 min)`,
  );
}

if (isMain(import.meta.url)) {
  const sizes = process.argv.slice(2).map(Number);
  console.log(`Store benchmarks on ${machineLine()}`);
  await run(sizes.length > 0 ? sizes : undefined);
}
