/**
 * The row arithmetic of `updateCounter` and `updateElement`, kept apart from the Table so the
 * verbs stay short. Both compute a new row from a copy of the stored (frozen) one and validate
 * every operation before the Table stores anything, so a bad operation leaves the table unchanged.
 * Positions are 0-based (ETS's are 1-based).
 */
import { TableBadArgError } from './errors.js';
import type { Row } from './store.js';
import { describeValue } from '../validate.js';

/**
 * One counter operation, ETS's `UpdateOp`: a bare increment (applied to the element after the key,
 * `keyPos + 1`), `[pos, incr]`, or `[pos, incr, threshold, setValue]`: when `incr >= 0` and the
 * result would exceed `threshold`, or `incr < 0` and it would fall below it, the counter becomes
 * `setValue` instead (a wrapping or saturating counter).
 */
export type CounterOp =
  | number
  | readonly [pos: number, incr: number]
  | readonly [pos: number, incr: number, threshold: number, setValue: number];

/** Whether `op` is a list of counter operations rather than one. */
export function isCounterOpList(op: unknown): op is readonly CounterOp[] {
  return Array.isArray(op) && (op.length === 0 || typeof op[0] !== 'number');
}

/**
 * Applies counter `ops` to a copy of `row`; returns the new row and each op's resulting value.
 * Throws TableBadArgError, naming the value, for a malformed op, a position that is the key or
 * out of range, or an element that is not a number.
 */
export function applyCounterOps(
  row: Row,
  ops: readonly CounterOp[],
  keyPos: number,
): { row: unknown[]; values: number[] } {
  const next = row.slice();
  const values: number[] = [];
  for (const op of ops) {
    let pos: unknown, incr: unknown, threshold: unknown, setValue: unknown;
    if (typeof op === 'number') {
      pos = keyPos + 1;
      incr = op;
    } else if (Array.isArray(op) && (op.length === 2 || op.length === 4)) {
      [pos, incr, threshold, setValue] = op as readonly unknown[];
    } else {
      throw new TableBadArgError(
        'the counter operation',
        'an increment, [pos, incr] or [pos, incr, threshold, setValue]',
        op,
      );
    }
    checkPosition(pos, next, keyPos, 'updateCounter');
    checkNumber(incr, '`incr`', op);
    const current = next[pos];
    if (typeof current !== 'number') {
      throw new TableBadArgError(
        `the element at position ${pos}`,
        'a number to count with',
        current,
        `(row with key ${describeValue(row[keyPos])})`,
      );
    }
    let value = current + incr;
    if (threshold !== undefined) {
      checkNumber(threshold, '`threshold`', op);
      checkNumber(setValue, '`setValue`', op);
      if (incr >= 0 ? value > threshold : value < threshold) value = setValue;
    }
    next[pos] = value;
    values.push(value);
  }
  return { row: next, values };
}

/** The positions of a row type: literal indexes for tuples, `number` for plain arrays. */
export type RowIndex<R extends Row> = number extends R['length']
  ? number
  : { [K in keyof R]: K extends `${infer N extends number}` ? N : never }[number];

/** A typed `[pos, value]` for `updateElement`: the value must fit the row at that position. */
export type ElementUpdateOf<R extends Row> = number extends R['length']
  ? readonly [number, R[number]]
  : { [K in keyof R]: K extends `${infer N extends number}` ? readonly [N, R[K]] : never }[number];

/** One element update, `[pos, value]`, for `updateElement`. */
export type ElementUpdate = readonly [pos: number, value: unknown];

/** Whether `update` is a list of element updates rather than one. */
export function isElementUpdateList(update: unknown): update is readonly ElementUpdate[] {
  return Array.isArray(update) && (update.length === 0 || typeof update[0] !== 'number');
}

/** Checks updates that do not depend on the row: each is `[pos, value]` and `pos` is not the key position. */
export function checkElementUpdates(updates: readonly ElementUpdate[], keyPos: number): void {
  for (const u of updates) {
    if (!Array.isArray(u) || u.length !== 2) {
      throw new TableBadArgError('the element update', '[pos, value]', u);
    }
    checkPosition(u[0], undefined, keyPos, 'updateElement');
  }
}

/** Applies element updates to a copy of `row`; throws TableBadArgError for a position past its end. */
export function applyElementUpdates(row: Row, updates: readonly ElementUpdate[], keyPos: number): unknown[] {
  const next = row.slice();
  for (const [pos, value] of updates) {
    checkPosition(pos, next, keyPos, 'updateElement');
    next[pos] = value;
  }
  return next;
}

function checkPosition(
  pos: unknown,
  row: Row | undefined,
  keyPos: number,
  verb: string,
): asserts pos is number {
  if (typeof pos !== 'number' || !Number.isInteger(pos) || pos < 0) {
    throw new TableBadArgError('`pos`', 'a non-negative integer position', pos);
  }
  if (pos === keyPos) {
    throw new TableBadArgError(
      '`pos`',
      `a position other than the key's (${keyPos}): ${verb} cannot change a key`,
      pos,
    );
  }
  if (row !== undefined && pos >= row.length) {
    throw new TableBadArgError('`pos`', `a position inside the row (length ${row.length})`, pos);
  }
}

function checkNumber(value: unknown, what: string, op: unknown): asserts value is number {
  if (typeof value !== 'number' || Number.isNaN(value)) {
    throw new TableBadArgError(what, 'a number', value, `in counter operation ${describeValue(op)}`);
  }
}
