import { afterEach, describe, expect, it } from 'vitest';
import { onReport } from '../../src/runtime/report.js';
import type { RuntimeReport } from '../../src/runtime/report.js';
import { _, compareKeys, Table, TableBadArgError } from '../../src/runtime/table/index.js';
import type { Key, TableType } from '../../src/runtime/table/index.js';

const owned: Table<never>[] = [];
function fresh<R extends readonly unknown[]>(
  type: TableType,
  access: 'public' | 'protected' = 'protected',
): Table<R> {
  const t = Table.new<R>({ type, access });
  owned.push(t as unknown as Table<never>);
  return t;
}
const offs: (() => void)[] = [];

afterEach(() => {
  for (const t of owned.splice(0)) if (t.isOwner) t.drop();
  for (const off of offs.splice(0)) off();
});

function boom(): never {
  throw new Error('boom');
}

/**
 * Everything observable about a table's contents. A set/bag's key order is arbitrary by contract
 * and a rollback may re-append restored keys, so for those the keys are sorted; the rows under each
 * key (a bag's insertion order included) and an ordered_set's order must match exactly.
 */
function contents<R extends readonly unknown[]>(t: Table<R>): { rows: R[][]; size: number; walk: unknown[] } {
  const walk: unknown[] = [];
  for (let k = t.first(); k !== undefined; k = t.next(k)) walk.push(k);
  const ordered = t.info().type === 'ordered_set';
  if (!ordered) walk.sort((a, b) => compareKeys(a, b));
  return { rows: walk.map((k) => t.lookup(k as Key)), size: t.info().size, walk };
}

describe('transaction', () => {
  it('returns the function result and keeps the changes when it does not throw', () => {
    const t = fresh<[string, number]>('set');
    const out = t.transaction((tx) => {
      tx.insert(['a', 1]);
      return tx.updateCounter('a', 1);
    });
    expect(out).toBe(2);
    expect(t.toList()).toEqual([['a', 2]]);
  });

  for (const type of ['set', 'ordered_set', 'bag', 'duplicate_bag'] as const) {
    it(`undoes every change of a throwing function on a ${type}, leaving the table exactly as before`, () => {
      const t = fresh<[[number, string], string]>(type);
      t.insertMany([
        [[2, 'b'], 'x'],
        [[1, 'a'], 'y'],
        [[1, 'a'], 'z'],
        [[3, 'c'], 'w'],
      ]);
      const before = contents(t);
      expect(() =>
        t.transaction((tx) => {
          tx.insert([[1, 'a'], 'new row for an existing key']);
          tx.insert([[9, 'z'], 'new key']);
          tx.delete([2, 'b']);
          tx.deleteObject([[1, 'a'], 'y']);
          tx.matchDelete([[3, _], _]);
          tx.take([9, 'z']);
          tx.insert([[9, 'z'], 'again']);
          if (type === 'set' || type === 'ordered_set') tx.updateElement([1, 'a'], [1, 'changed']);
          tx.deleteAllObjects();
          tx.insert([[5, 'e'], 'after clear']);
          tx.insert([[1, 'a'], 'after clear too']);
          boom();
        }),
      ).toThrow('boom');
      expect(contents(t)).toEqual(before);
    });
  }

  it('undoes changes made through another handle of the same table', () => {
    const t = fresh<[string, number]>('set', 'public');
    t.insert(['a', 1]);
    const shared = t.share();
    expect(() =>
      t.transaction(() => {
        shared.insert(['b', 2]);
        shared.updateCounter('a', 10);
        boom();
      }),
    ).toThrow('boom');
    expect(t.toList()).toEqual([['a', 1]]);
  });

  it('undoes only the inner level when a nested transaction throws and is caught', () => {
    const t = fresh<[string, number]>('set');
    t.insert(['a', 1]);
    t.transaction((outer) => {
      outer.updateCounter('a', 1);
      expect(() =>
        outer.transaction((inner) => {
          inner.updateCounter('a', 100);
          inner.insert(['b', 1]);
          boom();
        }),
      ).toThrow('boom');
      expect(outer.toList()).toEqual([['a', 2]]);
      outer.insert(['c', 3]);
    });
    expect(t.toList()).toEqual([
      ['a', 2],
      ['c', 3],
    ]);
  });

  it('undoes a committed inner level when the outer one throws', () => {
    const t = fresh<[string, number]>('ordered_set');
    t.insert(['a', 1]);
    expect(() =>
      t.transaction((outer) => {
        outer.transaction((inner) => inner.insert(['b', 2]));
        outer.delete('a');
        boom();
      }),
    ).toThrow('boom');
    expect(t.toList()).toEqual([['a', 1]]);
  });

  it('refuses an async function before running it', () => {
    const t = fresh<[string, number]>('set');
    let ran = false;
    expect(() =>
      t.transaction(async (tx) => {
        ran = true;
        tx.insert(['a', 1]);
      }),
    ).toThrow(/synchronous function/);
    expect(ran).toBe(false);
    expect(t.toList()).toEqual([]);
  });

  it('undoes and refuses a function that returns a promise, reporting its later rejection', async () => {
    const reports: RuntimeReport[] = [];
    offs.push(onReport((r) => reports.push(r)));
    const t = fresh<[string, number]>('set');
    expect(() =>
      t.transaction((tx) => {
        tx.insert(['a', 1]);
        return Promise.reject(new Error('late'));
      }),
    ).toThrow(TypeError);
    expect(t.toList()).toEqual([]);
    await new Promise((resolve) => setImmediate(resolve));
    expect(reports.map((r) => [r.event, r.reason?.message])).toEqual([
      ['table.transaction_rejected', 'late'],
    ]);
  });

  it('a bad argument inside a transaction undoes the earlier writes', () => {
    const t = fresh<[string, number]>('set');
    expect(() =>
      t.transaction((tx) => {
        tx.insert(['a', 1]);
        tx.insert([] as unknown as [string, number]);
      }),
    ).toThrow(TableBadArgError);
    expect(t.toList()).toEqual([]);
  });
});
