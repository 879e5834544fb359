/**
 * The `ordered_set` engine: one row per key in a sorted-btree B+ tree ordered by `compareKeys`, so
 * lookups, inserts and deletes are O(log n), walks come back in key order, and a bound prefix of a
 * tuple key (`[priority, _, _]`) walks only that range.
 *
 * sorted-btree is CommonJS with `exports.default = BTree` and `__esModule`. Node's ESM loader and
 * tsx give a default import `module.exports`, so the class is its `.default` (what NodeNext's types
 * say); vitest's module runner honours `__esModule` and gives the class itself. Checked under all
 * three; the lookup below accepts either.
 */
import BTreeMod from 'sorted-btree';
import { compareKeys, deepEqual, keyHasPrefix } from './keys.js';
import { ENTRY_OVERHEAD, estimateBytes } from './store.js';
import type { Row, RowVisitor, Store } from './store.js';

type BTreeClass = typeof BTreeMod.default;
const BTree: BTreeClass =
  (BTreeMod as unknown as { default?: BTreeClass }).default ?? (BTreeMod as unknown as BTreeClass);
type Tree<R> = InstanceType<typeof BTree<unknown, R>>;

const EMPTY: readonly never[] = Object.freeze([]);

/** An `ordered_set` table's rows: key → row, in `compareKeys` order. */
export class OrderedStore<R extends Row> implements Store<R> {
  /** The table type this engine implements. */
  readonly type = 'ordered_set';
  #tree: Tree<R> = newTree<R>();

  /** Creates an empty store (keys live in the tree, so `keyPos` is not needed). */
  constructor(_keyPos: number) {}

  /** How many rows are stored. */
  get size(): number {
    return this.#tree.size;
  }

  /** Stores `row`, replacing any row with an equal key. */
  insert(key: unknown, row: R): void {
    this.#tree.set(key, row);
  }

  /** Whether a row has `key`. */
  has(key: unknown): boolean {
    return this.#tree.has(key);
  }

  /** The row with `key` in a fresh array, or an empty array. */
  get(key: unknown): R[] {
    const row = this.#tree.get(key);
    return row === undefined ? [] : [row];
  }

  /** The row with `key` (or none), without copying. */
  peek(key: unknown): readonly R[] {
    const row = this.#tree.get(key);
    return row === undefined ? EMPTY : [row];
  }

  /** The row with `key`, or undefined. */
  one(key: unknown): R | undefined {
    return this.#tree.get(key);
  }

  /** Removes the row with `key`. */
  deleteKey(key: unknown): number {
    return this.#tree.delete(key) ? 1 : 0;
  }

  /** Removes the row with `key` if it deep-equals `row`. */
  deleteObject(key: unknown, row: R): number {
    const stored = this.#tree.get(key);
    return stored !== undefined && deepEqual(stored, row) && this.#tree.delete(key) ? 1 : 0;
  }

  /** Removes the row with `key` if it is one of `rows`. */
  deleteInstances(key: unknown, rows: ReadonlySet<R>): number {
    const stored = this.#tree.get(key);
    return stored !== undefined && rows.has(stored) && this.#tree.delete(key) ? 1 : 0;
  }

  /** Swaps in an empty tree and returns the old one (never mutated again). */
  clear(): unknown {
    const old = this.#tree;
    this.#tree = newTree<R>();
    return old;
  }

  /** Puts back a tree returned by `clear`. */
  restoreAll(state: unknown): void {
    this.#tree = state as Tree<R>;
  }

  /** The row with `key` or undefined. */
  snapshot(key: unknown): unknown {
    return this.#tree.get(key);
  }

  /** Puts back the row (or absence) a snapshot captured. */
  restore(key: unknown, snapshot: unknown): void {
    if (snapshot === undefined) this.#tree.delete(key);
    else this.#tree.set(key, snapshot as R);
  }

  /** Visits every row in key order. */
  scan(visit: RowVisitor<R>): void {
    this.#tree.forEachPair((_k, row) => (visit(row) === false ? { break: true } : undefined));
  }

  /**
   * Visits, in key order, the rows whose key is a tuple starting with `prefix`. In compareKeys order
   * such keys are contiguous and `prefix` itself sorts before them all, so the walk starts at
   * `prefix` (O(log n)) and stops at the first key that does not start with it.
   */
  scanPrefix(prefix: readonly unknown[], visit: RowVisitor<R>): void {
    const pair: [unknown, R] = [undefined, undefined as unknown as R];
    for (const [key, row] of this.#tree.entries(prefix, pair)) {
      if (!keyHasPrefix(key, prefix) || visit(row) === false) return;
    }
  }

  /** Every row in key order. */
  toArray(): R[] {
    return this.#tree.valuesArray();
  }

  /** The smallest key. */
  first(): unknown {
    return this.#tree.minKey();
  }

  /** The smallest key greater than `key` (which need not be stored, as in ETS). */
  next(key: unknown): unknown {
    return this.#tree.nextHigherKey(key);
  }

  /** The greatest key. */
  last(): unknown {
    return this.#tree.maxKey();
  }

  /** The greatest key smaller than `key` (which need not be stored). */
  prev(key: unknown): unknown {
    return this.#tree.nextLowerKey(key);
  }

  /** Approximate bytes: per-entry overhead plus each row (keys live inside rows). */
  memory(): number {
    let n = 0;
    this.#tree.forEachPair((_k, row) => {
      n += ENTRY_OVERHEAD + estimateBytes(row);
    });
    return n;
  }
}

function newTree<R>(): Tree<R> {
  return new BTree<unknown, R>(undefined, compareKeys);
}
