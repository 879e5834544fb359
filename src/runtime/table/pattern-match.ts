/**
 * Pattern compilation machinery: turns a pattern into closures that check a row's shape and
 * literals and read variable values by path, so matching a row does comparisons only (no
 * recursion over the pattern, no allocation). pattern.ts wraps these into CompiledPattern.
 */
import { TableBadArgError } from './errors.js';
import { deepEqual } from './keys.js';
import { Var, _ } from './pattern-types.js';

/** Checks one value (a row, or an element inside one) against a compiled pattern part. */
export type Check = (value: unknown) => boolean;
/** Reads one variable's value out of a row whose shape has already been checked. */
export type Getter = (row: readonly unknown[]) => unknown;
type Path = readonly (number | string)[];
/** Where a variable occurs: its number and the index/field path from the row to it. */
export interface Occurrence {
  readonly index: number;
  readonly path: Path;
}

/** Nesting depth past which a pattern is refused: real patterns are shallow, cyclic ones are not. */
const MAX_DEPTH = 64;

/**
 * Compiles the row-level check (length, literals, nested parts; variables are only collected into
 * `occ`): inlined literal comparisons for the flat case, nested closures otherwise.
 */
export function compileShape(
  pattern: readonly unknown[],
  occ: Occurrence[],
  whole: unknown,
  what: string,
): Check {
  const n = pattern.length;
  // Strings, booleans, null, undefined and symbols equal only themselves, so `===` decides them;
  // numbers and bigints also need deepEqual (1 matches 1n, NaN matches NaN).
  const eqPos: number[] = [];
  const eqVal: unknown[] = [];
  const numPos: number[] = [];
  const numVal: unknown[] = [];
  const subPos: number[] = [];
  const subCheck: Check[] = [];
  for (let i = 0; i < n; i++) {
    const p = pattern[i];
    if (p === _) continue;
    if (p instanceof Var) occ.push({ index: p.index, path: [i] });
    else if (typeof p === 'number' || typeof p === 'bigint') {
      numPos.push(i);
      numVal.push(p);
    } else if (p === null || typeof p !== 'object') {
      eqPos.push(i);
      eqVal.push(p);
    } else {
      const check = compileNode(p, [i], occ, whole, what, 1);
      if (check !== null) {
        subPos.push(i);
        subCheck.push(check);
      }
    }
  }
  const eqs = eqPos.length;
  const nums = numPos.length;
  const subs = subPos.length;
  return (row) => {
    const r = row as readonly unknown[];
    if (r.length !== n) return false;
    for (let i = 0; i < eqs; i++) if (r[eqPos[i] as number] !== eqVal[i]) return false;
    for (let i = 0; i < nums; i++) {
      const x = r[numPos[i] as number];
      const lit = numVal[i];
      if (x !== lit && !deepEqual(x, lit)) return false;
    }
    for (let i = 0; i < subs; i++) if (!(subCheck[i] as Check)(r[subPos[i] as number])) return false;
    return true;
  };
}

/** Compiles one nested pattern element; null means "matches anything" (`_` or a variable). */
function compileNode(
  p: unknown,
  path: Path,
  occ: Occurrence[],
  whole: unknown,
  what: string,
  depth: number,
): Check | null {
  if (p === _) return null;
  if (p instanceof Var) {
    occ.push({ index: p.index, path });
    return null;
  }
  if (typeof p === 'number' || typeof p === 'bigint') return (x) => x === p || deepEqual(x, p);
  if (p === null || typeof p !== 'object') return (x) => x === p;
  if (depth > MAX_DEPTH) {
    throw new TableBadArgError(what, `nested at most ${MAX_DEPTH} levels deep (is it cyclic?)`, whole);
  }
  if (Array.isArray(p)) {
    const n = p.length;
    const pos: number[] = [];
    const checks: Check[] = [];
    for (let i = 0; i < n; i++) {
      const c = compileNode(p[i], [...path, i], occ, whole, what, depth + 1);
      if (c !== null) {
        pos.push(i);
        checks.push(c);
      }
    }
    const m = pos.length;
    return (x) => {
      if (!Array.isArray(x) || x.length !== n) return false;
      for (let i = 0; i < m; i++) if (!(checks[i] as Check)(x[pos[i] as number])) return false;
      return true;
    };
  }
  if (isPlainObject(p)) {
    const keys = Object.keys(p);
    const checks = keys.map((k) => compileNode(p[k], [...path, k], occ, whole, what, depth + 1));
    return (x) => {
      if (typeof x !== 'object' || x === null || Array.isArray(x)) return false;
      for (let i = 0; i < keys.length; i++) {
        const k = keys[i] as string;
        if (!Object.hasOwn(x, k)) return false;
        const c = checks[i];
        if (c && !c((x as Record<string, unknown>)[k])) return false;
      }
      return true;
    };
  }
  // Dates, Maps, class instances...: literals compared as whole values.
  return (x) => deepEqual(x, p);
}

/** True for objects made by `{}` literals or Object.create(null): those are partial patterns. */
export function isPlainObject(p: object): p is Record<string, unknown> {
  const proto: unknown = Object.getPrototypeOf(p);
  return proto === Object.prototype || proto === null;
}

/** Builds the reader for a variable at `path` (one index: a direct `row[i]`). */
export function getter(path: Path): Getter {
  if (path.length === 1) {
    const i = path[0] as number;
    return (row) => row[i];
  }
  return (row) => {
    let x: unknown = row;
    // Safe: the shape check has already verified every container on the path.
    for (const k of path) x = (x as Record<string | number, unknown>)[k];
    return x;
  };
}
