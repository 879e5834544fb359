/**
 * Drill 7 — the seed's KV benchmark: an Agent-served map (its GenServerKV) against a `Table`,
 * with one caller and with "concurrent" ones, printed as ops/s (one op = a put and a get, as the
 * seed counts) beside the seed's figures.
 *
 * What "concurrent" can honestly mean in Node:
 * - (a) async callers on the one event loop. They interleave only where they await, and every
 *   Table verb is synchronous, so N callers share one thread: no parallel speed-up, and none of
 *   the races ETS's `write_concurrency` exists for. Agent callers queue behind each other. The
 *   fair baseline is one caller doing the same N passes; a gap between the two is JIT and GC
 *   noise, never parallelism: the cores column stays at 1.0.
 * - (b) ThreadPool workers, each with its own Table in its own thread: truly parallel (up to the
 *   core count), but NOT a shared table — a Table cannot cross threads (rows are JS objects on one
 *   heap). Sharing one would mean messages to the owning thread (~35 µs a round trip) or a
 *   SharedArrayBuffer, which holds bytes, not rows.
 * - (c) the stretch, measured here rather than built: counters in a SharedArrayBuffer bumped with
 *   Atomics.add from threads, against `updateCounter` on the main thread and against threads that
 *   count locally and send one batch back. Atomics beats per-op `updateCounter` by 10x or more, but
 *   the batch beats Atomics (no shared cache line, one message per call), works for any key, and
 *   keeps the Table the one place counts live. So a SharedArrayBuffer counter table does not pay
 *   for itself here: it would serve only the rare case of threads that must read live counts
 *   mid-call, at the cost of fixed integer slots and a key-to-slot map no thread can share.
 *
 * The seed's ~15,000,000 for 4 concurrent tasks on one ETS table has no Node equivalent: BEAM
 * schedulers run those tasks on several cores against one shared table. Its figures come from a
 * bigger machine: the seed's own loops, run by hand on this 2-core box (Erlang/OTP 25, compiled
 * escript, busy with other work) gave ~0.7-1.0 M ops/s for ETS, ~1-3 M for ETS with 4
 * processes and ~0.35-0.6 M for a process-served map — the same range as the figures below.
 *
 * Run: npx tsx examples/drill7-kv-benchmark.ts [ops]
 */
import { availableParallelism } from 'node:os';
import { Agent, Table, Task, ThreadPool } from '../src/runtime/index.js';
import { isMain } from './support/is-main.js';
import type { ThreadKvResult } from './support/kv-worker.js';

/** One measured case. */
export interface KvResult {
  readonly name: string;
  /** Operations done (each a put and a get, or one counter increment). */
  readonly ops: number;
  /** Wall-clock time, ms. */
  readonly ms: number;
  readonly opsPerSec: number;
  /** Whether every read returned what was written (or every count added up). */
  readonly correct: boolean;
  /** CPU time of the whole process (every thread) over wall time: how many cores the case kept busy. */
  readonly coresUsed: number;
}

/** The seed's figures (BEAM, its own machine), for comparison. */
export const SEED_CLAIMS = {
  genServer: 1_000_000,
  ets: 5_000_000,
  etsConcurrent4: 15_000_000,
} as const;

const WORKER = new URL('./support/kv-worker.ts', import.meta.url);

/** When a measurement began: wall clock and the process's CPU clock (all threads). */
interface Start {
  readonly wall: number;
  readonly cpu: NodeJS.CpuUsage;
}

function begin(): Start {
  return { wall: performance.now(), cpu: process.cpuUsage() };
}

function result(name: string, ops: number, started: Start, correct: boolean): KvResult {
  const ms = Math.max(performance.now() - started.wall, 1e-3);
  const cpu = process.cpuUsage(started.cpu);
  const coresUsed = (cpu.user + cpu.system) / 1000 / ms;
  return { name, ops, ms, opsPerSec: ops / (ms / 1000), correct, coresUsed };
}

/**
 * The seed's benchmark_genserver: `ops` times put `i → i*2` then get `i`, each awaited, on an
 * Agent's Map; `passes` > 1 repeats the loop over the same keys (the work N callers do together).
 */
export async function agentKv(ops: number, passes = 1): Promise<KvResult> {
  const agent = await Agent.start(() => new Map<number, number>(), { name: 'kv' });
  const started = begin();
  let sum = 0;
  for (let p = 0; p < passes; p++) {
    for (let i = 1; i <= ops; i++) {
      await agent.update((m) => m.set(i, i * 2));
      sum += (await agent.get((m) => m.get(i))) ?? 0;
    }
  }
  const r = result(
    `Agent-served Map, 1 caller${passesLabel(passes)}`,
    ops * passes,
    started,
    sum === passes * ops * (ops + 1),
  );
  const size = await agent.get((m) => m.size);
  await agent.stop();
  return { ...r, correct: r.correct && size === ops };
}

function passesLabel(passes: number): string {
  return passes === 1 ? '' : `, ${passes} passes`;
}

/** The seed's benchmark_ets: `ops` times insert `[i, i*2]` then lookup `i`, on a `set` Table (`passes` as agentKv). */
export function tableKv(ops: number, passes = 1): KvResult {
  const table = Table.new<[number, number]>({ type: 'set' });
  const started = begin();
  let sum = 0;
  for (let p = 0; p < passes; p++) {
    for (let i = 1; i <= ops; i++) {
      table.insert([i, i * 2]);
      sum += table.lookup(i)[0]?.[1] ?? 0;
    }
  }
  const r = result(
    `Table set, 1 caller${passesLabel(passes)}`,
    ops * passes,
    started,
    sum === passes * ops * (ops + 1),
  );
  const size = table.info('size');
  table.drop();
  return { ...r, correct: r.correct && size === ops };
}

/**
 * (a) The seed's concurrent_benchmark as `callers` Tasks on the one event loop, all writing keys
 * 1..ops of one public Table; each yields every `yieldEvery` ops so they really interleave.
 */
export async function tableAsyncCallers(ops: number, callers: number, yieldEvery = 100): Promise<KvResult> {
  const table = Table.new<[number, number]>({ type: 'set', access: 'public' });
  const shared = table.share();
  const started = begin();
  const tasks = Array.from({ length: callers }, () =>
    Task.async(async () => {
      let sum = 0;
      for (let i = 1; i <= ops; i++) {
        shared.insert([i, i * 2]);
        sum += shared.lookup(i)[0]?.[1] ?? 0;
        if (i % yieldEvery === 0) await null;
      }
      return sum;
    }),
  );
  const sums = await Task.awaitMany(tasks, Infinity);
  const r = result(
    `Table set, ${callers} async callers`,
    ops * callers,
    started,
    sums.every((s) => s === ops * (ops + 1)),
  );
  const size = table.info('size');
  table.drop();
  return { ...r, correct: r.correct && size === ops };
}

/** (a) The same with the Agent: `callers` async callers whose calls queue at the one Agent. */
export async function agentAsyncCallers(ops: number, callers: number): Promise<KvResult> {
  const agent = await Agent.start(() => new Map<number, number>(), { name: 'kv' });
  const started = begin();
  const sums = await Promise.all(
    Array.from({ length: callers }, async () => {
      let sum = 0;
      for (let i = 1; i <= ops; i++) {
        await agent.update((m) => m.set(i, i * 2));
        sum += (await agent.get((m) => m.get(i))) ?? 0;
      }
      return sum;
    }),
  );
  const r = result(
    `Agent-served Map, ${callers} async callers`,
    ops * callers,
    started,
    sums.every((s) => s === ops * (ops + 1)),
  );
  await agent.stop();
  return r;
}

/** (b) `threads` ThreadPool calls at once, each running the seed's loop on its own Table in its thread. */
export async function threadTables(
  pool: ThreadPool,
  ops: number,
  threads: number,
): Promise<KvResult & { inThreadMs: number[] }> {
  const started = begin();
  const parts = await Promise.all(
    Array.from({ length: threads }, () => pool.run<ThreadKvResult>('tableKv', { ops })),
  );
  const r = result(
    `Table per thread, ${threads} thread${threads === 1 ? '' : 's'} (not shared)`,
    ops * threads,
    started,
    parts.every((p) => p.sum === ops * (ops + 1)),
  );
  return { ...r, inThreadMs: parts.map((p) => p.ms) };
}

/**
 * (c) The stretch, measured: `ops` increments over `slots` counters, three ways — `updateCounter`
 * on the main thread; `threads` threads doing Atomics.add on a SharedArrayBuffer; `threads`
 * threads counting locally, the main thread adding each batch with one `updateCounter` per slot.
 */
export async function counters(
  pool: ThreadPool,
  ops: number,
  threads: number,
  slots = 64,
): Promise<KvResult[]> {
  const expectAll = (counts: ArrayLike<number>): boolean =>
    Array.from(counts).reduce((a, b) => a + b, 0) === ops && counts.length === slots;
  const share = Math.floor(ops / threads);
  const shareOf = (j: number): number => (j === threads - 1 ? ops - share * (threads - 1) : share);

  const table = Table.new<[number, number]>({ type: 'set' });
  for (let k = 0; k < slots; k++) table.insert([k, 0]);
  let started = begin();
  for (let i = 0; i < ops; i++) table.updateCounter(i % slots, 1);
  const main = result('counters: updateCounter, main thread', ops, started, expectAll(readCounts(table)));
  table.drop();

  const buffer = new SharedArrayBuffer(slots * Int32Array.BYTES_PER_ELEMENT);
  started = begin();
  await Promise.all(
    Array.from({ length: threads }, (_, j) =>
      pool.run('atomicCount', { counters: buffer, ops: shareOf(j), offset: j }),
    ),
  );
  const atomics = result(
    `counters: Atomics.add, ${threads} threads`,
    ops,
    started,
    expectAll(new Int32Array(buffer)),
  );

  const batchTable = Table.new<[number, number]>({ type: 'set' });
  for (let k = 0; k < slots; k++) batchTable.insert([k, 0]);
  started = begin();
  const batches = await Promise.all(
    Array.from({ length: threads }, (_, j) =>
      pool.run<number[]>('batchedCount', { slots, ops: shareOf(j), offset: j }),
    ),
  );
  for (const batch of batches) batch.forEach((n, k) => batchTable.updateCounter(k, n));
  const batched = result(
    `counters: ${threads} threads, one batch each`,
    ops,
    started,
    expectAll(readCounts(batchTable)),
  );
  batchTable.drop();
  return [main, atomics, batched];
}

function readCounts(table: Table<[number, number]>): number[] {
  return table
    .toList()
    .sort((a, b) => a[0] - b[0])
    .map((row) => row[1]);
}

/** Options of {@link runAll}. */
export interface RunOptions {
  /** Puts+gets per caller. @default 100_000 */
  readonly ops?: number;
  /** Async callers and threads in the concurrent cases. @default 4 */
  readonly concurrency?: number;
  /** Threads in the pool. @default os.availableParallelism() */
  readonly threads?: number;
  /** Measured runs per case, after one warm-up; the fastest is kept (the least disturbed). @default 3 */
  readonly repeats?: number;
}

/** Every case, each run once to warm up (JIT, thread start) and then `repeats` times, keeping the fastest. */
export async function runAll(opts: RunOptions = {}): Promise<KvResult[]> {
  const { ops = 100_000, concurrency = 4, threads = availableParallelism(), repeats = 3 } = opts;
  const pool = ThreadPool.start({ filename: WORKER, size: threads, name: 'kv-bench' });
  try {
    const cases: (() => Promise<KvResult | KvResult[]>)[] = [
      () => agentKv(ops),
      async () => tableKv(ops),
      // The same work as the concurrent callers, done by one: the fair baseline for them.
      () => agentKv(ops, concurrency),
      () => agentAsyncCallers(ops, concurrency),
      async () => tableKv(ops, concurrency),
      () => tableAsyncCallers(ops, concurrency),
      ...[...new Set([1, threads, concurrency])].map((n) => () => threadTables(pool, ops, n)),
      () => counters(pool, ops * 10, threads),
    ];
    const out: KvResult[] = [];
    for (const run of cases) {
      await run(); // warm-up
      let best = [await run()].flat();
      for (let i = 1; i < repeats; i++) {
        const next = [await run()].flat();
        // Keep each sub-case's fastest run (a case may measure several).
        best = best.map((b, j) => (next[j] !== undefined && next[j].opsPerSec > b.opsPerSec ? next[j] : b));
      }
      out.push(...best);
    }
    return out;
  } finally {
    await pool.stop();
  }
}

function rate(n: number): string {
  return n >= 1e6 ? `${(n / 1e6).toFixed(2)} M` : `${(n / 1e3).toFixed(0)} k`;
}

/** Prints the results beside the seed's figures, as ops/s and as ratios to the 1-caller Agent. */
export function printResults(results: readonly KvResult[], log: (line: string) => void = console.log): void {
  const base = results.find((r) => r.name === 'Agent-served Map, 1 caller')?.opsPerSec ?? 1;
  const seed = (name: string): string =>
    name === 'Agent-served Map, 1 caller'
      ? `seed GenServer ~${rate(SEED_CLAIMS.genServer)}`
      : name === 'Table set, 1 caller'
        ? `seed ETS ~${rate(SEED_CLAIMS.ets)}`
        : name.startsWith('Table') && / 4 (async callers|threads)/.test(name)
          ? `seed ETS, 4 tasks ~${rate(SEED_CLAIMS.etsConcurrent4)}`
          : '';
  log(
    `${'case'.padEnd(46)} ${'ops/s'.padStart(9)}       ${'ratio'.padStart(7)}  cores  check  the seed says`,
  );
  for (const r of results) {
    const ratio = `${(r.opsPerSec / base).toFixed(1)}x`;
    log(
      `${r.name.padEnd(46)} ${rate(r.opsPerSec).padStart(9)} ops/s ${ratio.padStart(7)}  ${r.coresUsed.toFixed(1).padStart(5)}` +
        `  ${(r.correct ? 'ok' : 'WRONG').padEnd(5)}  ${seed(r.name)}`,
    );
  }
  log(
    `(ratio: to the 1-caller Agent; cores: process CPU time / wall time; ${availableParallelism()} cores here,` +
      ' shared with other work: figures are rough)',
  );
  log('(a) N async callers do the work of 1 caller doing N passes, on one core: interleaved, never parallel');
  log('(b) threads run in parallel up to the core count, but each on its own table, not a shared one');
  log('(c) the batch beats Atomics: a SharedArrayBuffer counter table would not pay (see the file comment)');
}

/** Runs the benchmark and prints it. */
export async function main(ops = 100_000, log: (line: string) => void = console.log): Promise<void> {
  printResults(await runAll({ ops }), log);
}

if (isMain(import.meta.url)) {
  const arg = Number(process.argv[2] ?? 100_000);
  await main(Number.isInteger(arg) && arg > 0 ? arg : 100_000);
}
