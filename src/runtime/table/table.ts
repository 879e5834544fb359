/**
 * Table: ETS for TypeScript. An in-memory table of tuple rows keyed by one element, owned by a
 * Process and dropped when it ends (unless an heir inherits it). Every verb is synchronous and so
 * atomic for any number of async callers on the event loop; `transaction` makes a group of verbs
 * atomic even when one throws.
 *
 * Rows are stored as given, by reference: ETS copies every row in and out, we do not, because a
 * copy (or even an `Object.freeze`, measured at 2-4x the cost of a bare Map.set at 10^5 rows) would
 * cost more than the table itself. So treat a row as a value: never mutate one you inserted or got
 * back — change it by inserting a new row, or with `updateElement` / `updateCounter`, which build a
 * new row and leave the old one (and anyone holding it) untouched. Tuple keys are frozen deeply,
 * since a key mutated in place would corrupt the table's index.
 *
 * A row and a list of rows cannot be told apart at runtime when keys are tuples (`[[1, 2], [3, 4]]`
 * is either), so the list forms are separate verbs: `insertMany` and `insertNewMany`.
 */
import {
  assertProcess,
  checkOptions,
  createCore,
  dropCore,
  findCore,
  newHandle,
  OWNER_ONLY,
  PRIVATE,
  PROTECTED,
  setHandleFactory,
  setHeir,
  transfer,
  watchOwner,
} from '../internal/table-core.js';
import type { TableCore, TableInfo, TableOptions } from '../internal/table-core.js';
export type { TableAccess, TableHeir, TableInfo, TableOptions } from '../internal/table-core.js';
import type { Process } from '../process.js';
import { assertFunction, invalidArgument } from '../validate.js';
import { TableAccessError, TableBadArgError, TableDroppedError, TableError } from './errors.js';
import { assertKey } from './keys.js';
import type { Key } from './keys.js';
import type { Row } from './store.js';
import type { CounterOp, ElementUpdateOf, RowIndex } from './store-ops.js';
import { info, transaction, updateCounter, updateElement } from './table-verbs.js';
export type { ElementUpdateOf, RowIndex } from './store-ops.js';
import type { LooseClause, MatchResult, Pattern, SelectClause } from './pattern.js';
import {
  countRows,
  deleteMatching,
  deleteSelected,
  matchObjects,
  matchRows,
  selectRows,
} from './store-query.js';

/** A handle on a table (a Table value): `Table.new` gives the owner's, `share()`/`Table.whereis` a non-owner one. */
export type TableHandle<R extends Row = Row> = Table<R>;

/**
 * A handle on a table. `Table.new` returns the owner's handle (every right); `share()` and
 * `Table.whereis` return a handle with the table's non-owner rights (public: read and write,
 * protected: read only, private: none). Handles of a dropped table throw TableDroppedError.
 *
 * @example
 * const jobs = Table.new<[id: string, state: string, attempts: number]>({ name: 'jobs', owner: agent });
 * jobs.insert(['j1', 'queued', 0]);
 * jobs.updateCounter('j1', [2, 1]); // → 1
 * jobs.lookup('j1'); // → [['j1', 'queued', 1]]
 */
export class Table<R extends Row = Row> {
  readonly #core: TableCore<R>;

  static {
    setHandleFactory(<T extends Row>(core: TableCore<T>): Table<T> => new Table<T>(core));
  }

  private constructor(core: TableCore<R>) {
    this.#core = core;
  }

  /** Creates a table and returns its owner's handle; see TableOptions for the defaults. */
  static new<R extends Row = Row>(options: TableOptions<R> = {}): Table<R> {
    const { type, keyPos, access, name, owner, heir } = checkOptions(options);
    const core = createCore<R>(name, type, keyPos, access);
    const handle = new Table<R>(core);
    core.owner = handle;
    if (owner !== undefined) watchOwner(core, owner);
    if (heir !== undefined) setHeir(core, heir);
    return handle;
  }

  /** A non-owner handle on the live table named `name`, or undefined; throws TableAccessError for a private table. */
  static whereis<R extends Row = Row>(name: string): Table<R> | undefined {
    const core = findCore(name) as TableCore<R> | undefined;
    if (core === undefined) return undefined;
    if (core.access === 'private') throw new TableAccessError(core.label, 'whereis', PRIVATE);
    return (core.shared ??= newHandle(core));
  }

  /** Whether this handle has owner rights (it may lose them to an heir or `giveAway`). */
  get isOwner(): boolean {
    return this.#core.owner === this;
  }

  /** The table's name, or undefined for an unnamed table. */
  get name(): string | undefined {
    return this.#core.name;
  }

  /** A handle with the table's non-owner rights, to pass to other code; a private table throws TableAccessError. */
  share(): Table<R> {
    const c = this.#core;
    if (c.dropped) throw new TableDroppedError(c.label, 'share');
    if (c.access === 'private') throw new TableAccessError(c.label, 'share', PRIVATE);
    return (c.shared ??= newHandle(c));
  }

  /** Stores `row` (a set or ordered_set replaces the row with its key; a bag adds it unless an equal row is there). */
  insert(row: R): void {
    const c = this.#core;
    if (c.owner !== this && !c.publicWrite) this.#refuse('insert');
    const key = c.keyOf(row);
    if (c.log !== undefined) c.log.saveKey(key);
    c.store.insert(key, row);
  }

  /** Stores every row, all or nothing: every row is validated before any is stored. */
  insertMany(rows: readonly R[]): void {
    const c = this.#core;
    if (c.owner !== this && !c.publicWrite) this.#refuse('insertMany');
    const keys = this.#keysOf(rows);
    for (let i = 0; i < rows.length; i++) {
      if (c.log !== undefined) c.log.saveKey(keys[i]);
      c.store.insert(keys[i], rows[i] as R);
    }
  }

  /** Stores `row` only if no row has its key; returns whether it did (ETS's insert_new). */
  insertNew(row: R): boolean {
    const c = this.#core;
    if (c.owner !== this && !c.publicWrite) this.#refuse('insertNew');
    const key = c.keyOf(row);
    if (c.store.has(key)) return false;
    if (c.log !== undefined) c.log.saveKey(key);
    c.store.insert(key, row);
    return true;
  }

  /**
   * Stores every row only if none of their keys is in the table yet; returns whether it did. Keys
   * are checked against the table before the call: rows of the list that share a key are stored
   * in order with the type's semantics.
   */
  insertNewMany(rows: readonly R[]): boolean {
    const c = this.#core;
    if (c.owner !== this && !c.publicWrite) this.#refuse('insertNewMany');
    const keys = this.#keysOf(rows);
    for (const key of keys) if (c.store.has(key)) return false;
    for (let i = 0; i < rows.length; i++) {
      if (c.log !== undefined) c.log.saveKey(keys[i]);
      c.store.insert(keys[i], rows[i] as R);
    }
    return true;
  }

  #keysOf(rows: readonly R[]): unknown[] {
    if (!Array.isArray(rows)) throw new TableBadArgError('`rows`', 'an array of rows', rows);
    const c = this.#core;
    const keys: unknown[] = new Array(rows.length);
    for (let i = 0; i < rows.length; i++) keys[i] = c.keyOf(rows[i], i);
    return keys;
  }

  /** The rows with `key` (at most one unless a bag), as a new array. */
  lookup(key: Key): R[] {
    const c = this.#core;
    if (c.owner !== this && !c.publicRead) this.#refuse('lookup');
    assertKey(key);
    return c.store.get(key);
  }

  /**
   * The element at `pos` of the row with `key` (set and ordered_set; for a bag use
   * `lookup(key).map((r) => r[pos])`). Throws TableBadArgError when the key is absent or `pos` is
   * outside the row, naming them.
   */
  lookupElement<P extends RowIndex<R>>(key: Key, pos: P): R[P] {
    const c = this.#core;
    if (c.owner !== this && !c.publicRead) this.#refuse('lookupElement');
    this.#singleRowOnly('lookupElement');
    assertKey(key);
    if (typeof pos !== 'number' || !Number.isInteger(pos) || pos < 0) {
      throw new TableBadArgError('`pos`', 'a non-negative integer position', pos);
    }
    const row = c.store.one(key);
    if (row === undefined)
      throw new TableBadArgError('`key`', `a key in table ${JSON.stringify(c.label)}`, key);
    if (pos >= row.length) {
      throw new TableBadArgError('`pos`', `a position inside the row (length ${row.length})`, pos);
    }
    return row[pos] as R[P];
  }

  /**
   * The row with `key`, or undefined (set and ordered_set): `lookup` without the array, for hot
   * paths that read one row (ETS has no such verb; `lookup(key)[0]` allocates a list each call).
   */
  get(key: Key): R | undefined {
    const c = this.#core;
    if (c.owner !== this && !c.publicRead) this.#refuse('get');
    this.#singleRowOnly('get');
    assertKey(key);
    return c.store.one(key);
  }

  /** Whether any row has `key`. */
  member(key: Key): boolean {
    const c = this.#core;
    if (c.owner !== this && !c.publicRead) this.#refuse('member');
    assertKey(key);
    return c.store.has(key);
  }

  /** Removes the rows with `key` and returns them (lookup + delete, atomically). */
  take(key: Key): R[] {
    const c = this.#core;
    if (c.owner !== this && !c.publicWrite) this.#refuse('take');
    assertKey(key);
    const rows = c.store.get(key);
    if (rows.length > 0) {
      if (c.log !== undefined) c.log.saveKey(key);
      c.store.deleteKey(key);
    }
    return rows;
  }

  /** Removes the rows with `key`; returns whether there were any. */
  delete(key: Key): boolean {
    const c = this.#core;
    if (c.owner !== this && !c.publicWrite) this.#refuse('delete');
    assertKey(key);
    if (c.log !== undefined) c.log.saveKey(key);
    return c.store.deleteKey(key) > 0;
  }

  /** Removes the stored rows deep-equal to `row` (a duplicate_bag: every copy); returns whether any was. */
  deleteObject(row: R): boolean {
    const c = this.#core;
    if (c.owner !== this && !c.publicWrite) this.#refuse('deleteObject');
    const key = c.keyOf(row);
    if (c.log !== undefined) c.log.saveKey(key);
    return c.store.deleteObject(key, row) > 0;
  }

  /** Removes every row (the table itself stays). */
  deleteAllObjects(): void {
    const c = this.#core;
    if (c.owner !== this && !c.publicWrite) this.#refuse('deleteAllObjects');
    const old = c.store.clear();
    if (c.log !== undefined) c.log.saveAll(old);
  }

  /**
   * Adds to counters in the row with `key` and returns the new value (or values, for a list of ops),
   * as ETS's update_counter; see CounterOp. When the key is absent, `defaultRow` (its key replaced
   * by `key`) is inserted and updated; without one, TableBadArgError. A non-number element, a key
   * position or a position past the row throws TableBadArgError and leaves the table unchanged.
   * Set and ordered_set only.
   */
  updateCounter(key: Key, op: CounterOp, defaultRow?: R): number;
  updateCounter(key: Key, ops: readonly CounterOp[], defaultRow?: R): number[];
  updateCounter(key: Key, op: CounterOp | readonly CounterOp[], defaultRow?: R): number | number[] {
    const c = this.#core;
    if (c.owner !== this && !c.publicWrite) this.#refuse('updateCounter');
    this.#singleRowOnly('updateCounter');
    return updateCounter(c, key, op, defaultRow);
  }

  /**
   * Replaces elements of the row with `key`: `[pos, value]` or a list of them, applied in order.
   * Returns false when no row has `key`. Updating the key position, or a position past the row,
   * throws TableBadArgError and leaves the table unchanged. Set and ordered_set only.
   */
  updateElement(key: Key, update: ElementUpdateOf<R> | readonly ElementUpdateOf<R>[]): boolean {
    const c = this.#core;
    if (c.owner !== this && !c.publicWrite) this.#refuse('updateElement');
    this.#singleRowOnly('updateElement');
    return updateElement(c, key, update);
  }

  /**
   * ETS match: for each row matching `pattern`, the values of its variables ordered by number
   * (`[$1, $2, ...]`). A pattern binding the whole key is a lookup; on an ordered_set a bound prefix
   * of a tuple key walks only that range; anything else scans. ordered_set results are in key order.
   * @example jobs.match([$1, 'queued', _]) // → [['j1'], ['j4']]
   */
  match<const P extends Pattern<R>>(pattern: P): MatchResult<R, P>[] {
    const c = this.#core;
    if (c.owner !== this && !c.publicRead) this.#refuse('match');
    return matchRows(c.store, pattern, c.keyPos) as MatchResult<R, P>[];
  }

  /** ETS match_object: the rows matching `pattern` (see `match` for how the key limits the walk). */
  matchObject<const P extends Pattern<R>>(pattern: P): R[] {
    const c = this.#core;
    if (c.owner !== this && !c.publicRead) this.#refuse('matchObject');
    return matchObjects(c.store, pattern, c.keyPos);
  }

  /**
   * ETS select: for each row, the `result` of the first clause whose `match` pattern fits and whose
   * `where` guard returns true (default result: the row). Bindings are typed from the pattern and
   * the row type. `where`/`result` must not write to the table.
   * @example jobs.select({ match: [$1, _, $2], where: (b) => b.$2 > 3, result: (b) => b.$1 })
   */
  select<const P extends Pattern<R>, T = R>(spec: SelectClause<R, P, T>): T[];
  select<const P1 extends Pattern<R>, const P2 extends Pattern<R>, T1 = R, T2 = R>(
    spec: readonly [SelectClause<R, P1, T1>, SelectClause<R, P2, T2>],
  ): (T1 | T2)[];
  select<T = R>(spec: readonly LooseClause<R, T>[]): T[];
  select(spec: unknown): unknown[] {
    const c = this.#core;
    if (c.owner !== this && !c.publicRead) this.#refuse('select');
    return selectRows(c.store, spec, c.keyPos);
  }

  /** ETS select_count: how many rows the spec selects (`result` is not called). */
  selectCount<const P extends Pattern<R>>(spec: SelectClause<R, P, unknown>): number;
  selectCount(spec: readonly LooseClause<R, unknown>[]): number;
  selectCount(spec: unknown): number {
    const c = this.#core;
    if (c.owner !== this && !c.publicRead) this.#refuse('selectCount');
    return countRows(c.store, spec, c.keyPos);
  }

  /** ETS select_delete: removes the rows the spec selects; returns how many. */
  selectDelete<const P extends Pattern<R>>(spec: SelectClause<R, P, unknown>): number;
  selectDelete(spec: readonly LooseClause<R, unknown>[]): number;
  selectDelete(spec: unknown): number {
    const c = this.#core;
    if (c.owner !== this && !c.publicWrite) this.#refuse('selectDelete');
    return deleteSelected(c.store, spec, c.keyPos, c.log);
  }

  /** ETS match_delete: removes the rows matching `pattern`; returns how many. */
  matchDelete<const P extends Pattern<R>>(pattern: P): number {
    const c = this.#core;
    if (c.owner !== this && !c.publicWrite) this.#refuse('matchDelete');
    return deleteMatching(c.store, pattern, c.keyPos, c.log);
  }

  /** The first key (ordered_set: the smallest), or undefined when empty (ETS's '$end_of_table'). */
  first(): Key | undefined {
    const c = this.#core;
    if (c.owner !== this && !c.publicRead) this.#refuse('first');
    return c.store.first() as Key | undefined;
  }

  /**
   * The key after `key`, or undefined at the end (ETS's '$end_of_table'). ordered_set: the next
   * greater key, O(log n), `key` need not be stored. set/bag: an arbitrary order, stable while the
   * table is unmodified; continuing a walk from the key last returned is O(1), and keys deleted
   * during a walk may be passed to `next`; any other key must be stored (O(n) to find it).
   */
  next(key: Key): Key | undefined {
    const c = this.#core;
    if (c.owner !== this && !c.publicRead) this.#refuse('next');
    assertKey(key);
    return c.store.next(key) as Key | undefined;
  }

  /** The last key (ordered_set: the greatest); for set/bag the same as `first()`, as in ETS. */
  last(): Key | undefined {
    const c = this.#core;
    if (c.owner !== this && !c.publicRead) this.#refuse('last');
    return c.store.last() as Key | undefined;
  }

  /** The key before `key` (ordered_set); for set/bag the same as `next(key)`, as in ETS. */
  prev(key: Key): Key | undefined {
    const c = this.#core;
    if (c.owner !== this && !c.publicRead) this.#refuse('prev');
    assertKey(key);
    return c.store.prev(key) as Key | undefined;
  }

  /** Every row, as a new array (ordered_set: in key order). */
  toList(): R[] {
    const c = this.#core;
    if (c.owner !== this && !c.publicRead) this.#refuse('toList');
    return c.store.toArray();
  }

  /**
   * The table's settings and size; `memory` walks every row (O(n)) to estimate bytes. With `item`,
   * only that one, as ETS's info/2: `info('size')` is O(1). An unknown item throws TableBadArgError.
   */
  info(): TableInfo;
  info<K extends keyof TableInfo>(item: K): TableInfo[K];
  info(item?: keyof TableInfo): TableInfo | TableInfo[keyof TableInfo] {
    const c = this.#core;
    if (c.owner !== this && !c.publicRead) this.#refuse('info');
    return info(c, item);
  }

  /** Deletes the table (ETS's delete/1): owner only. Every handle then throws TableDroppedError; the name is freed. */
  drop(): void {
    const c = this.#core;
    if (c.owner !== this) this.#refuse('drop', OWNER_ONLY);
    dropCore(c);
  }

  /**
   * Makes `process` the owner (ETS's give_away): owner only. Returns the new owner handle, which
   * `onTransfer(handle, data)` also receives when given; this handle keeps only non-owner rights.
   * The table then lives as long as `process` (or its heir).
   */
  giveAway(
    process: Process,
    data?: unknown,
    onTransfer?: (table: Table<R>, data: unknown) => void,
  ): Table<R> {
    const c = this.#core;
    if (c.owner !== this) this.#refuse('giveAway', OWNER_ONLY);
    assertProcess('process', process);
    if (onTransfer !== undefined) assertFunction('onTransfer', onTransfer);
    if (process === c.ownerProcess)
      throw invalidArgument('process', 'a process other than the owner', process.name);
    const handle = transfer(c, process);
    onTransfer?.(handle, data);
    return handle;
  }

  /**
   * Runs `fn(this)` synchronously; if it throws, every change it made to this table (through any
   * handle) is undone from an undo log, so every key holds exactly the rows it held before (a bag's
   * row order included), and the error is rethrown. One caveat: a set/bag's key order, arbitrary
   * by contract, may differ after undoing a delete (the key is re-added). Nests. An async function
   * (or one returning a promise) is refused with TypeError: it could not be atomic.
   */
  transaction<T>(fn: (table: Table<R>) => T): T {
    return transaction(this.#core, this, fn);
  }

  #singleRowOnly(verb: string): void {
    const t = this.#core.type;
    if (t === 'bag' || t === 'duplicate_bag') {
      throw new TableError(
        `Table ${JSON.stringify(this.#core.label)}: \`${verb}\` needs a set or ordered_set table, not a ${t}`,
      );
    }
  }

  #refuse(verb: string, why?: string): never {
    const c = this.#core;
    if (c.dropped) throw new TableDroppedError(c.label, verb);
    if (why !== undefined) throw new TableAccessError(c.label, verb, why);
    throw new TableAccessError(c.label, verb, c.access === 'private' ? PRIVATE : PROTECTED);
  }
}
