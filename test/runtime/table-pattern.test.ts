import { describe, it, expect, expectTypeOf, vi } from 'vitest';
import { TableBadArgError } from '../../src/runtime/table/errors.js';
import {
  $1,
  $2,
  $3,
  $9,
  NO_MATCH,
  _,
  combineBoundKeys,
  compilePattern,
  compileSelect,
  isVar,
  v,
} from '../../src/runtime/table/pattern.js';
import type {
  Bindings,
  MatchResult,
  Pattern,
  Selector,
  SelectSpec,
} from '../../src/runtime/table/pattern.js';

/**
 * A tiny typed "table" over an array, standing in for Table so the types can be exercised on
 * their own: `select` has exactly the Selector<R> signature Table.select should have.
 */
function rowsOf<R extends readonly unknown[]>(rows: readonly R[], keyPos = 0) {
  const select = ((spec: SelectSpec<R>) => {
    const compiled = compileSelect(spec, keyPos);
    const out: unknown[] = [];
    for (const row of rows) {
      const r = compiled.apply(row);
      if (r !== NO_MATCH) out.push(r);
    }
    return out;
  }) as Selector<R>;
  const match = <const P extends Pattern<R>>(pattern: P): MatchResult<R, P>[] => {
    const compiled = compilePattern(pattern, keyPos);
    const out: unknown[] = [];
    for (const row of rows) {
      const values = compiled.values(row);
      if (values !== undefined) out.push(values);
    }
    return out as MatchResult<R, P>[];
  };
  return { select, match };
}

type Job = [id: number, queue: string, done: boolean];
const JOBS: Job[] = [
  [1, 'mail', false],
  [2, 'mail', true],
  [3, 'pdf', false],
  [4, 'pdf', true],
  [5, 'mail', false],
];

describe('compilePattern matching', () => {
  it('matches anything at a wildcard and rows of the same length only', () => {
    const p = compilePattern([_, 'mail', _], 0);
    expect(JOBS.filter((r) => p.matches(r)).map((r) => r[0])).toEqual([1, 2, 5]);
    expect(p.matches([1, 'mail'])).toBe(false);
    expect(p.matches([1, 'mail', false, 'extra'])).toBe(false);
  });

  it('matches every row with `_` as the whole pattern', () => {
    const p = compilePattern(_, 3);
    expect(p.matches([])).toBe(true);
    expect(p.test([1, 2])).toEqual({});
    expect(p.boundKey).toEqual({ kind: 'none' });
  });

  it('binds variables and returns them ordered by variable number', () => {
    const p = compilePattern([$3, _, $1, v(10), $9], 0);
    expect(p.vars).toEqual([1, 3, 9, 10]);
    expect(p.test(['c', 'x', 'a', 'ten', 'nine'])).toEqual({ $1: 'a', $3: 'c', $9: 'nine', $10: 'ten' });
    expect(Object.keys(p.test(['c', 'x', 'a', 'ten', 'nine']) ?? {})).toEqual(['$1', '$3', '$9', '$10']);
    // Numeric order: $10 after $9, not between $1 and $3.
    expect(p.values(['c', 'x', 'a', 'ten', 'nine'])).toEqual(['a', 'c', 'nine', 'ten']);
  });

  it('requires a repeated variable to bind equal values (deep equality)', () => {
    const p = compilePattern([$1, _, $1], 0);
    expect(p.test([[1, 'a'], 'x', [1, 'a']])).toEqual({ $1: [1, 'a'] });
    expect(p.matches([7, 'x', 7n])).toBe(true);
    expect(p.matches([7, 'x', 8])).toBe(false);
    expect(p.test([7, 'x', 8])).toBeUndefined();
    expect(p.values([[1], 'x', [2]])).toBeUndefined();
  });

  it('matches nested tuples element by element, binding inside them', () => {
    const p = compilePattern([[$1, 'hi', [_, $2]], $3], 0);
    expect(p.test([[1, 'hi', [0, true]], 'z'])).toEqual({ $1: 1, $2: true, $3: 'z' });
    expect(p.matches([[1, 'hi', [0]], 'z'])).toBe(false);
    expect(p.matches([[1, 'ho', [0, true]], 'z'])).toBe(false);
    expect(p.matches(['1hi', 'z'])).toBe(false);
    expect(p.matches([{ 0: 1, 1: 'hi', 2: [0, true], length: 3 }, 'z'])).toBe(false);
  });

  it('matches literals by value: strings, numbers (1 matches 1n), null, undefined, Dates', () => {
    expect(compilePattern(['a', 1, null], 0).matches(['a', 1n, null])).toBe(true);
    expect(compilePattern(['a', 1, null], 0).matches(['a', 1, undefined])).toBe(false);
    expect(compilePattern(['a', 1, null], 0).matches(['a', '1', null])).toBe(false);
    expect(compilePattern([1, undefined], 0).matches([1, undefined])).toBe(true);
    expect(compilePattern([1, NaN], 0).matches([1, NaN])).toBe(true);
    expect(compilePattern([1, new Date(5)], 0).matches([1, new Date(5)])).toBe(true);
    expect(compilePattern([1, new Date(5)], 0).matches([1, new Date(6)])).toBe(false);
    expect(compilePattern([1, [new Date(5), 'x']], 0).matches([1, [new Date(5), 'x']])).toBe(true);
  });

  it('matches plain-object patterns partially, on own fields, binding inside them', () => {
    const p = compilePattern([$1, { status: 'failed', error: { code: $2 } }], 0);
    expect(p.test([9, { status: 'failed', error: { code: 'E1', at: 3 }, extra: true }])).toEqual({
      $1: 9,
      $2: 'E1',
    });
    expect(p.matches([9, { status: 'ok', error: { code: 'E1' } }])).toBe(false);
    expect(p.matches([9, { status: 'failed' }])).toBe(false);
    expect(p.matches([9, [{ status: 'failed', error: { code: 'E1' } }]])).toBe(false);
    expect(p.matches([9, null])).toBe(false);
    expect(compilePattern([1, {}], 0).matches([1, new Map()])).toBe(true);
    expect(compilePattern([1, { toString: _ }], 0).matches([1, {}])).toBe(false);
  });

  it('interns variables: v(n) is $n', () => {
    expect(v(1)).toBe($1);
    expect(v(12)).toBe(v(12));
    expect(isVar($2)).toBe(true);
    expect(isVar('$2')).toBe(false);
    expect(String(v(12))).toBe('$12');
  });
});

describe('compilePattern boundKey', () => {
  it('reports a fully bound key (a lookup)', () => {
    expect(compilePattern([7, _, $1], 0).boundKey).toEqual({ kind: 'full', key: 7 });
    expect(compilePattern([$1, 'k'], 1).boundKey).toEqual({ kind: 'full', key: 'k' });
    expect(compilePattern([[1, 'a', [2]], $1], 0).boundKey).toEqual({ kind: 'full', key: [1, 'a', [2]] });
  });

  it('reports the bound leading elements of a tuple key (a range walk)', () => {
    expect(compilePattern([[1, 'a', $1], _], 0).boundKey).toEqual({ kind: 'prefix', prefix: [1, 'a'] });
    expect(compilePattern([[1, _, 'z'], _], 0).boundKey).toEqual({ kind: 'prefix', prefix: [1] });
    expect(compilePattern([[1, [2, $1]], _], 0).boundKey).toEqual({ kind: 'prefix', prefix: [1] });
  });

  it('reports none when the key is not bound', () => {
    expect(compilePattern([$1, 'mail', _], 0).boundKey).toEqual({ kind: 'none' });
    expect(compilePattern([_, 'mail', _], 0).boundKey).toEqual({ kind: 'none' });
    expect(compilePattern([7, _], 1).boundKey).toEqual({ kind: 'none' });
    expect(compilePattern([[$1, 2], _], 0).boundKey).toEqual({ kind: 'none' });
    // Not a valid key, so no row can have it: scanning (and finding nothing) is correct.
    expect(compilePattern([new Date(0), _], 0).boundKey).toEqual({ kind: 'none' });
    expect(compilePattern([{ id: 1 }, _], 0).boundKey).toEqual({ kind: 'none' });
  });

  it('combines clause keys: one shared key, else the common tuple prefix, else none', () => {
    const full = (key: unknown) => compilePattern([key, _], 0).boundKey;
    expect(combineBoundKeys([full(1), full(1n)])).toEqual({ kind: 'full', key: 1 });
    expect(combineBoundKeys([full(1), full(2)])).toEqual({ kind: 'none' });
    expect(combineBoundKeys([full([1, 'a', 2]), full([1, 'a', 3])])).toEqual({
      kind: 'prefix',
      prefix: [1, 'a'],
    });
    expect(combineBoundKeys([full([1, 'a']), full([1, [$1]])])).toEqual({ kind: 'prefix', prefix: [1] });
    expect(combineBoundKeys([full([1]), full([2])])).toEqual({ kind: 'none' });
    expect(combineBoundKeys([full([1]), full($1)])).toEqual({ kind: 'none' });
  });
});

describe('compilePattern arguments', () => {
  it.each([
    [
      'a non-array',
      { a: 1 },
      /^Expected `pattern` to be `_` or a tuple \(array\) of at least 1 element, .*got `\{"a":1\}` \(object\)/,
    ],
    ['a string', '$1', /got `"\$1"` \(string\)/],
    ['an empty tuple', [], /got `\[\]` \(array\)/],
  ])('rejects %s, naming it', (_label, pattern, message) => {
    expect(() => compilePattern(pattern, 0)).toThrow(TableBadArgError);
    expect(() => compilePattern(pattern, 0)).toThrow(message);
  });

  it('rejects a pattern too short to reach the key position, naming both', () => {
    expect(() => compilePattern([$1, _], 2)).toThrow(
      /at least 3 elements, since the key is at position 2, got `\[\$1,Symbol\(_\)\]` \(array\)/,
    );
  });

  it('rejects bad variable numbers and key positions', () => {
    expect(() => v(0)).toThrow(
      /Expected a pattern variable number to be a positive integer, got `0` \(number\)/,
    );
    expect(() => v(1.5)).toThrow(TableBadArgError);
    expect(() => compilePattern([_], -1)).toThrow(/Expected `keyPos` to be a non-negative integer, got `-1`/);
  });

  it('refuses a cyclic pattern instead of overflowing the stack', () => {
    const cyclic: unknown[] = [1];
    cyclic.push(cyclic);
    expect(() => compilePattern([_, cyclic], 0)).toThrow(/cyclic/);
  });
});

describe('compileSelect', () => {
  /** compileSelect takes untyped specs (the Table verbs carry the types), so name the bindings type. */
  type B = Record<string, unknown>;

  it('filters with where and shapes with result', () => {
    const s = compileSelect(
      { match: [$1, $2, false], where: (b: B) => b['$2'] === 'mail', result: (b: B) => b['$1'] },
      0,
    );
    expect(JOBS.map((r) => s.apply(r)).filter((x) => x !== NO_MATCH)).toEqual([1, 5]);
  });

  it('returns the row itself when result is omitted', () => {
    const s = compileSelect({ match: [_, 'pdf', true] }, 0);
    expect(s.apply(JOBS[3] as Job)).toBe(JOBS[3]);
    expect(s.apply(JOBS[0] as Job)).toBe(NO_MATCH);
  });

  it('uses the first clause whose pattern and guard both pass', () => {
    const s = compileSelect(
      [
        { match: [$1, 'mail', _], where: (b: B) => (b['$1'] as number) > 1, result: () => 'late mail' },
        { match: [_, 'mail', _], result: () => 'mail' },
        { match: [_, _, true], result: () => 'done' },
      ],
      0,
    );
    expect(JOBS.map((r) => s.apply(r))).toEqual(['mail', 'late mail', NO_MATCH, 'done', 'late mail']);
  });

  it('passes bindings and the row to where and result', () => {
    const where = vi.fn((_b: unknown, _row: unknown) => true);
    const result = vi.fn((_b: unknown, _row: unknown) => 'r');
    const s = compileSelect({ match: [$2, _, $1], where, result }, 0);
    expect(s.apply([1, 'a', false])).toBe('r');
    expect(where).toHaveBeenCalledWith({ $1: false, $2: 1 }, [1, 'a', false]);
    expect(result).toHaveBeenCalledWith({ $1: false, $2: 1 }, [1, 'a', false]);
  });

  it('matches without calling result (for selectCount and selectDelete)', () => {
    const result = vi.fn(() => 'r');
    const s = compileSelect(
      [
        { match: [_, 'x'], result },
        { match: [$1, _], where: (b: B) => b['$1'] === 2 },
      ],
      0,
    );
    expect([s.matches([1, 'x']), s.matches([2, 'y']), s.matches([3, 'y'])]).toEqual([true, true, false]);
    expect(result).not.toHaveBeenCalled();
  });

  it('selects nothing with an empty clause list', () => {
    const s = compileSelect([], 0);
    expect(s.apply([1])).toBe(NO_MATCH);
    expect(s.boundKey).toEqual({ kind: 'none' });
  });

  it('reports the key all clauses bind', () => {
    expect(compileSelect({ match: [3, $1] }, 0).boundKey).toEqual({ kind: 'full', key: 3 });
    expect(compileSelect([{ match: [['q', 1, $1], _] }, { match: [['q', 2, $1], _] }], 0).boundKey).toEqual({
      kind: 'prefix',
      prefix: ['q'],
    });
    expect(compileSelect([{ match: [3, $1] }, { match: _ }], 0).boundKey).toEqual({ kind: 'none' });
  });

  it('refuses a guard that does not return a boolean, such as an async one', () => {
    const s = compileSelect([{ match: [_] }, { match: [$1], where: async () => true }], 0);
    expect(() => s.apply([1])).not.toThrow();
    expect(() => compileSelect([{ match: [$1], where: async () => true }], 0).apply([1])).toThrow(
      /^Expected `spec\[0\]\.where` to be a function returning a boolean \(select is synchronous\), got `\[object Promise\]`/,
    );
  });

  it('lets errors thrown by where and result propagate', () => {
    const boom = new Error('boom');
    const s = compileSelect(
      {
        match: [$1],
        result: () => {
          throw boom;
        },
      },
      0,
    );
    expect(() => s.apply([1])).toThrow(boom);
  });

  it.each([
    [
      'a non-object spec',
      42,
      /^Expected `spec` to be a select clause `\{ match, where\?, result\? \}`, got `42` \(number\)/,
    ],
    ['a clause without match', [{ where: () => true }], /^Expected `spec\[0\]` to be a select clause/],
    [
      'a null clause',
      [{ match: [_] }, null],
      /^Expected `spec\[1\]` to be a select clause .*got `null` \(null\)/,
    ],
    ['an unknown field', { match: [_], guard: () => true }, /\(unknown field `guard`\)/],
    [
      'a non-function where',
      { match: [_], where: true },
      /^Expected `spec\.where` to be a function, got `true` \(boolean\)/,
    ],
    [
      'a non-function result',
      [{ match: [_], result: 'row' }],
      /^Expected `spec\[0\]\.result` to be a function/,
    ],
    ['a bad pattern', [{ match: [_] }, { match: 'x' }], /^Expected `spec\[1\]\.match` to be `_` or a tuple/],
  ])('rejects %s, naming it', (_label, spec, message) => {
    expect(() => compileSelect(spec, 0)).toThrow(TableBadArgError);
    expect(() => compileSelect(spec, 0)).toThrow(message);
  });
});

describe('pattern and select types', () => {
  const jobs = rowsOf<Job>(JOBS);

  it('infers bindings from the pattern and the row type', () => {
    const out = jobs.select({
      match: [$1, _, $2],
      where: (b) => b.$1 > 3,
      result: (b) => [b.$2, b.$1] as const,
    });
    expectTypeOf(out).toEqualTypeOf<(readonly [boolean, number])[]>();
    expect(out).toEqual([
      [true, 4],
      [false, 5],
    ]);
    expectTypeOf<Bindings<Job, [typeof $1, typeof _, typeof $2]>>().toEqualTypeOf<{
      $1: number;
      $2: boolean;
    }>();
  });

  it('returns rows when result is omitted, and row-typed result arguments', () => {
    expectTypeOf(jobs.select({ match: [_, 'pdf', $1] })).toEqualTypeOf<Job[]>();
    const ids = jobs.select({ match: _, result: (_b, row) => row[0] });
    expectTypeOf(ids).toEqualTypeOf<number[]>();
    expect(ids).toEqual([1, 2, 3, 4, 5]);
  });

  it('types each clause of a list separately and unions the results', () => {
    const out = jobs.select([
      { match: [$1, 'mail', _], where: (b) => b.$1 > 4, result: (b) => b.$1 },
      { match: [_, $1, true], result: (b) => b.$1.toUpperCase() },
    ]);
    expectTypeOf(out).toEqualTypeOf<(number | string)[]>();
    expect(out).toEqual(['MAIL', 'PDF', 5]);
  });

  it('follows nested tuples and object fields, with unknown where the row type is silent', () => {
    type Row = [key: [string, number], meta: { tries: number; tags: string[] }, payload: unknown];
    const rows = rowsOf<Row>([
      [['a', 1], { tries: 2, tags: ['x'] }, { any: 'thing' }],
      [['b', 2], { tries: 0, tags: [] }, 7],
    ]);
    const out = rows.select({ match: [[$1, _], { tags: $2 }, $3], result: (b) => b });
    expectTypeOf(out).toEqualTypeOf<{ $1: string; $2: string[]; $3: unknown }[]>();
    expect(out[1]).toEqual({ $1: 'b', $2: [], $3: 7 });
  });

  it('types match results as tuples ordered by variable number', () => {
    const out = jobs.match([$2, 'pdf', $1]);
    expectTypeOf(out).toEqualTypeOf<[boolean, number][]>();
    expect(out).toEqual([
      [false, 3],
      [true, 4],
    ]);
  });

  it('rejects wrong-length patterns, wrong literal types and unbound variables at compile time', () => {
    // Each call below is a type error; at run time they throw or match nothing.
    // @ts-expect-error a pattern for a 3-tuple must have 3 elements
    expect(() => jobs.select({ match: [$1, _] })).not.toThrow();
    // @ts-expect-error position 0 holds numbers, not strings
    expect(jobs.select({ match: ['1', _, _] })).toEqual([]);
    // @ts-expect-error position 2 holds booleans
    expect(jobs.match([_, _, 'yes'])).toEqual([]);
    // @ts-expect-error $3 is not bound by this pattern
    expect(() => jobs.select({ match: [$1, _, _], where: (b) => b.$3 === 1 })).not.toThrow();
    // @ts-expect-error the bindings' $1 is a number, which has no toUpperCase
    expect(() => jobs.select({ match: [$1, _, _], result: (b) => b.$1.toUpperCase() })).toThrow(TypeError);
    // @ts-expect-error where must return a boolean, not a Promise
    expect(() => jobs.select({ match: [$1, _, _], where: async () => true })).toThrow(TableBadArgError);
  });
});
