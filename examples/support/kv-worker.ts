/**
 * Thread-side work for drill 7 (loaded by a ThreadPool thread, so no top-level await): each
 * function runs in its own worker thread, with its own heap. A Table made here lives in this
 * thread only; the one memory threads truly share is a SharedArrayBuffer.
 */
import { Table } from '../../src/runtime/table/index.js';

/** What one thread reports back: the work it did, how long it took inside the thread, and a checksum. */
export interface ThreadKvResult {
  readonly ops: number;
  readonly ms: number;
  /** Sum of every value looked up: `ops * (ops + 1)` when every lookup found `i * 2`. */
  readonly sum: number;
}

/** The seed's loop on this thread's own Table: `ops` times insert `[i, i * 2]` then lookup `i`. */
export function tableKv(arg: { ops: number }): ThreadKvResult {
  const table = Table.new<[number, number]>({ type: 'set' });
  const start = performance.now();
  let sum = 0;
  for (let i = 1; i <= arg.ops; i++) {
    table.insert([i, i * 2]);
    sum += table.lookup(i)[0]?.[1] ?? 0;
  }
  const ms = performance.now() - start;
  table.drop();
  return { ops: arg.ops, ms, sum };
}

/** `ops` increments spread over the shared counters, with Atomics.add (no messages, no lock). */
export function atomicCount(arg: { counters: SharedArrayBuffer; ops: number; offset: number }): {
  ms: number;
} {
  const slots = new Int32Array(arg.counters);
  const n = slots.length;
  const start = performance.now();
  for (let i = 0; i < arg.ops; i++) Atomics.add(slots, (i + arg.offset) % n, 1);
  return { ms: performance.now() - start };
}

/** The same increments counted locally and sent back in one message, for the main thread to apply. */
export function batchedCount(arg: { slots: number; ops: number; offset: number }): number[] {
  const counts = new Array<number>(arg.slots).fill(0);
  for (let i = 0; i < arg.ops; i++) counts[(i + arg.offset) % arg.slots]! += 1;
  return counts;
}
