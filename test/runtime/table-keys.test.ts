import { describe, it, expect } from 'vitest';
import { TableBadArgError, TableError } from '../../src/runtime/table/errors.js';
import {
  assertKey,
  compareKeys,
  deepEqual,
  isKey,
  keyHasPrefix,
  keyId,
} from '../../src/runtime/table/keys.js';
import type { Key } from '../../src/runtime/table/keys.js';
import { seededRandom } from '../../src/testing/index.js';

/** Keys chosen to trip an encoding: look-alike strings, numbers vs bigints vs strings, nesting. */
const SAMPLES: Key[] = [
  null,
  false,
  true,
  -Infinity,
  -1,
  -0,
  0,
  0n,
  0.5,
  1,
  1n,
  2 ** 53,
  2n ** 53n,
  2n ** 53n + 1n,
  1e21,
  10n ** 21n,
  123456789012345680000n,
  123456789012345680000,
  2n ** 64n,
  Infinity,
  '',
  '0',
  '1',
  '1n',
  '1e+21',
  'null',
  'true',
  '"1"',
  '[1]',
  '\u0000',
  '\u0000[',
  '\u0000[1]',
  '\u0000s',
  '\u0000s\u0000[1]',
  '\u0000[\u0000',
  'a',
  'a,b',
  'Z',
  '\uD83D\uDE00',
  '\uFFFF',
  [],
  [null],
  ['null'],
  [0],
  [-0],
  [0n],
  [1],
  ['1'],
  [1n],
  [[1]],
  [[]],
  [[], []],
  [1, 2],
  ['1,2'],
  ['1', '2'],
  ['1', 2],
  [1, '2'],
  ['"'],
  ['\\'],
  ['\u0000['],
  [true],
  ['true'],
  [2n ** 64n],
  ['18446744073709551616n'],
  [123456789012345680000n],
  [123456789012345680000],
  [1e21],
  ['1e+21'],
  [1, [2, [3]]],
  [1, [2, 3]],
  [1, 2, 3],
];

function randomKey(rand: () => number, depth = 0): Key {
  const atoms: Key[] = [
    null,
    true,
    false,
    0,
    -0,
    1,
    1n,
    2,
    2n,
    '',
    '1',
    '\u0000',
    '\u0000[',
    ',',
    '"',
    '[',
    'a',
  ];
  if (depth < 3 && rand() < 0.35) {
    const n = Math.floor(rand() * 4);
    return Array.from({ length: n }, () => randomKey(rand, depth + 1));
  }
  return atoms[Math.floor(rand() * atoms.length)] as Key;
}

describe('compareKeys', () => {
  it('orders null < booleans < numbers < strings < arrays', () => {
    const shuffled: Key[] = [['a'], 'b', 2, true, null, false, 'a', [], 1n, -5];
    expect([...shuffled].sort(compareKeys)).toEqual([null, false, true, -5, 1n, 2, 'a', 'b', [], ['a']]);
  });

  it('sorts tuple keys element by element, shorter first ([priority, time, id])', () => {
    const keys: Key[] = [[2, 10, 'b'], [1, 20, 'a'], [1, 10, 'z'], [1, 10], [1], [1, 10, 'z', 0], [0, 99]];
    expect([...keys].sort(compareKeys)).toEqual([
      [0, 99],
      [1],
      [1, 10],
      [1, 10, 'z'],
      [1, 10, 'z', 0],
      [1, 20, 'a'],
      [2, 10, 'b'],
    ]);
  });

  it('compares numbers and bigints numerically and exactly', () => {
    expect(compareKeys(1n, 1)).toBe(0);
    expect(compareKeys(1, 1n)).toBe(0);
    expect(compareKeys(1n, 1.5)).toBe(-1);
    expect(compareKeys(2n, 1.5)).toBe(1);
    // 2^53 + 1 is not a double: it lies strictly between 2^53 and 2^53 + 2.
    expect(compareKeys(2n ** 53n + 1n, 2 ** 53)).toBe(1);
    expect(compareKeys(2n ** 53n + 1n, 2 ** 53 + 2)).toBe(-1);
    expect(compareKeys(10n ** 400n, Infinity)).toBe(-1);
    expect(compareKeys(-(10n ** 400n), -Infinity)).toBe(1);
    expect(compareKeys([1n, 'a'], [1, 'a'])).toBe(0);
  });

  it('treats -0 and 0 as the same key', () => {
    expect(compareKeys(-0, 0)).toBe(0);
    expect(compareKeys([-0], [0])).toBe(0);
  });

  it('compares strings by UTF-16 code units, like <', () => {
    expect(compareKeys('Z', 'a')).toBe(-1);
    expect(compareKeys('a', 'ab')).toBe(-1);
    // U+FFFF sorts after an astral character (a surrogate pair starting 0xD83D), unlike code-point order.
    expect(compareKeys('\uFFFF', '\uD83D\uDE00')).toBe(1);
  });

  it('is a total order on the samples: antisymmetric, reflexive and transitive', () => {
    const broken: unknown[] = [];
    for (const a of SAMPLES) {
      if (compareKeys(a, a) !== 0) broken.push([a]);
      for (const b of SAMPLES) if (compareKeys(a, b) !== (-compareKeys(b, a) || 0)) broken.push([a, b]);
    }
    expect(broken).toEqual([]);
    const sorted = [...SAMPLES].sort(compareKeys);
    for (let i = 0; i < sorted.length; i++) {
      for (let j = i + 1; j < sorted.length; j++)
        if (compareKeys(sorted[i], sorted[j]) === 1) broken.push([i, j]);
    }
    expect(broken).toEqual([]);
  });

  it('throws TableBadArgError naming an invalid key', () => {
    expect(() => compareKeys({}, 1)).toThrow(TableBadArgError);
    expect(() => compareKeys([1, undefined], [1, 2])).toThrow(/`undefined` \(undefined\)/);
  });
});

describe('assertKey', () => {
  it('accepts every kind of valid key', () => {
    for (const k of SAMPLES) expect(() => assertKey(k)).not.toThrow();
  });

  it.each([
    ['undefined', undefined, /got `undefined` \(undefined\)/],
    ['NaN', NaN, /got `NaN` \(number\)/],
    ['a plain object', { a: 1 }, /got `\{"a":1\}` \(object\)/],
    ['a Date', new Date(0), /got `Date\(1970-01-01T00:00:00\.000Z\)` \(object\)/],
    ['a function', function job() {}, /got `\[function job\]` \(function\)/],
    ['a symbol', Symbol('s'), /got `Symbol\(s\)` \(symbol\)/],
    [
      'an array holding undefined',
      [1, undefined],
      /got `\[1,undefined\]` \(array\) \(element \[1\] is undefined\)/,
    ],
    ['an array holding NaN deep inside', [1, [2, NaN]], /\(element \[1\]\[1\] is NaN\)/],
    ['a sparse array', [1, , 3], /\(element \[1\] is undefined\)/], // eslint-disable-line no-sparse-arrays
  ])('rejects %s, naming the value', (_label, value, message) => {
    expect(() => assertKey(value, '`key`')).toThrow(TableBadArgError);
    expect(() => assertKey(value, '`key`')).toThrow(message);
    expect(() => assertKey(value, '`key`')).toThrow(/^Expected `key` to be a valid key/);
    expect(isKey(value)).toBe(false);
  });

  it('names where the key came from', () => {
    expect(() => assertKey({}, 'the key of row 3')).toThrow(/^Expected the key of row 3 to be a valid key/);
  });

  it('refuses a cyclic array instead of overflowing the stack', () => {
    const cyclic: unknown[] = [1];
    cyclic.push(cyclic);
    expect(() => assertKey(cyclic)).toThrow(/cyclic/);
    expect(isKey(cyclic)).toBe(false);
  });

  it('raises errors that are TableErrors', () => {
    try {
      assertKey(undefined);
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(TableError);
      expect((e as TableBadArgError).value).toBe(undefined);
      expect((e as Error).name).toBe('TableBadArgError');
    }
  });
});

describe('keyId', () => {
  it('returns primitives unchanged', () => {
    for (const k of [0, 1.5, -Infinity, true, false, null, '', 'abc', '[1]']) expect(keyId(k)).toBe(k);
  });

  it('maps bigints to the number they equal, and keeps the others', () => {
    expect(keyId(5n)).toBe(5);
    expect(keyId(2n ** 64n)).toBe(2 ** 64);
    expect(keyId(2n ** 53n + 1n)).toBe(2n ** 53n + 1n);
    expect(keyId(10n ** 400n)).toBe(10n ** 400n);
  });

  it('maps arrays and strings starting with U+0000 to strings starting with U+0000', () => {
    expect(keyId([1, 'a'])).toBe('\u0000[1,"a"]');
    expect(keyId('\u0000[1,"a"]')).not.toBe(keyId([1, 'a']));
    expect(String(keyId('\u0000x')).startsWith('\u0000')).toBe(true);
  });

  it('gives equal ids exactly to compareKeys-equal sample keys', () => {
    const disagreements: unknown[] = [];
    for (const a of SAMPLES) {
      for (const b of SAMPLES) {
        if (Object.is(keyId(a), keyId(b)) !== (compareKeys(a, b) === 0)) disagreements.push([a, b]);
      }
    }
    expect(disagreements).toEqual([]);
  });

  it('gives equal ids exactly to compareKeys-equal random nested keys', () => {
    const rand = seededRandom(42);
    const keys = Array.from({ length: 3000 }, () => randomKey(rand));
    const sorted = [...keys].sort(compareKeys);
    let groups = 0;
    for (let i = 0; i < sorted.length; i++) {
      if (i === 0 || compareKeys(sorted[i - 1], sorted[i]) !== 0) groups++;
      else expect(keyId(sorted[i])).toBe(keyId(sorted[i - 1]));
    }
    // Distinct groups must not share an id: as many distinct ids as groups.
    expect(new Set(keys.map(keyId)).size).toBe(groups);
    expect(groups).toBeGreaterThan(300);
  });

  it('works as a Map key across number and bigint spellings', () => {
    const m = new Map<unknown, string>();
    m.set(keyId([1, 'job']), 'first');
    m.set(keyId([1n, 'job']), 'second');
    m.set(keyId([-0]), 'zero');
    expect(m.size).toBe(2);
    expect(m.get(keyId([1, 'job']))).toBe('second');
    expect(m.get(keyId([0]))).toBe('zero');
  });
});

describe('keyHasPrefix', () => {
  it('is true for array keys starting with the prefix elements', () => {
    expect(keyHasPrefix([1, 'a', 3], [1, 'a'])).toBe(true);
    expect(keyHasPrefix([1n, 'a'], [1])).toBe(true);
    expect(keyHasPrefix([1, 'a'], [1, 'a'])).toBe(true);
    expect(keyHasPrefix([1], [1, 'a'])).toBe(false);
    expect(keyHasPrefix([2, 'a'], [1])).toBe(false);
    expect(keyHasPrefix('1a', ['1'])).toBe(false);
  });
});

describe('deepEqual', () => {
  it('agrees with compareKeys on keys', () => {
    const disagreements: unknown[] = [];
    for (const a of SAMPLES) {
      for (const b of SAMPLES) if (deepEqual(a, b) !== (compareKeys(a, b) === 0)) disagreements.push([a, b]);
    }
    expect(disagreements).toEqual([]);
  });

  it('compares non-key values structurally', () => {
    expect(deepEqual(NaN, NaN)).toBe(true);
    expect(deepEqual(undefined, undefined)).toBe(true);
    expect(deepEqual(undefined, null)).toBe(false);
    expect(deepEqual({ a: [1, { b: 2n }] }, { a: [1, { b: 2 }] })).toBe(true);
    expect(deepEqual({ a: 1 }, { a: 1, b: undefined })).toBe(false);
    expect(deepEqual({ a: 1 }, { b: 1 })).toBe(false);
    expect(deepEqual(new Date(5), new Date(5))).toBe(true);
    expect(deepEqual(new Date(5), new Date(6))).toBe(false);
    expect(deepEqual(new Map([['k', [1]]]), new Map([['k', [1]]]))).toBe(true);
    expect(deepEqual(new Map([['k', 1]]), new Map([['k', 2]]))).toBe(false);
    expect(deepEqual(new Set([1, 2]), new Set([2, 1]))).toBe(true);
    expect(deepEqual(new Set([1]), new Set([3]))).toBe(false);
    expect(deepEqual([1], { 0: 1, length: 1 })).toBe(false);
    class Point {
      constructor(readonly x: number) {}
    }
    expect(deepEqual(new Point(1), new Point(1))).toBe(true);
    expect(deepEqual(new Point(1), { x: 1 })).toBe(false);
  });

  it('refuses cyclic values instead of overflowing the stack', () => {
    const a: Record<string, unknown> = {};
    a['self'] = a;
    const b: Record<string, unknown> = {};
    b['self'] = b;
    expect(() => deepEqual(a, b)).toThrow(/cyclic/);
  });
});
