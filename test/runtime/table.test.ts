import { afterEach, describe, expect, expectTypeOf, it } from 'vitest';
import { $1, $2, $3, _, Table, TableBadArgError, TableError } from '../../src/runtime/table/index.js';
import type { TableType } from '../../src/runtime/table/index.js';

const tables: Table<never>[] = [];
function track<R extends readonly unknown[]>(t: Table<R>): Table<R> {
  tables.push(t as unknown as Table<never>);
  return t;
}
function fresh<R extends readonly unknown[]>(type: TableType = 'set', keyPos = 0): Table<R> {
  return track(Table.new<R>({ type, keyPos }));
}

afterEach(() => {
  for (const t of tables.splice(0)) if (t.isOwner) t.drop();
});

describe('table types', () => {
  it('set: one row per key, a later insert overwrites', () => {
    const t = fresh<[string, number]>('set');
    t.insert(['a', 1]);
    t.insert(['b', 2]);
    t.insert(['a', 3]);
    expect(t.lookup('a')).toEqual([['a', 3]]);
    expect(t.info().size).toBe(2);
  });

  it('set: keys equal under compareKeys are one key (1 and 1n, -0 and 0, equal tuples)', () => {
    const t = fresh<[unknown, string]>('set');
    t.insert([1, 'number']);
    t.insert([1n, 'bigint']);
    t.insert([-0, 'minus zero']);
    t.insert([0, 'zero']);
    t.insert([['x', 1], 'first']);
    t.insert([['x', 1], 'second']);
    expect(t.toList()).toEqual([
      [1n, 'bigint'],
      [0, 'zero'],
      [['x', 1], 'second'],
    ]);
    expect(t.lookup(['x', 1])).toEqual([[['x', 1], 'second']]);
    expect(t.member('1')).toBe(false);
  });

  it('ordered_set: rows come back in key order, including mixed tuple keys [priority, time, id]', () => {
    const t = fresh<[[number, number, string], string]>('ordered_set');
    t.insert([[2, 10, 'b'], 'low']);
    t.insert([[1, 20, 'a'], 'high, later']);
    t.insert([[1, 10, 'z'], 'high, earlier']);
    t.insert([[1, 10, 'y'], 'high, earlier, smaller id']);
    expect(t.toList().map((r) => r[1])).toEqual([
      'high, earlier, smaller id',
      'high, earlier',
      'high, later',
      'low',
    ]);
  });

  it('ordered_set: orders keys of different kinds null < booleans < numbers < strings < arrays', () => {
    const t = fresh<[unknown]>('ordered_set');
    for (const k of [['a'], 'b', 2, true, null, 1n, false, 'a', [1, 2], [1]]) t.insert([k]);
    expect(t.toList().map((r) => r[0])).toEqual([null, false, true, 1n, 2, 'a', 'b', [1], [1, 2], ['a']]);
  });

  it('bag: keeps distinct rows per key in insertion order and drops a deep-equal duplicate', () => {
    const t = fresh<[string, { n: number }]>('bag');
    t.insert(['k', { n: 1 }]);
    t.insert(['k', { n: 2 }]);
    t.insert(['k', { n: 1 }]);
    t.insert(['j', { n: 1 }]);
    expect(t.lookup('k')).toEqual([
      ['k', { n: 1 }],
      ['k', { n: 2 }],
    ]);
    expect(t.info().size).toBe(3);
  });

  it('duplicate_bag: keeps identical rows', () => {
    const t = fresh<[string, number]>('duplicate_bag');
    t.insert(['k', 1]);
    t.insert(['k', 1]);
    t.insert(['k', 2]);
    expect(t.lookup('k')).toEqual([
      ['k', 1],
      ['k', 1],
      ['k', 2],
    ]);
    expect(t.info().size).toBe(3);
  });

  it('uses keyPos to find the key', () => {
    const t = fresh<[string, number]>('set', 1);
    t.insert(['a', 1]);
    t.insert(['b', 1]);
    expect(t.lookup(1)).toEqual([['b', 1]]);
  });

  it('stores rows by reference without copying them, freezing tuple keys deeply', () => {
    const t = fresh<[[number, [string]], number]>('ordered_set');
    const row: [[number, [string]], number] = [[1, ['a']], 2];
    t.insert(row);
    expect(t.lookup([1, ['a']])[0]).toBe(row);
    expect(Object.isFrozen(row[0])).toBe(true);
    expect(Object.isFrozen(row[0][1])).toBe(true);
    expect(() => ((row[0] as unknown as number[])[0] = 5)).toThrow(TypeError);
  });

  it('updateElement builds a new row, leaving a row read earlier untouched', () => {
    const t = fresh<[string, number]>('set');
    t.insert(['a', 1]);
    const before = t.lookup('a')[0];
    t.updateElement('a', [1, 2]);
    expect(before).toEqual(['a', 1]);
    expect(t.lookup('a')).toEqual([['a', 2]]);
  });
});

describe('insert verbs', () => {
  it('insertMany is all-or-nothing: a bad row leaves the table unchanged', () => {
    const t = fresh<[string, number]>();
    t.insert(['a', 0]);
    const bad = [['a', 1], ['b', 2], []] as unknown as [string, number][];
    expect(() => t.insertMany(bad)).toThrow(/row 2/);
    expect(t.toList()).toEqual([['a', 0]]);
    t.insertMany([
      ['a', 1],
      ['b', 2],
    ]);
    expect(t.toList()).toEqual([
      ['a', 1],
      ['b', 2],
    ]);
  });

  it('insertNew refuses an existing key and inserts a new one', () => {
    const t = fresh<[string, number]>();
    expect(t.insertNew(['a', 1])).toBe(true);
    expect(t.insertNew(['a', 2])).toBe(false);
    expect(t.lookup('a')).toEqual([['a', 1]]);
  });

  it('insertNewMany inserts nothing when any key exists', () => {
    const t = fresh<[string, number]>('bag');
    t.insert(['b', 0]);
    expect(
      t.insertNewMany([
        ['a', 1],
        ['b', 2],
      ]),
    ).toBe(false);
    expect(t.toList()).toEqual([['b', 0]]);
    expect(
      t.insertNewMany([
        ['a', 1],
        ['c', 2],
      ]),
    ).toBe(true);
    expect(t.info().size).toBe(3);
  });
});

describe('read and delete verbs', () => {
  it('lookup returns [] for a missing key and a fresh array each time', () => {
    const t = fresh<[string, number]>('bag');
    t.insert(['a', 1]);
    expect(t.lookup('zz')).toEqual([]);
    const rows = t.lookup('a');
    rows.push(['a', 99]);
    expect(t.lookup('a')).toEqual([['a', 1]]);
  });

  it('get returns the one row with a key, or undefined, in set and ordered_set tables; a bag refuses it', () => {
    for (const type of ['set', 'ordered_set'] as const) {
      const t = fresh<[string | [number, number], number]>(type);
      t.insert(['a', 1]);
      t.insert([[1, 2], 3]);
      expect(t.get('a')).toEqual(['a', 1]);
      expect(t.get([1, 2])).toEqual([[1, 2], 3]);
      expect(t.get('zz')).toBeUndefined();
    }
    const bag = fresh<[string, number]>('bag');
    expect(() => bag.get('a')).toThrow(/`get`.*set or ordered_set.*bag/);
    expect(() => fresh().get(undefined as never)).toThrow(TableBadArgError);
  });

  it('lookupElement returns the element and names a missing key or bad position', () => {
    const t = fresh<[string, number, boolean]>();
    t.insert(['a', 1, true]);
    expect(t.lookupElement('a', 2)).toBe(true);
    expect(() => t.lookupElement('nope', 1)).toThrow(TableBadArgError);
    expect(() => t.lookupElement('nope', 1)).toThrow(/`key`.*"nope"/);
    expect(() => t.lookupElement('a', 7 as 2)).toThrow(/`pos`.*length 3.*`7`/);
    expect(() => t.lookupElement('a', -1 as 2)).toThrow(/non-negative integer.*`-1`/);
  });

  it('lookupElement refuses a bag, pointing at lookup', () => {
    const t = fresh<[string, number]>('bag');
    t.insert(['a', 1]);
    expect(() => t.lookupElement('a', 1)).toThrow(/lookupElement.*set or ordered_set.*bag/);
  });

  it('member, take and delete', () => {
    const t = fresh<[string, number]>('duplicate_bag');
    t.insertMany([
      ['a', 1],
      ['a', 2],
      ['b', 3],
    ]);
    expect(t.member('a')).toBe(true);
    expect(t.take('a')).toEqual([
      ['a', 1],
      ['a', 2],
    ]);
    expect(t.member('a')).toBe(false);
    expect(t.take('a')).toEqual([]);
    expect(t.delete('b')).toBe(true);
    expect(t.delete('b')).toBe(false);
    expect(t.info().size).toBe(0);
  });

  it('deleteObject removes only deep-equal rows (a duplicate_bag: every copy)', () => {
    const bag = fresh<[string, number[]]>('duplicate_bag');
    bag.insertMany([
      ['k', [1]],
      ['k', [2]],
      ['k', [1]],
    ]);
    expect(bag.deleteObject(['k', [1]])).toBe(true);
    expect(bag.lookup('k')).toEqual([['k', [2]]]);
    const set = fresh<[string, number]>('set');
    set.insert(['k', 1]);
    expect(set.deleteObject(['k', 2])).toBe(false);
    expect(set.deleteObject(['k', 1])).toBe(true);
    expect(set.member('k')).toBe(false);
  });

  it('deleteAllObjects empties the table, which stays usable', () => {
    const t = fresh<[number]>('ordered_set');
    t.insertMany([[1], [2]]);
    t.deleteAllObjects();
    expect(t.toList()).toEqual([]);
    t.insert([3]);
    expect(t.toList()).toEqual([[3]]);
  });
});

describe('updateCounter', () => {
  it('adds to the element after the key by default and returns the new value', () => {
    const t = fresh<[string, number, number]>();
    t.insert(['hits', 10, 0]);
    expect(t.updateCounter('hits', 5)).toBe(15);
    expect(t.updateCounter('hits', [2, -1])).toBe(-1);
    expect(t.lookup('hits')).toEqual([['hits', 15, -1]]);
  });

  it('applies a list of ops in order and returns every value', () => {
    const t = fresh<[string, number, number]>();
    t.insert(['c', 1, 1]);
    expect(
      t.updateCounter('c', [
        [1, 1],
        [2, 10],
        [1, 1],
      ]),
    ).toEqual([2, 11, 3]);
  });

  it('threshold form wraps upwards and saturates downwards', () => {
    const t = fresh<[string, number]>();
    t.insert(['w', 8]);
    expect(t.updateCounter('w', [1, 1, 9, 0])).toBe(9);
    expect(t.updateCounter('w', [1, 1, 9, 0])).toBe(0);
    expect(t.updateCounter('w', [1, -5, 0, 0])).toBe(0);
  });

  it('inserts the default row (with its key replaced) when the key is missing', () => {
    const t = fresh<[string, number]>();
    expect(t.updateCounter('new', 3, ['ignored', 100])).toBe(103);
    expect(t.lookup('new')).toEqual([['new', 103]]);
    expect(t.member('ignored')).toBe(false);
  });

  it('throws for a missing key without a default, naming the key', () => {
    const t = fresh<[string, number]>();
    expect(() => t.updateCounter('ghost', 1)).toThrow(/`key`.*"ghost"/);
  });

  it('refuses a non-number element and leaves the row unchanged, even mid-list', () => {
    const t = fresh<[string, number, string]>();
    t.insert(['c', 1, 'text']);
    expect(() =>
      t.updateCounter('c', [
        [1, 1],
        [2, 1],
      ]),
    ).toThrow(/element at position 2.*"text"/);
    expect(t.lookup('c')).toEqual([['c', 1, 'text']]);
  });

  it('refuses the key position, a position past the row, and a bag table', () => {
    const t = fresh<[string, number]>();
    t.insert(['c', 1]);
    expect(() => t.updateCounter('c', [0, 1])).toThrow(/cannot change a key/);
    expect(() => t.updateCounter('c', [5, 1])).toThrow(/inside the row.*`5`/);
    expect(() => t.updateCounter('c', [1, 'x' as unknown as number])).toThrow(/`incr`.*"x"/);
    expect(t.lookup('c')).toEqual([['c', 1]]);
    const bag = fresh<[string, number]>('bag');
    expect(() => bag.updateCounter('c', 1)).toThrow(TableError);
  });
});

describe('updateElement', () => {
  it('replaces elements and returns true, or false for a missing key', () => {
    const t = fresh<[string, number, string]>('ordered_set');
    t.insert(['a', 1, 'x']);
    expect(t.updateElement('a', [2, 'y'])).toBe(true);
    expect(
      t.updateElement('a', [
        [1, 5],
        [2, 'z'],
      ]),
    ).toBe(true);
    expect(t.lookup('a')).toEqual([['a', 5, 'z']]);
    expect(t.updateElement('b', [1, 0])).toBe(false);
  });

  it('refuses to update the key position or past the row, leaving the row unchanged', () => {
    const t = fresh<[string, number]>();
    t.insert(['a', 1]);
    expect(() => t.updateElement('a', [0, 'b'])).toThrow(/key's \(0\).*cannot change a key.*`0`/);
    expect(() =>
      t.updateElement('a', [
        [1, 2],
        [4 as 1, 3],
      ]),
    ).toThrow(/inside the row/);
    expect(t.lookup('a')).toEqual([['a', 1]]);
  });
});

describe('pattern verbs', () => {
  type Job = [id: string, state: string, attempts: number];
  function jobs(type: TableType = 'set'): Table<Job> {
    const t = fresh<Job>(type);
    t.insertMany([
      ['j1', 'queued', 0],
      ['j2', 'running', 1],
      ['j3', 'queued', 2],
      ['j4', 'failed', 3],
    ]);
    return t;
  }

  it('match returns bindings ordered by variable number', () => {
    const t = jobs('ordered_set');
    expect(t.match([$2, 'queued', $1])).toEqual([
      [0, 'j1'],
      [2, 'j3'],
    ]);
    expect(t.match(['j2', $1, _])).toEqual([['running']]);
  });

  it('matchObject returns whole rows; a repeated variable needs equal values', () => {
    const t = fresh<[string, string, string]>('bag');
    t.insertMany([
      ['a', 'x', 'x'],
      ['a', 'x', 'y'],
    ]);
    expect(t.matchObject([_, $1, $1])).toEqual([['a', 'x', 'x']]);
    expect(t.matchObject(_)).toHaveLength(2);
  });

  it('select applies guards and results, first matching clause wins', () => {
    const t = jobs('ordered_set');
    expect(t.select({ match: [$1, _, $2], where: (b) => b.$2 >= 2, result: (b) => b.$1 })).toEqual([
      'j3',
      'j4',
    ]);
    expect(
      t.select([
        { match: [$1, 'failed', _], result: (b) => `dead ${b.$1}` },
        { match: [$1, _, $2], where: (b) => b.$2 > 0, result: (b) => `retry ${b.$1}` },
      ]),
    ).toEqual(['retry j2', 'retry j3', 'dead j4']);
    expect(t.select({ match: ['j1', _, _] })).toEqual([['j1', 'queued', 0]]);
  });

  it('selectCount, selectDelete and matchDelete', () => {
    const t = jobs('duplicate_bag');
    t.insert(['j1', 'queued', 0]);
    expect(t.selectCount({ match: [_, 'queued', $1], where: (b) => b.$1 < 1 })).toBe(2);
    expect(t.selectDelete({ match: [_, 'queued', _] })).toBe(3);
    expect(t.matchDelete([_, _, 3])).toBe(1);
    expect(t.toList()).toEqual([['j2', 'running', 1]]);
  });

  it('a bad pattern throws naming it and changes nothing', () => {
    const t = jobs();
    expect(() => t.matchDelete([] as unknown as Job)).toThrow(TableBadArgError);
    expect(() => t.selectDelete({ match: [_, _, _], where: () => 'yes' as unknown as boolean })).toThrow(
      /boolean/,
    );
    expect(t.info().size).toBe(4);
  });

  it('$3 and nested patterns bind inside tuple keys', () => {
    const t = fresh<[[number, string], number]>('ordered_set');
    t.insertMany([
      [[1, 'a'], 10],
      [[2, 'b'], 20],
    ]);
    expect(t.match([[$1, $3], $2])).toEqual([
      [1, 10, 'a'],
      [2, 20, 'b'],
    ]);
  });
});

describe('traversal', () => {
  it('ordered_set walks keys in order with first/next and last/prev; next need not be a stored key', () => {
    const t = fresh<[number]>('ordered_set');
    t.insertMany([[30], [10], [20]]);
    const forward: unknown[] = [];
    for (let k = t.first(); k !== undefined; k = t.next(k)) forward.push(k);
    expect(forward).toEqual([10, 20, 30]);
    const back: unknown[] = [];
    for (let k = t.last(); k !== undefined; k = t.prev(k)) back.push(k);
    expect(back).toEqual([30, 20, 10]);
    expect(t.next(15)).toBe(20);
    expect(t.prev(15)).toBe(10);
  });

  it('an empty table has no first or last key', () => {
    for (const type of ['set', 'ordered_set', 'bag'] as const) {
      const t = fresh<[number]>(type);
      expect(t.first()).toBeUndefined();
      expect(t.last()).toBeUndefined();
    }
  });

  it('set and bag walks visit every key once, even when deleting the current key', () => {
    for (const type of ['set', 'bag', 'duplicate_bag'] as const) {
      const t = fresh<[number, number]>(type);
      for (let i = 0; i < 50; i++)
        t.insertMany([
          [i, 0],
          [i, 1],
        ]);
      const seen: unknown[] = [];
      for (let k = t.first(); k !== undefined; k = t.next(k)) {
        seen.push(k);
        if ((k as number) % 2 === 0) t.delete(k);
      }
      expect(seen).toEqual(Array.from({ length: 50 }, (_, i) => i));
      expect(t.info().size).toBe(type === 'set' ? 25 : 50);
    }
  });

  it('set next() from an arbitrary stored key continues the order; an unknown key throws naming it', () => {
    const t = fresh<[string]>('set');
    t.insertMany([['a'], ['b'], ['c']]);
    expect(t.next('b')).toBe('c');
    expect(t.next('a')).toBe('b');
    expect(t.last()).toBe(t.first());
    expect(() => t.next('zz')).toThrow(/"zz"/);
  });

  it('toList copies: mutating the result does not touch the table', () => {
    const t = fresh<[number]>('set');
    t.insert([1]);
    t.toList().pop();
    expect(t.toList()).toEqual([[1]]);
  });
});

describe('info', () => {
  it('reports settings, size, and a memory estimate that grows with rows', () => {
    const t = track(
      Table.new<[string, string]>({ type: 'bag', keyPos: 1, access: 'public', name: 'info-t' }),
    );
    const empty = t.info();
    expect(empty).toMatchObject({
      type: 'bag',
      size: 0,
      access: 'public',
      name: 'info-t',
      keyPos: 1,
      owner: undefined,
      heir: undefined,
    });
    expect(empty.memory).toBeGreaterThan(0);
    for (let i = 0; i < 10; i++) t.insert([`value ${i}`, 'k']);
    const ten = t.info().memory;
    for (let i = 10; i < 100; i++) t.insert([`value ${i}`, 'k']);
    const hundred = t.info().memory;
    expect(ten).toBeGreaterThan(empty.memory);
    expect(hundred).toBeGreaterThan(ten * 5);
  });
});

describe('bad input', () => {
  it('refuses a row shorter than keyPos + 1, naming the row, table unchanged', () => {
    const t = fresh<[string, number]>('set', 1);
    t.insert(['a', 1]);
    const err = (() => {
      try {
        t.insert(['only'] as unknown as [string, number]);
      } catch (e) {
        return e as TableBadArgError;
      }
    })();
    expect(err).toBeInstanceOf(TableBadArgError);
    expect(err?.message).toMatch(/at least 2 elements.*keyPos is 1.*\["only"\]/);
    expect(err?.value).toEqual(['only']);
    expect(t.toList()).toEqual([['a', 1]]);
  });

  it('refuses non-array rows and invalid keys, naming them', () => {
    const t = fresh<[unknown]>();
    expect(() => t.insert('row' as unknown as [unknown])).toThrow(/"row"/);
    expect(() => t.insert([{ id: 1 }])).toThrow(/key of `row`.*\{"id":1\}/);
    expect(() => t.insert([NaN])).toThrow(/key/);
    expect(() => t.insert([[1, undefined]])).toThrow(/element \[1\] is undefined/);
    expect(() => t.lookup(undefined as unknown as string)).toThrow(/`key`/);
    expect(t.info().size).toBe(0);
  });

  it('refuses unknown options, naming them', () => {
    expect(() => Table.new({ type: 'hash' as TableType })).toThrow(/`type`.*"set".*"hash"/);
    expect(() => Table.new({ keyPos: -1 })).toThrow(/`keyPos`.*non-negative integer.*`-1`/);
    expect(() => Table.new({ access: 'open' as 'public' })).toThrow(/`access`.*"open"/);
    expect(() => Table.new({ name: '' })).toThrow(/`name`/);
    expect(() => Table.new({ owner: {} as never })).toThrow(/`owner`.*Process/);
  });
});

describe('types', () => {
  it('types positions, element updates, match results and select bindings from the row type', () => {
    const t = fresh<[id: string, attempts: number, done: boolean]>();
    t.insert(['a', 1, false]);
    expectTypeOf(t.lookupElement('a', 2)).toEqualTypeOf<boolean>();
    expect(t.updateElement('a', [2, true])).toBe(true);
    // Compile-time checks only: never called.
    const mistakes = (): void => {
      // @ts-expect-error position 1 holds a number
      t.updateElement('a', [1, 'not a number']);
      // @ts-expect-error a row must have the row type
      t.insert(['b', 'x', true]);
    };
    expect(mistakes).toBeTypeOf('function');
    const matched = t.match([$1, $2, _]);
    expectTypeOf(matched).toEqualTypeOf<[string, number][]>();
    const selected = t.select({ match: [$1, $2, true], where: (b) => b.$2 >= 0, result: (b) => b.$1 });
    expectTypeOf(selected).toEqualTypeOf<string[]>();
    expect(selected).toEqual(['a']);
  });
});
