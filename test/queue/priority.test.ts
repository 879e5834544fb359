import { describe, expect, it } from 'vitest';
import { Priority, createMemoryStore } from '../../src/index.js';
import { startSteward } from './helpers.js';

describe('priorities', () => {
  it('runs strictly by priority with concurrency 1, lower first', async () => {
    const order: number[] = [];
    const store = createMemoryStore();
    // Enqueue through a steward that does not run jobs, so all are queued before any starts.
    const client = await startSteward({
      store,
      run: false,
      jobs: { work: (p: { n: number }) => void order.push(p.n) },
    });
    const priorities = [9, 5, 1, 7, 3, 0, 9, 1, 5, 3];
    for (const [n, priority] of priorities.entries()) await client.enqueue('work', { n }, { priority });
    const worker = await startSteward({
      store,
      queues: { default: { concurrency: 1 } },
      jobs: { work: (p: { n: number }) => void order.push(p.n) },
    });
    await worker.drain();
    const ran = order.map((n) => priorities[n]);
    expect(ran).toEqual([...priorities].sort((a, b) => a - b));
  });

  it('keeps FIFO order among equal priorities, and equal priorities never overwrite each other', async () => {
    const order: number[] = [];
    const store = createMemoryStore();
    const jobs = { work: (p: { n: number }) => void order.push(p.n) };
    const client = await startSteward({ store, run: false, jobs });
    for (let n = 0; n < 50; n++) await client.enqueue('work', { n }, { priority: n % 2 === 0 ? 5 : 3 });
    const worker = await startSteward({ store, queues: { default: { concurrency: 1 } }, jobs });
    await worker.drain();
    const odd = Array.from({ length: 25 }, (_, i) => 2 * i + 1);
    const even = Array.from({ length: 25 }, (_, i) => 2 * i);
    expect(order).toEqual([...odd, ...even]);
  });

  it('uses the seed levels: submit(data, priority) dispatches on data.type', async () => {
    expect(Priority).toEqual({ critical: 1, high: 3, normal: 5, low: 7, background: 9 });
    const order: string[] = [];
    const store = createMemoryStore();
    const jobs = {
      compute: (p: { data: number }) => void order.push(`compute:${p.data}`),
      io: (p: { data: number }) => void order.push(`io:${p.data}`),
    };
    const client = await startSteward({ store, run: false, jobs });
    const low = await client.submit({ type: 'io', data: 1 }, Priority.low);
    const normal = await client.submit({ type: 'compute', data: 2 });
    await client.submit({ type: 'compute', data: 3 }, Priority.critical);
    expect(low.kind).toBe('io');
    expect(low.payload).toEqual({ type: 'io', data: 1 });
    expect(normal.priority).toBe(Priority.normal);
    const worker = await startSteward({ store, queues: { default: { concurrency: 1 } }, jobs });
    await worker.drain();
    expect(order).toEqual(['compute:3', 'compute:2', 'io:1']);
  });

  it('rejects a submit whose data has no string type', async () => {
    const steward = await startSteward({ run: false, jobs: { a: () => null } });
    await expect(steward.submit({} as never)).rejects.toThrow(
      /Expected `data` to be an object with a string `type`/,
    );
    await expect(steward.submit({ type: 'a' }, 10)).rejects.toThrow(
      'Expected `priority` to be an integer from 0 (most urgent) to 9, got `10` (number)',
    );
  });
});
