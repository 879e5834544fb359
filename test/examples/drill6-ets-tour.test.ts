import { describe, expect, it } from 'vitest';
import {
  accessModes,
  basics,
  main,
  namedTable,
  orderedSet,
  ownerDeath,
  typesCompared,
} from '../../examples/drill6-ets-tour.js';
import { captureReports } from '../../src/testing/index.js';

describe('drill 6: the ETS tour on Table', () => {
  it('inserts, looks up, overwrites by key, deletes, lists, and matches exactly with _', () => {
    const r = basics();
    expect(r.alice).toEqual([['alice', 30, 'engineer']]);
    expect(r.aliceAfterOverwrite).toEqual([['alice', 31, 'senior engineer']]);
    expect(r.afterDelete.sort()).toEqual([
      ['alice', 31, 'senior engineer'],
      ['charlie', 35, 'manager'],
    ]);
    // The seed's match_object runs after the overwrite: "senior engineer" is not "engineer".
    expect(r.engineers).toEqual([]);
    expect(r.anyEngineer).toEqual(['alice']);
  });

  it('exercise 1: a set keeps the last row per key, a bag every distinct row, a duplicate_bag every row', () => {
    const kept = typesCompared();
    expect(kept.set).toEqual([['fruit', 'fig']]);
    expect(kept.ordered_set).toEqual([['fruit', 'fig']]);
    expect(kept.bag).toEqual([
      ['fruit', 'apple'],
      ['fruit', 'pear'],
      ['fruit', 'fig'],
    ]);
    expect(kept.duplicate_bag).toEqual([
      ['fruit', 'apple'],
      ['fruit', 'pear'],
      ['fruit', 'apple'],
      ['fruit', 'fig'],
    ]);
  });

  it('exercise 2: finds a named table by name, and not after it is dropped', () => {
    expect(namedTable()).toEqual({ found: true, rows: [['max_workers', 8]], afterDrop: false });
  });

  it('exercise 3: an ordered_set sorts keys in the total order (null, booleans, numbers, strings, tuples)', () => {
    const r = orderedSet();
    expect(r.orderedSet).toEqual([null, true, 1, 2n, 3, 'a', 'b', ['a', 1]]);
    expect(r.walked).toEqual([10, 20, 30]);
    // A set holds the same keys, in no promised order.
    expect(r.set).toHaveLength(r.orderedSet.length);
    expect(r.set as unknown[]).toEqual(expect.arrayContaining(r.orderedSet as unknown[]));
  });

  it('exercise 4: a protected table’s shared handle reads but its write throws; public writes; private refuses', () => {
    const [protectedT, publicT, privateT] = accessModes();
    expect(protectedT).toMatchObject({ access: 'protected', shared: true, canRead: true, canWrite: false });
    expect(protectedT?.refusal).toBe(
      'Table "drill6_protected": `insert` is not allowed: the table is protected: only its owner may write',
    );
    expect(publicT).toEqual({ access: 'public', shared: true, canRead: true, canWrite: true });
    expect(privateT).toMatchObject({ access: 'private', shared: false, canRead: false, canWrite: false });
    expect(privateT?.refusal).toContain('`share` is not allowed: the table is private');
  });

  it('exercise 5: the table dies with its owner; with an heir it is handed over', async () => {
    const capture = captureReports();
    try {
      const r = await ownerDeath();
      expect(r.withoutHeir).toBe('Table "drill6_orphan" has been dropped (called `lookup`)');
      expect(r.heirRows).toEqual([['jobs', 4]]);
      expect(r.heirIsOwner).toBe(true);
      expect(r.oldHandleIsOwner).toBe(false);
      expect(capture.reports).toEqual([]); // the crash was observed, nothing went unreported
    } finally {
      capture.dispose();
    }
  });

  it('prints every step', async () => {
    const lines: string[] = [];
    await main((line) => lines.push(line));
    expect(lines).toHaveLength(18);
    expect(lines[3]).toContain('matchObject');
    expect(lines.at(-1)).toBe(
      'owner stopped, heir inherited: rows [["jobs",4]], heir is owner true, old handle is owner false',
    );
  });
});
