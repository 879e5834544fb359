/**
 * The storage engines behind a Table's four types, and the contract they share. A Table validates
 * every argument (row shape, key, access) before it calls an engine, so engines trust their input
 * and do no checking of their own: that keeps the `set` insert/lookup path at a Map's cost.
 *
 * Rows are stored as given, shallowly frozen by the Table (no copy): a row read back is the very
 * array that was inserted, so nested objects inside a row must not be mutated (see table.ts).
 *
 * - `set`: Map keyed by `keyId(key)` → row (store-hash.ts).
 * - `bag` / `duplicate_bag`: Map keyed by `keyId(key)` → rows in insertion order (store-bag.ts).
 * - `ordered_set`: a sorted-btree B+ tree ordered by `compareKeys` → row (store-ordered.ts).
 */
import { BagStore } from './store-bag.js';
import { HashStore } from './store-hash.js';
import { OrderedStore } from './store-ordered.js';

/** The four table types, named as in ETS. */
export type TableType = 'set' | 'ordered_set' | 'bag' | 'duplicate_bag';

/** The table types, for validating options. */
export const TABLE_TYPES: readonly TableType[] = ['set', 'ordered_set', 'bag', 'duplicate_bag'];

/** A row: a tuple whose element at the table's `keyPos` is its key. */
export type Row = readonly unknown[];

/** A visitor over rows; returning `false` stops the walk. */
export type RowVisitor<R> = (row: R) => boolean | void;

/**
 * What every engine does. Each method is one atomic transition of the stored rows; none validates
 * its arguments (the Table has), and every one is O(1) or O(log n) except the documented walks.
 */
export interface Store<R extends Row> {
  /** The table type this engine implements. */
  readonly type: TableType;
  /** How many rows are stored (a bag counts every row, not every key). */
  readonly size: number;
  /** Stores `row` under `key` with the type's semantics: set overwrites, bag dedups, duplicate_bag appends. */
  insert(key: unknown, row: R): void;
  /** Whether any row has `key`. */
  has(key: unknown): boolean;
  /** A fresh array of the rows with `key` (empty when none), safe to hand to callers. */
  get(key: unknown): R[];
  /** The first row with `key`, or undefined: the allocation-free read for single-row verbs. */
  one(key: unknown): R | undefined;
  /** The internal rows with `key`, not copied: read them at once, never mutate or keep them. */
  peek(key: unknown): readonly R[];
  /** Removes every row with `key`; returns how many were removed. */
  deleteKey(key: unknown): number;
  /** Removes the rows under `key` deep-equal to `row`; returns how many were removed. */
  deleteObject(key: unknown, row: R): number;
  /** Removes the stored rows under `key` that are members of `rows` (by identity); returns how many. */
  deleteInstances(key: unknown, rows: ReadonlySet<R>): number;
  /** Removes all rows and returns the previous contents, for `restoreAll` to put back. */
  clear(): unknown;
  /** Puts back contents returned by `clear` or `snapshotAll`. */
  restoreAll(state: unknown): void;
  /** The rows of `key` as an opaque value that `restore` can put back (for transaction undo). */
  snapshot(key: unknown): unknown;
  /** Makes `key` hold exactly the rows a `snapshot` captured. */
  restore(key: unknown, snapshot: unknown): void;
  /** Visits every row: ordered_set in key order, the others in a stable-while-unmodified order. */
  scan(visit: RowVisitor<R>): void;
  /**
   * Visits the rows whose (tuple) key starts with `prefix`. ordered_set walks only that key range,
   * in O(log n + range); the hash engines cannot, so they visit every row and the caller filters.
   */
  scanPrefix(prefix: readonly unknown[], visit: RowVisitor<R>): void;
  /** Every row, in `scan` order. */
  toArray(): R[];
  /** The first key, or `undefined` when empty. */
  first(): unknown;
  /** The key after `key`, or `undefined` at the end; throws TableBadArgError for a hash key not stored. */
  next(key: unknown): unknown;
  /** The last key (ordered_set), or the same as `first` for hash engines (as in ETS). */
  last(): unknown;
  /** The key before `key` (ordered_set), or the same as `next` for hash engines (as in ETS). */
  prev(key: unknown): unknown;
  /** Approximate bytes held, walking every row (O(n)): see `estimateBytes`. */
  memory(): number;
}

/** Builds the engine for a table type; `keyPos` tells engines that store rows how to find keys. */
export function createStore<R extends Row>(type: TableType, keyPos: number): Store<R> {
  switch (type) {
    case 'set':
      return new HashStore<R>(keyPos);
    case 'ordered_set':
      return new OrderedStore<R>(keyPos);
    case 'bag':
      return new BagStore<R>(keyPos, true);
    case 'duplicate_bag':
      return new BagStore<R>(keyPos, false);
  }
}

/**
 * Approximate heap bytes of a value, modelled on V8's 64-bit layout with pointer compression off:
 * 8 bytes per slot, 16-byte headers, strings at 2 bytes per code unit. It is an estimate for `info()`
 * (ETS's `memory`), good for spotting growth, not an exact measure; nesting past 8 levels counts as 8 bytes.
 */
export function estimateBytes(value: unknown, depth = 0): number {
  switch (typeof value) {
    case 'number':
      return Number.isInteger(value) && Math.abs(value) < 2 ** 30 ? 8 : 16; // small int vs heap number
    case 'string':
      return 16 + value.length * 2;
    case 'bigint':
      return 16 + 8 * Math.ceil(value.toString(16).length / 16);
    case 'object':
      break;
    case 'function':
      return 64;
    default:
      return 8; // boolean, undefined, symbol: a slot
  }
  if (value === null || depth >= 8) return 8;
  if (Array.isArray(value)) {
    let n = 16 + 8 * value.length;
    for (const v of value) n += estimateBytes(v, depth + 1);
    return n;
  }
  let n = 24;
  for (const k of Object.keys(value)) {
    n += 8 + estimateBytes(k, depth + 1) + estimateBytes((value as Record<string, unknown>)[k], depth + 1);
  }
  return n;
}

/** Bytes charged per stored entry for the container itself (a hash slot or B+ tree leaf slot). */
export const ENTRY_OVERHEAD = 24;

/** Fixed bytes charged for an empty table (the engine object, its container, the Table core). */
export const TABLE_OVERHEAD = 512;
