import { describe, expect, it } from 'vitest';
import { Table, TableBadArgError } from '../../src/runtime/table/index.js';
import type { TableInfo } from '../../src/runtime/table/index.js';

describe('Table info(item), as ETS info/2', () => {
  it('returns the one item asked for, equal to the same field of info()', () => {
    const t = Table.new<[string, number]>({ type: 'bag', name: 'info-items', keyPos: 0 });
    t.insertMany([
      ['a', 1],
      ['a', 2],
      ['b', 3],
    ]);
    const all = t.info();
    for (const item of Object.keys(all) as (keyof TableInfo)[]) expect(t.info(item), item).toEqual(all[item]);
    expect(t.info('size')).toBe(3);
    expect(t.info('type')).toBe('bag');
    t.drop();
  });

  it('reads the size without estimating memory (O(1): no row is visited)', () => {
    const t = Table.new<[string, { n: number }]>({});
    const row: [string, { n: number }] = ['k', { n: 1 }];
    t.insert(row);
    // memory() walks every row's values; a getter that throws proves size never does.
    Object.defineProperty(row[1], 'n', {
      get() {
        throw new Error('visited');
      },
      enumerable: true,
    });
    expect(t.info('size')).toBe(1);
    expect(() => t.info()).toThrow('visited');
    t.drop();
  });

  it('throws TableBadArgError naming an unknown item; a dropped table still throws TableDroppedError', () => {
    const t = Table.new({});
    expect(() => t.info('rows' as keyof TableInfo)).toThrow(
      'Expected `item` to be one of "type", "size", "memory", "access", "name", "owner", "keyPos", "heir", got `"rows"` (string)',
    );
    expect(() => t.info('rows' as keyof TableInfo)).toThrow(TableBadArgError);
    t.drop();
    expect(() => t.info('size')).toThrow(/dropped/);
  });
});
