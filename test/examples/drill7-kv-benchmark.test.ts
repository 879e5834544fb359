import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  agentAsyncCallers,
  agentKv,
  counters,
  printResults,
  runAll,
  tableAsyncCallers,
  tableKv,
  threadTables,
} from '../../examples/drill7-kv-benchmark.js';
import { ThreadPool } from '../../src/runtime/index.js';

// Tiny sizes: these tests check that every case computes the right answer, never its speed.
describe('drill 7: the KV benchmark computes correct results', () => {
  let pool: ThreadPool;
  beforeAll(() => {
    pool = ThreadPool.start({
      filename: new URL('../../examples/support/kv-worker.ts', import.meta.url),
      size: 2,
    });
  });
  afterAll(() => pool.stop());

  it('reads back every value written, with one caller, on an Agent and on a Table', async () => {
    for (const r of [await agentKv(50), tableKv(50), await agentKv(20, 3), tableKv(20, 3)]) {
      expect(r.correct, r.name).toBe(true);
      expect(r.opsPerSec).toBeGreaterThan(0);
    }
    expect((await agentKv(20, 3)).ops).toBe(60);
    expect(tableKv(20, 3).name).toBe('Table set, 1 caller, 3 passes');
  });

  it('stays correct with async callers interleaving on one table and queueing on one Agent', async () => {
    const table = await tableAsyncCallers(300, 4, 7);
    expect(table).toMatchObject({ name: 'Table set, 4 async callers', ops: 1200, correct: true });
    const agent = await agentAsyncCallers(30, 4);
    expect(agent).toMatchObject({ name: 'Agent-served Map, 4 async callers', ops: 120, correct: true });
  });

  it('runs the loop on a Table in each thread and checks every thread’s sums', async () => {
    const r = await threadTables(pool, 100, 2);
    expect(r).toMatchObject({ name: 'Table per thread, 2 threads (not shared)', ops: 200, correct: true });
    expect(r.inThreadMs).toHaveLength(2);
  });

  it('counts every increment exactly, on the main thread, with Atomics from threads, and by batches', async () => {
    const results = await counters(pool, 1001, 2, 8);
    expect(results.map((r) => [r.name, r.ops, r.correct])).toEqual([
      ['counters: updateCounter, main thread', 1001, true],
      ['counters: Atomics.add, 2 threads', 1001, true],
      ['counters: 2 threads, one batch each', 1001, true],
    ]);
  });

  it('prints every case with its ratio and the seed’s figures', async () => {
    const results = await runAll({ ops: 40, concurrency: 2, threads: 2, repeats: 1 });
    expect(results.every((r) => r.correct)).toBe(true);
    expect(results.map((r) => r.name)).toEqual([
      'Agent-served Map, 1 caller',
      'Table set, 1 caller',
      'Agent-served Map, 1 caller, 2 passes',
      'Agent-served Map, 2 async callers',
      'Table set, 1 caller, 2 passes',
      'Table set, 2 async callers',
      'Table per thread, 1 thread (not shared)',
      'Table per thread, 2 threads (not shared)',
      'counters: updateCounter, main thread',
      'counters: Atomics.add, 2 threads',
      'counters: 2 threads, one batch each',
    ]);
    const lines: string[] = [];
    printResults(results, (l) => lines.push(l));
    expect(lines.find((l) => l.startsWith('Agent-served Map, 1 caller '))).toMatch(
      /1\.0x .* ok +seed GenServer ~1\.00 M$/,
    );
    expect(lines.find((l) => l.startsWith('Table set, 1 caller '))).toMatch(/seed ETS ~5\.00 M$/);
    expect(lines.some((l) => l.includes('WRONG'))).toBe(false);
  });
});
