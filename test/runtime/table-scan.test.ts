import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { $1, _, Table } from '../../src/runtime/table/index.js';
import type { TableType } from '../../src/runtime/table/index.js';
import type * as PatternModule from '../../src/runtime/table/pattern.js';

/**
 * Counts every row a compiled pattern or select spec is asked about: the proof that a bound key is
 * used to find candidates instead of testing every row.
 */
const tested = vi.hoisted(() => ({ rows: [] as unknown[] }));

vi.mock('../../src/runtime/table/pattern.js', async (importOriginal) => {
  const real = await importOriginal<typeof PatternModule>();
  const count =
    <A extends unknown[], T>(fn: (row: readonly unknown[], ...rest: A) => T) =>
    (row: readonly unknown[], ...rest: A): T => {
      tested.rows.push(row);
      return fn(row, ...rest);
    };
  return {
    ...real,
    compilePattern: (...args: Parameters<typeof real.compilePattern>) => {
      const p = real.compilePattern(...args);
      return { ...p, matches: count(p.matches), test: count(p.test), values: count(p.values) };
    },
    compileSelect: (...args: Parameters<typeof real.compileSelect>) => {
      const s = real.compileSelect(...args);
      return { ...s, apply: count(s.apply), matches: count(s.matches) };
    },
  };
});

const owned: Table<never>[] = [];
function fresh<R extends readonly unknown[]>(type: TableType): Table<R> {
  const t = Table.new<R>({ type });
  owned.push(t as unknown as Table<never>);
  return t;
}

beforeEach(() => {
  tested.rows = [];
});
afterEach(() => {
  for (const t of owned.splice(0)) t.drop();
});

describe('patterns that bind the key do not scan', () => {
  for (const type of ['set', 'ordered_set'] as const) {
    it(`${type}: a fully bound key tests only that key's row`, () => {
      const t = fresh<[number, string]>(type);
      for (let i = 0; i < 1000; i++) t.insert([i, `v${i}`]);
      expect(t.match([500, $1])).toEqual([['v500']]);
      expect(tested.rows).toEqual([[500, 'v500']]);
      tested.rows = [];
      expect(t.select({ match: [7, _], result: (b, row) => row[1] })).toEqual(['v7']);
      expect(t.selectCount({ match: [1000, _] })).toBe(0);
      expect(t.matchDelete([8, _])).toBe(1);
      expect(tested.rows).toEqual([
        [7, 'v7'],
        [8, 'v8'],
      ]);
    });
  }

  it("bag: a fully bound key tests only that key's rows", () => {
    const t = fresh<[string, number]>('duplicate_bag');
    for (let i = 0; i < 300; i++) t.insert([`k${i % 100}`, i]);
    expect(t.matchObject(['k5', _])).toEqual([
      ['k5', 5],
      ['k5', 105],
      ['k5', 205],
    ]);
    expect(tested.rows).toHaveLength(3);
  });

  it('ordered_set: a bound prefix of a tuple key tests only the rows in that range, in key order', () => {
    const t = fresh<[[number, number, string], string]>('ordered_set');
    for (let priority = 1; priority <= 5; priority++) {
      for (let time = 0; time < 20; time++) t.insert([[priority, time, `id${time}`], `p${priority}`]);
    }
    const rows = t.matchObject([[3, _, _], _]);
    expect(rows).toHaveLength(20);
    expect(rows.every((r) => r[0][0] === 3)).toBe(true);
    expect(rows.map((r) => r[0][1])).toEqual(Array.from({ length: 20 }, (_v, i) => i));
    expect(tested.rows).toEqual(rows);
    tested.rows = [];
    expect(t.select({ match: [[5, $1, _], _], where: (b) => b.$1 >= 18, result: (b) => b.$1 })).toEqual([
      18, 19,
    ]);
    expect(tested.rows).toHaveLength(20);
  });

  it('an unbound key tests every row (the control for the tests above)', () => {
    const t = fresh<[number, string]>('ordered_set');
    for (let i = 0; i < 100; i++) t.insert([i, 'x']);
    expect(t.selectCount({ match: [_, 'x'] })).toBe(100);
    expect(tested.rows).toHaveLength(100);
  });

  it('set: a bound prefix cannot use a hash index, so it scans and still matches correctly', () => {
    const t = fresh<[[number, number], string]>('set');
    for (let i = 0; i < 10; i++) t.insert([[i % 2, i], 'x']);
    expect(t.matchObject([[1, _], _])).toHaveLength(5);
    expect(tested.rows).toHaveLength(10);
  });
});
