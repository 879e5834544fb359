/**
 * The `bag` and `duplicate_bag` engines: a Map keyed by `keyId(key)` → that key's rows in insertion
 * order (as ETS keeps them). A `bag` skips a row deep-equal to one already under its key (a check
 * over that key's rows only); a `duplicate_bag` keeps every row.
 */
import { deepEqual, keyId } from './keys.js';
import { ENTRY_OVERHEAD, estimateBytes } from './store.js';
import type { Row, RowVisitor, Store, TableType } from './store.js';
import { HashCursor } from './store-cursor.js';

const EMPTY: readonly never[] = Object.freeze([]);

/** The rows of a bag-like table, per key, with a running row count. */
interface BagState<R> {
  readonly map: Map<unknown, R[]>;
  readonly size: number;
}

/** A `bag` (dedup = true) or `duplicate_bag` (dedup = false) table's rows. */
export class BagStore<R extends Row> implements Store<R> {
  /** The table type this engine implements. */
  readonly type: TableType;
  readonly #dedup: boolean;
  readonly #keyPos: number;
  #map = new Map<unknown, R[]>();
  #size = 0;
  readonly #cursor = new HashCursor<R[]>();
  readonly #keyOf = (rows: R[]): unknown => rows[0]?.[this.#keyPos];

  /** Creates an empty store; `dedup` makes it a `bag`, else a `duplicate_bag`. */
  constructor(keyPos: number, dedup: boolean) {
    this.#keyPos = keyPos;
    this.#dedup = dedup;
    this.type = dedup ? 'bag' : 'duplicate_bag';
  }

  /** How many rows are stored, across all keys. */
  get size(): number {
    return this.#size;
  }

  /** Appends `row` under `key`; a bag skips it when an equal row is already there. */
  insert(key: unknown, row: R): void {
    const id = keyId(key);
    const rows = this.#map.get(id);
    if (rows === undefined) {
      this.#map.set(id, [row]);
    } else {
      if (this.#dedup) for (const r of rows) if (deepEqual(r, row)) return;
      rows.push(row);
    }
    this.#size++;
  }

  /** Whether any row has `key`. */
  has(key: unknown): boolean {
    return this.#map.has(keyId(key));
  }

  /** A copy of the rows with `key`. */
  get(key: unknown): R[] {
    const rows = this.#map.get(keyId(key));
    return rows === undefined ? [] : rows.slice();
  }

  /** The rows with `key`, not copied. */
  peek(key: unknown): readonly R[] {
    return this.#map.get(keyId(key)) ?? EMPTY;
  }

  /** The first row with `key`, or undefined. */
  one(key: unknown): R | undefined {
    return this.#map.get(keyId(key))?.[0];
  }

  /** Removes every row with `key`. */
  deleteKey(key: unknown): number {
    const id = keyId(key);
    const rows = this.#map.get(id);
    if (rows === undefined) return 0;
    this.#map.delete(id);
    this.#size -= rows.length;
    return rows.length;
  }

  /** Removes every row under `key` deep-equal to `row` (a duplicate_bag's duplicates included). */
  deleteObject(key: unknown, row: R): number {
    return this.#remove(key, (r) => deepEqual(r, row));
  }

  /** Removes every row under `key` that is one of `rows` (by identity). */
  deleteInstances(key: unknown, rows: ReadonlySet<R>): number {
    return this.#remove(key, (r) => rows.has(r));
  }

  #remove(key: unknown, hit: (row: R) => boolean): number {
    const id = keyId(key);
    const rows = this.#map.get(id);
    if (rows === undefined) return 0;
    // One pass that keeps the others: O(rows of this key) however many are removed.
    const kept: R[] = [];
    let removed = 0;
    for (const r of rows) {
      if (hit(r)) removed++;
      else kept.push(r);
    }
    if (removed === 0) return 0;
    if (kept.length === 0) this.#map.delete(id);
    else this.#map.set(id, kept);
    this.#size -= removed;
    return removed;
  }

  /** Swaps in an empty Map and returns the old contents (never mutated again). */
  clear(): unknown {
    const old: BagState<R> = { map: this.#map, size: this.#size };
    this.#map = new Map();
    this.#size = 0;
    this.#cursor.reset();
    return old;
  }

  /** Puts back contents returned by `clear`. */
  restoreAll(state: unknown): void {
    const s = state as BagState<R>;
    this.#map = s.map;
    this.#size = s.size;
    this.#cursor.reset();
  }

  /** A copy of the rows with `key` (inserts push in place, so the live array would change). */
  snapshot(key: unknown): unknown {
    return this.#map.get(keyId(key))?.slice();
  }

  /** Makes `key` hold exactly the snapshot's rows. */
  restore(key: unknown, snapshot: unknown): void {
    const id = keyId(key);
    const now = this.#map.get(id)?.length ?? 0;
    const rows = snapshot as R[] | undefined;
    if (rows === undefined) this.#map.delete(id);
    else this.#map.set(id, rows.slice());
    this.#size += (rows?.length ?? 0) - now;
  }

  /** Visits every row, key by key in insertion order. */
  scan(visit: RowVisitor<R>): void {
    for (const rows of this.#map.values()) {
      for (const row of rows) if (visit(row) === false) return;
    }
  }

  /** A hash table has no key ranges: visits every row. */
  scanPrefix(_prefix: readonly unknown[], visit: RowVisitor<R>): void {
    this.scan(visit);
  }

  /** Every row, in `scan` order. */
  toArray(): R[] {
    const out: R[] = [];
    for (const rows of this.#map.values()) for (const row of rows) out.push(row);
    return out;
  }

  /** The first key in insertion order. */
  first(): unknown {
    return this.#cursor.first(this.#map, this.#keyOf);
  }

  /** The key after `key` (O(1) when continuing a walk; O(n) otherwise). */
  next(key: unknown): unknown {
    return this.#cursor.next(this.#map, keyId(key), key, this.#keyOf);
  }

  /** Same as `first` (ETS: a bag's last is its first). */
  last(): unknown {
    return this.first();
  }

  /** Same as `next` (ETS: a bag's prev is its next). */
  prev(key: unknown): unknown {
    return this.next(key);
  }

  /** Approximate bytes: per-key and per-row overhead plus each row. */
  memory(): number {
    let n = 0;
    for (const rows of this.#map.values()) {
      n += ENTRY_OVERHEAD + 16;
      for (const row of rows) n += 8 + estimateBytes(row);
    }
    return n;
  }
}
