/**
 * The bodies of Table's larger verbs (updateCounter, updateElement, info, transaction) as
 * functions of the table's core, so table.ts stays the API and its access checks. Each is called
 * after the handle's rights were checked.
 */
import { reportLostRejection } from '../internal/table-core.js';
import type { TableCore, TableInfo } from '../internal/table-core.js';
import { assertFunction, invalidArgument } from '../validate.js';
import { TableBadArgError, TableDroppedError } from './errors.js';
import { assertKey } from './keys.js';
import type { Key } from './keys.js';
import { TABLE_OVERHEAD } from './store.js';
import type { Row } from './store.js';
import {
  applyCounterOps,
  applyElementUpdates,
  checkElementUpdates,
  isCounterOpList,
  isElementUpdateList,
} from './store-ops.js';
import type { CounterOp, ElementUpdate, ElementUpdateOf } from './store-ops.js';
import { UndoLog } from './store-undo.js';

/** Table.updateCounter on `c` (set and ordered_set; rights already checked). */
export function updateCounter<R extends Row>(
  c: TableCore<R>,
  key: Key,
  op: CounterOp | readonly CounterOp[],
  defaultRow: R | undefined,
): number | number[] {
  assertKey(key);
  const list = isCounterOpList(op);
  let row: Row | undefined = c.store.one(key);
  if (row === undefined) {
    if (defaultRow === undefined) {
      throw new TableBadArgError(
        '`key`',
        `a key in table ${JSON.stringify(c.label)} (or pass a default row)`,
        key,
      );
    }
    c.keyOf(defaultRow);
    const seeded = defaultRow.slice();
    seeded[c.keyPos] = key;
    row = seeded;
  }
  const next = applyCounterOps(row, list ? op : [op], c.keyPos);
  const storedKey = c.keyOf(next.row);
  if (c.log !== undefined) c.log.saveKey(storedKey);
  c.store.insert(storedKey, Object.freeze(next.row) as unknown as R);
  return list ? next.values : (next.values[0] as number);
}

/** Table.updateElement on `c` (set and ordered_set; rights already checked). */
export function updateElement<R extends Row>(
  c: TableCore<R>,
  key: Key,
  update: ElementUpdateOf<R> | readonly ElementUpdateOf<R>[],
): boolean {
  assertKey(key);
  const updates = (isElementUpdateList(update) ? update : [update]) as readonly ElementUpdate[];
  checkElementUpdates(updates, c.keyPos);
  const row = c.store.one(key);
  if (row === undefined) return false;
  const next = applyElementUpdates(row, updates, c.keyPos);
  if (c.log !== undefined) c.log.saveKey(key);
  c.store.insert(row[c.keyPos], Object.freeze(next) as unknown as R);
  return true;
}

/** The items `info(item)` accepts. */
const INFO_ITEMS: readonly string[] = ['type', 'size', 'memory', 'access', 'name', 'owner', 'keyPos', 'heir'];

/** Table.info on `c` (rights already checked). */
export function info<R extends Row>(
  c: TableCore<R>,
  item: keyof TableInfo | undefined,
): TableInfo | TableInfo[keyof TableInfo] {
  if (item === 'size') return c.store.size;
  if (item !== undefined && !INFO_ITEMS.includes(item)) {
    throw new TableBadArgError('`item`', `one of ${INFO_ITEMS.map((i) => `"${i}"`).join(', ')}`, item);
  }
  const out: TableInfo = {
    type: c.type,
    size: c.store.size,
    memory: item === undefined || item === 'memory' ? TABLE_OVERHEAD + c.store.memory() : 0,
    access: c.access,
    name: c.name,
    owner: c.ownerProcess?.name,
    keyPos: c.keyPos,
    heir: c.heir?.process.name,
  };
  return item === undefined ? out : out[item];
}

/** Table.transaction on `c`: runs `fn(handle)`, undoing every change it made if it throws. */
export function transaction<R extends Row, H, T>(c: TableCore<R>, handle: H, fn: (table: H) => T): T {
  if (c.dropped) throw new TableDroppedError(c.label, 'transaction');
  assertFunction('fn', fn);
  if (Object.prototype.toString.call(fn) === '[object AsyncFunction]') throw notSync(fn);
  const outer = c.log === undefined;
  const log = (c.log ??= new UndoLog(c.store));
  if (!outer) log.begin();
  let result: T;
  try {
    result = fn(handle);
    if (isThenable(result)) {
      Promise.resolve(result).catch((err: unknown) =>
        reportLostRejection(c as unknown as TableCore<Row>, err),
      );
      throw notSync(fn);
    }
  } catch (err) {
    if (!c.dropped) log.rollback();
    if (outer) c.log = undefined;
    throw err;
  }
  if (outer) c.log = undefined;
  else log.commit();
  return result;
}

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return (
    (typeof value === 'object' || typeof value === 'function') &&
    value !== null &&
    typeof (value as { then?: unknown }).then === 'function'
  );
}

function notSync(fn: unknown): TypeError {
  return invalidArgument('fn', 'a synchronous function (an async transaction cannot be atomic)', fn);
}
