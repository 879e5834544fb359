/**
 * The `set` engine: one row per key in a Map keyed by `keyId(key)`. `keyId` returns primitive keys
 * unchanged, so a primitive-keyed insert or lookup is one Map operation: no allocation, no hashing
 * of our own. Order is the Map's insertion order, which is stable while the table is unmodified.
 */
import { deepEqual, keyId } from './keys.js';
import { ENTRY_OVERHEAD, estimateBytes } from './store.js';
import type { Row, RowVisitor, Store } from './store.js';
import { HashCursor } from './store-cursor.js';

const EMPTY: readonly never[] = Object.freeze([]);

/** A `set` table's rows: key → the one row with that key. */
export class HashStore<R extends Row> implements Store<R> {
  /** The table type this engine implements. */
  readonly type = 'set';
  readonly #keyPos: number;
  #map = new Map<unknown, R>();
  readonly #cursor = new HashCursor<R>();
  readonly #keyOf = (row: R): unknown => row[this.#keyPos];

  /** Creates an empty store; `keyPos` locates a row's key for first/next. */
  constructor(keyPos: number) {
    this.#keyPos = keyPos;
  }

  /** How many rows are stored. */
  get size(): number {
    return this.#map.size;
  }

  /** Stores `row`, replacing any row with the same key. */
  insert(key: unknown, row: R): void {
    this.#map.set(keyId(key), row);
  }

  /** Whether a row has `key`. */
  has(key: unknown): boolean {
    return this.#map.has(keyId(key));
  }

  /** The row with `key` in a fresh array, or an empty array. */
  get(key: unknown): R[] {
    const row = this.#map.get(keyId(key));
    return row === undefined ? [] : [row];
  }

  /** The row with `key` (or none), without copying. */
  peek(key: unknown): readonly R[] {
    const row = this.#map.get(keyId(key));
    return row === undefined ? EMPTY : [row];
  }

  /** The row with `key`, or undefined: the allocation-free read the Table uses for set verbs. */
  one(key: unknown): R | undefined {
    return this.#map.get(keyId(key));
  }

  /** Removes the row with `key`. */
  deleteKey(key: unknown): number {
    return this.#map.delete(keyId(key)) ? 1 : 0;
  }

  /** Removes the row with `key` if it deep-equals `row`. */
  deleteObject(key: unknown, row: R): number {
    const id = keyId(key);
    const stored = this.#map.get(id);
    return stored !== undefined && deepEqual(stored, row) && this.#map.delete(id) ? 1 : 0;
  }

  /** Removes the row with `key` if it is one of `rows`. */
  deleteInstances(key: unknown, rows: ReadonlySet<R>): number {
    const id = keyId(key);
    const stored = this.#map.get(id);
    return stored !== undefined && rows.has(stored) && this.#map.delete(id) ? 1 : 0;
  }

  /** Swaps in an empty Map and returns the old one (never mutated again, so undo can reuse it). */
  clear(): unknown {
    const old = this.#map;
    this.#map = new Map();
    this.#cursor.reset();
    return old;
  }

  /** Puts back a Map returned by `clear`. */
  restoreAll(state: unknown): void {
    this.#map = state as Map<unknown, R>;
    this.#cursor.reset();
  }

  /** The row with `key` or undefined. */
  snapshot(key: unknown): unknown {
    return this.#map.get(keyId(key));
  }

  /** Puts back the row (or absence) a snapshot captured. */
  restore(key: unknown, snapshot: unknown): void {
    if (snapshot === undefined) this.#map.delete(keyId(key));
    else this.#map.set(keyId(key), snapshot as R);
  }

  /** Visits every row in insertion order. */
  scan(visit: RowVisitor<R>): void {
    for (const row of this.#map.values()) if (visit(row) === false) return;
  }

  /** A hash table has no key ranges: visits every row. */
  scanPrefix(_prefix: readonly unknown[], visit: RowVisitor<R>): void {
    this.scan(visit);
  }

  /** Every row in insertion order. */
  toArray(): R[] {
    return [...this.#map.values()];
  }

  /** The first key in insertion order. */
  first(): unknown {
    return this.#cursor.first(this.#map, this.#keyOf);
  }

  /** The key after `key` (O(1) when continuing a walk; O(n) otherwise). */
  next(key: unknown): unknown {
    return this.#cursor.next(this.#map, keyId(key), key, this.#keyOf);
  }

  /** Same as `first` (ETS: a set's last is its first). */
  last(): unknown {
    return this.first();
  }

  /** Same as `next` (ETS: a set's prev is its next). */
  prev(key: unknown): unknown {
    return this.next(key);
  }

  /** Approximate bytes: per-entry overhead plus each row. */
  memory(): number {
    let n = 0;
    for (const row of this.#map.values()) n += ENTRY_OVERHEAD + estimateBytes(row);
    return n;
  }
}
