/**
 * Keys: the one total order every table uses (`compareKeys`, the ordered_set comparator), the
 * identity hash tables use (`keyId`, a Map key), and the check that a value can be a key at all
 * (`assertKey`). Also `deepEqual`, the "same term" test that patterns, bags and deleteObject share,
 * which agrees with `compareKeys` on key-like values.
 */
import { TableBadArgError } from './errors.js';

/** A value that can be a table key: null, a boolean, a number (not NaN), a bigint, a string, or an array of keys. */
export type Key = null | boolean | number | bigint | string | readonly Key[];

/** A key's identity as a Map key: primitives stand for themselves, arrays for a canonical string. */
export type KeyId = string | number | boolean | null | bigint;

/** Nesting depth past which a key (or a deepEqual walk) is refused: real keys are shallow, cycles are not. */
const MAX_DEPTH = 64;

const EXPECTED_KEY =
  'a valid key (null, boolean, number other than NaN, bigint, string, or an array of keys)';

/**
 * Compares two keys in the table's total order; returns -1, 0 or 1.
 *
 * The order: `null` < booleans (`false` < `true`) < numbers and bigints (compared numerically, so
 * `1n` equals `1` and `-0` equals `0`) < strings (by UTF-16 code units, like `<`) < arrays. Arrays
 * compare element by element with this same order; when one is a prefix of the other the shorter
 * comes first. Keys are assumed valid (see `assertKey`): NaN is not detected here, other invalid
 * values throw TableBadArgError.
 *
 * @example
 * [[2, 10, 'b'], [1, 20, 'a'], [1, 10, 'z']].sort(compareKeys)
 * // → [[1, 10, 'z'], [1, 20, 'a'], [2, 10, 'b']]: priority, then time, then id
 */
export function compareKeys(a: unknown, b: unknown): -1 | 0 | 1 {
  // Hot path: the B+tree calls this O(log n) times per operation, almost always on like primitives.
  if (typeof a === 'number' && typeof b === 'number') return a < b ? -1 : a > b ? 1 : 0;
  if (typeof a === 'string' && typeof b === 'string') return a < b ? -1 : a > b ? 1 : 0;
  if (Array.isArray(a) && Array.isArray(b)) return compareTuples(a, b);
  return compareSlow(a, b, 0);
}

/**
 * Tuple keys (`[priority, runAt, seq]`, `[time, id]`) are the next most common: compared here
 * element by element with the like-primitive tests inline, falling back to `compareSlow` (at depth
 * 1, so nesting is still bounded) only for an element pair that is not two numbers or two strings.
 * Measured on a B+ tree of 3-tuple keys: about half the cost of a set or a delete, and a quarter
 * off a Table insert or delete of such a key (each compares O(log n) times).
 */
function compareTuples(x: readonly unknown[], y: readonly unknown[]): -1 | 0 | 1 {
  const n = x.length < y.length ? x.length : y.length;
  for (let i = 0; i < n; i++) {
    const p = x[i];
    const q = y[i];
    if (typeof p === 'number' && typeof q === 'number') {
      if (p !== q) return p < q ? -1 : 1;
      continue;
    }
    if (typeof p === 'string' && typeof q === 'string') {
      if (p !== q) return p < q ? -1 : 1;
      continue;
    }
    const c = compareSlow(p, q, 1);
    if (c !== 0) return c;
  }
  return x.length < y.length ? -1 : x.length > y.length ? 1 : 0;
}

function compareSlow(a: unknown, b: unknown, depth: number): -1 | 0 | 1 {
  const ra = rank(a);
  const rb = rank(b);
  if (ra !== rb) return ra < rb ? -1 : 1;
  if (ra === RANK_ARRAY) {
    if (depth > MAX_DEPTH) throw tooDeep(a);
    const x = a as readonly unknown[];
    const y = b as readonly unknown[];
    const n = x.length < y.length ? x.length : y.length;
    for (let i = 0; i < n; i++) {
      const c = compareSlow(x[i], y[i], depth + 1);
      if (c !== 0) return c;
    }
    return x.length < y.length ? -1 : x.length > y.length ? 1 : 0;
  }
  if (ra === RANK_NULL) return 0;
  // Booleans compare as 0/1; number vs bigint compares exactly (1n < 1.5, 2n ** 64n > 2 ** 63).
  const x = a as number;
  const y = b as number;
  return x < y ? -1 : x > y ? 1 : 0;
}

const RANK_NULL = 0;
const RANK_BOOLEAN = 1;
const RANK_NUMBER = 2;
const RANK_STRING = 3;
const RANK_ARRAY = 4;

function rank(k: unknown): number {
  switch (typeof k) {
    case 'number':
    case 'bigint':
      return RANK_NUMBER;
    case 'string':
      return RANK_STRING;
    case 'boolean':
      return RANK_BOOLEAN;
    case 'object':
      if (k === null) return RANK_NULL;
      if (Array.isArray(k)) return RANK_ARRAY;
  }
  throw new TableBadArgError('`key`', EXPECTED_KEY, k);
}

/**
 * Checks that `key` is a valid key (see `Key`), recursively for arrays; throws TableBadArgError
 * naming `where` and the value (and, inside an array, the offending element and its index).
 * Primitives cost a typeof or two and allocate nothing.
 */
export function assertKey(key: unknown, where = '`key`'): asserts key is Key {
  if (typeof key === 'string' || (typeof key === 'number' && key === key)) return;
  if (Array.isArray(key) && isFlatTuple(key)) return;
  checkKey(key, key, where, '', 0);
}

/**
 * Whether `key` is an array of strings and non-NaN numbers only: the common tuple key, accepted
 * without `checkKey`'s recursion (which also builds an element path string per element).
 */
function isFlatTuple(key: readonly unknown[]): boolean {
  for (let i = 0; i < key.length; i++) {
    const k = key[i];
    if (typeof k === 'string') continue;
    if (typeof k !== 'number' || k !== k) return false;
  }
  return true;
}

function checkKey(value: unknown, whole: unknown, where: string, path: string, depth: number): void {
  switch (typeof value) {
    case 'string':
    case 'boolean':
    case 'bigint':
      return;
    case 'number':
      if (value === value) return;
      break;
    case 'object':
      if (value === null) return;
      if (Array.isArray(value)) {
        if (depth >= MAX_DEPTH) throw tooDeep(whole, where);
        // A plain index loop, not forEach: holes must be seen (as undefined) and rejected.
        for (let i = 0; i < value.length; i++) {
          checkKey(value[i] as unknown, whole, where, `${path}[${i}]`, depth + 1);
        }
        return;
      }
  }
  const detail = path === '' ? undefined : `(element ${path} is ${describeElement(value)})`;
  throw new TableBadArgError(where, EXPECTED_KEY, whole, detail);
}

function describeElement(value: unknown): string {
  if (value === undefined) return 'undefined';
  if (typeof value === 'number') return String(value);
  if (typeof value === 'function') return 'a function';
  if (typeof value === 'symbol') return String(value);
  if (value instanceof Date) return 'a Date';
  return `an object`;
}

function tooDeep(key: unknown, where = '`key`'): TableBadArgError {
  return new TableBadArgError(where, `nested at most ${MAX_DEPTH} arrays deep (is it cyclic?)`, key);
}

/** True when `key` is a valid key; never throws. */
export function isKey(key: unknown): key is Key {
  return validKey(key, 0);
}

function validKey(value: unknown, depth: number): boolean {
  switch (typeof value) {
    case 'string':
    case 'boolean':
    case 'bigint':
      return true;
    case 'number':
      return value === value;
    case 'object':
      if (value === null) return true;
      if (!Array.isArray(value) || depth >= MAX_DEPTH) return false;
      for (let i = 0; i < value.length; i++) if (!validKey(value[i], depth + 1)) return false;
      return true;
  }
  return false;
}

/**
 * A key's identity for hash tables: `keyId(a) === keyId(b)` (and so Map identity) exactly when
 * `compareKeys(a, b) === 0`. Numbers (-0 becomes 0), booleans, null and strings not starting with
 * U+0000 are returned unchanged without allocating; a bigint that equals a number becomes that number, other
 * bigints stay bigints; arrays (and strings starting with U+0000) become a canonical string that
 * starts with U+0000 and so cannot collide with any plain string. Keys must be valid (`assertKey`).
 */
export function keyId(key: unknown): KeyId {
  switch (typeof key) {
    case 'number':
      // -0 becomes 0 so ids agree under Object.is too, not just under === and Map's SameValueZero.
      return key === 0 ? 0 : key;
    case 'boolean':
      return key;
    case 'string':
      // charCodeAt on an empty string is NaN, so '' passes through too.
      return key.charCodeAt(0) === 0 ? `\u0000s${key}` : key;
    case 'bigint': {
      const n = Number(key);
      return Number.isFinite(n) && BigInt(n) === key ? n : key;
    }
    case 'object':
      if (key === null) return null;
      if (Array.isArray(key)) return `\u0000${encode(key, 0)}`;
  }
  throw new TableBadArgError('`key`', EXPECTED_KEY, key);
}

/**
 * A JSON-like canonical encoding, injective on keys up to compareKeys-equality: strings are
 * JSON-quoted (so commas and brackets inside them cannot fake structure), numbers print as
 * String(n) (which prints -0 as "0"), bigints that equal a number print as that number, others as
 * digits plus "n" (a Number never prints with a trailing "n").
 */
function encode(key: unknown, depth: number): string {
  switch (typeof key) {
    case 'string':
      return JSON.stringify(key);
    case 'number':
      return String(key);
    case 'boolean':
      return key ? 'true' : 'false';
    case 'bigint': {
      const n = Number(key);
      return Number.isFinite(n) && BigInt(n) === key ? String(n) : `${key}n`;
    }
    case 'object': {
      if (key === null) return 'null';
      if (!Array.isArray(key)) break;
      if (depth > MAX_DEPTH) throw tooDeep(key);
      let out = '[';
      for (let i = 0; i < key.length; i++) {
        if (i > 0) out += ',';
        out += encode(key[i], depth + 1);
      }
      return `${out}]`;
    }
  }
  throw new TableBadArgError('`key`', EXPECTED_KEY, key);
}

/** True when array key `key` starts with every element of `prefix` (compareKeys-equal); for prefix range walks. */
export function keyHasPrefix(key: unknown, prefix: readonly unknown[]): boolean {
  if (!Array.isArray(key) || key.length < prefix.length) return false;
  for (let i = 0; i < prefix.length; i++) {
    if (compareKeys(key[i], prefix[i]) !== 0) return false;
  }
  return true;
}

/**
 * "Same term" equality for any row values, consistent with keys: on key-like values it is
 * `compareKeys(a, b) === 0` (so `1` equals `1n` and `-0` equals `0`); NaN equals NaN; arrays
 * element-wise; Dates by time; Maps and Sets by size and entries (Map keys and Set members by
 * identity, Map values deeply); other objects by prototype and own enumerable properties. Used by
 * patterns (literals, repeated variables), bag de-duplication and deleteObject.
 */
export function deepEqual(a: unknown, b: unknown): boolean {
  return a === b || equalSlow(a, b, 0);
}

function equalSlow(a: unknown, b: unknown, depth: number): boolean {
  if (a === b) return true;
  const ta = typeof a;
  const tb = typeof b;
  if (ta === 'number' || ta === 'bigint') {
    if (tb !== 'number' && tb !== 'bigint') return false;
    // Loose equality is exact between number and bigint; NaN is the one value unequal to itself.
    return a == b || (a !== a && b !== b);
  }
  if (ta !== 'object' || tb !== 'object' || a === null || b === null) return false;
  if (depth > MAX_DEPTH)
    throw new TableBadArgError('a value', `nested at most ${MAX_DEPTH} deep (is it cyclic?)`, a);
  const x = a as object;
  const y = b as object;
  if (Array.isArray(x)) {
    if (!Array.isArray(y) || x.length !== y.length) return false;
    for (let i = 0; i < x.length; i++) if (!equalSlow(x[i], y[i], depth + 1)) return false;
    return true;
  }
  if (Array.isArray(y)) return false;
  if (Object.getPrototypeOf(x) !== Object.getPrototypeOf(y)) return false;
  if (x instanceof Date) return x.getTime() === (y as Date).getTime();
  if (x instanceof Map) {
    const m = y as Map<unknown, unknown>;
    if (x.size !== m.size) return false;
    for (const [k, val] of x) if (!m.has(k) || !equalSlow(val, m.get(k), depth + 1)) return false;
    return true;
  }
  if (x instanceof Set) {
    const s = y as Set<unknown>;
    if (x.size !== s.size) return false;
    for (const k of x) if (!s.has(k)) return false;
    return true;
  }
  const kx = Object.keys(x);
  if (kx.length !== Object.keys(y).length) return false;
  for (const k of kx) {
    if (!Object.hasOwn(y, k)) return false;
    if (!equalSlow((x as Record<string, unknown>)[k], (y as Record<string, unknown>)[k], depth + 1))
      return false;
  }
  return true;
}
