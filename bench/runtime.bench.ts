/**
 * Runtime benchmarks: each figure beside its baseline, as a ratio.
 * - Agent update ops/s vs a plain object (the cost of serialising updates);
 * - Task spawn+await vs a bare promise;
 * - asyncStream throughput vs a plain for-await loop;
 * - ThreadPool speed-up on CPU-bound work, all cores vs one.
 */
import os from 'node:os';
import { Agent, Task, ThreadPool } from '../src/runtime/index.js';
import { spin } from './workers/cpu.js';
import { measure, printTable } from './harness.js';

const BATCH = 1000;

/** Agent updates against the same updates on a plain object. */
async function agentBench(): Promise<void> {
  const agent = await Agent.start(() => 0);
  const plain = { n: 0 };
  const results = await measure([
    [
      'plain object: n = n + 1',
      BATCH,
      () => {
        for (let i = 0; i < BATCH; i++) plain.n = plain.n + 1;
      },
    ],
    [
      'Agent.update (awaited one by one)',
      BATCH,
      async () => {
        for (let i = 0; i < BATCH; i++) await agent.update((n) => n + 1);
      },
    ],
    [
      'Agent.update (1000 in flight)',
      BATCH,
      async () => {
        const all: Promise<void>[] = [];
        for (let i = 0; i < BATCH; i++) all.push(agent.update((n) => n + 1));
        await Promise.all(all);
      },
    ],
    [
      'Agent.cast (fire-and-forget) + one get',
      BATCH,
      async () => {
        for (let i = 0; i < BATCH; i++) agent.cast((n) => n + 1);
        await agent.get();
      },
    ],
  ]);
  await agent.stop();
  printTable('Agent: updates per second', results, 'plain object: n = n + 1');
}

/** Task.async + await against awaiting a bare async function. */
async function taskBench(): Promise<void> {
  const work = async (): Promise<number> => 1;
  const results = await measure([
    [
      'bare async function, awaited',
      BATCH,
      async () => {
        for (let i = 0; i < BATCH; i++) await work();
      },
    ],
    [
      'Task.async + task.await()',
      BATCH,
      async () => {
        for (let i = 0; i < BATCH; i++) await Task.async(work).await();
      },
    ],
    [
      'Task.async x1000 + Task.awaitMany',
      BATCH,
      async () => {
        await Task.awaitMany(Array.from({ length: BATCH }, () => Task.async(work)));
      },
    ],
  ]);
  printTable('Task: spawn + await per second', results, 'bare async function, awaited');
}

/** asyncStream over async items against a sequential for-await. */
async function streamBench(): Promise<void> {
  const item = async (n: number): Promise<number> => n * 2;
  const range = (n: number): number[] => Array.from({ length: n }, (_, i) => i);
  const results = await measure([
    [
      'for-of loop, await each item',
      BATCH,
      async () => {
        for (const n of range(BATCH)) await item(n);
      },
    ],
    [
      'asyncStream ordered, 8 in flight',
      BATCH,
      async () => {
        for await (const r of Task.asyncStream(range(BATCH), item, { maxConcurrency: 8 })) void r;
      },
    ],
    [
      'asyncStream unordered, 8 in flight',
      BATCH,
      async () => {
        for await (const r of Task.asyncStream(range(BATCH), item, { maxConcurrency: 8, ordered: false }))
          void r;
      },
    ],
  ]);
  printTable('Task.asyncStream: items per second', results, 'for-of loop, await each item');
}

/** CPU-bound work on the ThreadPool: one thread vs all cores, and the main thread alone. */
async function threadPoolBench(): Promise<void> {
  const cores = os.availableParallelism();
  const jobs = cores * 4;
  const n = 20_000_000;
  const filename = new URL('./workers/cpu.ts', import.meta.url);
  const one = ThreadPool.start({ filename, size: 1 });
  const all = ThreadPool.start({ filename, size: cores });
  const batch = (pool: ThreadPool) => async () => {
    await Promise.all(Array.from({ length: jobs }, () => pool.run<number>('spin', n)));
  };
  await batch(one)(); // warm the threads up (tsx loading, JIT)
  await batch(all)();
  const results = await measure(
    [
      ['main thread, sequential', jobs, () => Array.from({ length: jobs }, () => spin(n))],
      ['ThreadPool size 1', jobs, batch(one)],
      [`ThreadPool size ${cores} (all cores)`, jobs, batch(all)],
    ],
    { timeMs: 3000 },
  );
  await Promise.all([one.stop(), all.stop()]);
  printTable(
    `ThreadPool: CPU-bound calls per second (${jobs} calls of spin(${n}) per batch)`,
    results,
    'ThreadPool size 1',
  );
}

/** Runs every runtime benchmark. */
export async function run(): Promise<void> {
  await agentBench();
  await taskBench();
  await streamBench();
  await threadPoolBench();
}
