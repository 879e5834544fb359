/** The memory store's ready index: fetch order (priority, runAt, seq) through its FIFO fast path and its `late` table. */
import { describe, expect, it } from 'vitest';
import { ReadyIndex } from '../../src/store/memory-ready.js';

function index(runAts: Map<number, number>): ReadyIndex {
  return new ReadyIndex((seq) => runAts.get(seq) as number);
}

/** Takes every job in fetch order, as the store's fetch does: first, then remove. */
function drain(
  ready: ReadyIndex,
  runAts: Map<number, number>,
  priorityOf: (seq: number) => number,
): number[] {
  const out: number[] = [];
  for (let seq = ready.first(); seq !== undefined; seq = ready.first()) {
    ready.remove(priorityOf(seq), runAts.get(seq) as number, seq);
    out.push(seq);
  }
  return out;
}

describe('ReadyIndex', () => {
  it('answers priority first, then runAt, then seq, whichever way jobs arrived', () => {
    const runAts = new Map<number, number>();
    const priorities = new Map<number, number>();
    const ready = index(runAts);
    const add = (seq: number, priority: number, runAt: number): void => {
      runAts.set(seq, runAt);
      priorities.set(seq, priority);
      ready.add(priority, runAt, seq);
    };
    add(1, 5, 100);
    add(2, 5, 100);
    add(3, 1, 100);
    add(4, 5, 50); // an earlier runAt after later ones: not FIFO, goes to `late`
    add(5, 5, 100);
    add(6, 9, 10);
    expect(ready.toList()).toEqual([3, 4, 1, 2, 5, 6]);
    expect(drain(ready, runAts, (s) => priorities.get(s) as number)).toEqual([3, 4, 1, 2, 5, 6]);
    expect(ready.first()).toBeUndefined();
  });

  it('skips jobs removed from the middle, and stays right across many takes (the array is compacted)', () => {
    const runAts = new Map<number, number>();
    const ready = index(runAts);
    const n = 10_000;
    for (let seq = 1; seq <= n; seq++) {
      runAts.set(seq, 0);
      ready.add(5, 0, seq);
    }
    for (let seq = 2; seq <= n; seq += 3) ready.remove(5, 0, seq);
    const taken = drain(ready, runAts, () => 5);
    expect(taken).toEqual(Array.from({ length: n }, (_, i) => i + 1).filter((seq) => (seq - 2) % 3 !== 0));
    // A job taken back (a release keeps its old seq) sorts before newer ones.
    ready.add(5, 0, n + 1);
    ready.add(5, 0, 7);
    expect(ready.toList()).toEqual([7, n + 1]);
  });
});
