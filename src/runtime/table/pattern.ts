/**
 * Patterns, variables, guards and select specs: ETS's match specs as typed TypeScript.
 *
 * Exported surface (table.ts codes against this):
 * - `_`, `Wildcard`, `Var`, `$1`..`$9`, `v(n)`, `isVar(x)` — pattern building blocks.
 * - Types (from pattern-types.ts): `Pattern<R>`, `PatternFor<T>`, `Bindings<R, P>`, `LooseBindings`,
 *   `MatchResult<R, P>`, `SelectClause<R, P, T>`, `LooseClause<R, T>`, `SelectSpec<R>`, `Selector<R>`.
 * - `BoundKey` = `{ kind: 'full', key }` | `{ kind: 'prefix', prefix }` | `{ kind: 'none' }`.
 * - `compilePattern(pattern, keyPos, what?)` → `CompiledPattern { boundKey, vars, matches(row),
 *   test(row), values(row) }`.
 * - `compileSelect(spec, keyPos)` → `CompiledSelect { clauses, boundKey, apply(row), matches(row) }`,
 *   where `apply` returns the first matching clause's result or `NO_MATCH`; `combineBoundKeys`.
 * Both compilers take `unknown` and validate it (TableBadArgError naming the value); the Table
 * verbs carry the static types. The closure-building machinery is in pattern-match.ts.
 *
 * Matching rules. A pattern is `_` (every row) or a tuple as long as the rows it matches (rows of
 * another length never match, as in ETS). Each element is `_` (anything), a variable (anything,
 * bound; a repeated variable requires equal values), a nested array (matches an array of the same
 * length element by element), a plain object (matches any non-array object having those own
 * fields, each matched recursively — partial, like Erlang map patterns), or a literal (matches a
 * `deepEqual` value: key-like values as `compareKeys` does, so `1` matches `1n`; Dates by time).
 * Compiling checks the pattern once and returns closures that, per row, do only comparisons.
 */
import { TableBadArgError } from './errors.js';
import { compareKeys, deepEqual, isKey } from './keys.js';
import type { Key } from './keys.js';
import { compileShape, getter, isPlainObject } from './pattern-match.js';
import type { Check, Getter, Occurrence } from './pattern-match.js';
import { Var, _ } from './pattern-types.js';

export { Var, _ } from './pattern-types.js';
export type {
  Bindings,
  LooseBindings,
  LooseClause,
  MatchResult,
  Pattern,
  PatternFor,
  SelectClause,
  SelectSpec,
  Selector,
  Wildcard,
} from './pattern-types.js';

/** Pattern variable 1 (ETS's `'$1'`). */
export const $1: Var<1> = Var.of(1);
/** Pattern variable 2. */
export const $2: Var<2> = Var.of(2);
/** Pattern variable 3. */
export const $3: Var<3> = Var.of(3);
/** Pattern variable 4. */
export const $4: Var<4> = Var.of(4);
/** Pattern variable 5. */
export const $5: Var<5> = Var.of(5);
/** Pattern variable 6. */
export const $6: Var<6> = Var.of(6);
/** Pattern variable 7. */
export const $7: Var<7> = Var.of(7);
/** Pattern variable 8. */
export const $8: Var<8> = Var.of(8);
/** Pattern variable 9. */
export const $9: Var<9> = Var.of(9);

/**
 * Pattern variable number `n` (any positive integer; `v(1) === $1`); throws TableBadArgError otherwise.
 * @example table.match([v(10), _, v(11)])
 */
export function v<const N extends number>(n: N): Var<N> {
  return Var.of(n);
}

/** True when `x` is a pattern variable. */
export function isVar(x: unknown): x is Var {
  return x instanceof Var;
}

/**
 * What a pattern says about the key, so a table can avoid a full scan: the whole key (`full`: a
 * lookup), the leading elements of a tuple key (`prefix`: an ordered_set walks that range only; all
 * matching keys are arrays starting with `prefix`), or nothing (`none`: scan). Candidates found
 * through the key must still be tested against the pattern.
 */
export type BoundKey =
  | { readonly kind: 'full'; readonly key: Key }
  | { readonly kind: 'prefix'; readonly prefix: readonly Key[] }
  | { readonly kind: 'none' };

const NONE: BoundKey = { kind: 'none' };

/** A pattern compiled against a key position. Rows passed in must be arrays (table rows are). */
export interface CompiledPattern {
  /** What the pattern fixes of the key. */
  readonly boundKey: BoundKey;
  /** The distinct variable numbers in the pattern, ascending. */
  readonly vars: readonly number[];
  /** True when `row` matches (repeated variables included); allocates nothing. */
  matches(row: readonly unknown[]): boolean;
  /** The bindings `{ $1: ..., $2: ... }` (keys in variable order) when `row` matches, else undefined. */
  test(row: readonly unknown[]): Record<string, unknown> | undefined;
  /** The bound values ordered by variable number (one `match` result) when `row` matches, else undefined. */
  values(row: readonly unknown[]): unknown[] | undefined;
}

/**
 * Compiles `pattern` for rows whose key is at `keyPos`; throws TableBadArgError naming `what` and
 * the pattern unless it is `_` or an array longer than `keyPos` (shorter tuples have no key).
 */
export function compilePattern(pattern: unknown, keyPos: number, what = '`pattern`'): CompiledPattern {
  if (!Number.isSafeInteger(keyPos) || keyPos < 0) {
    throw new TableBadArgError('`keyPos`', 'a non-negative integer', keyPos);
  }
  if (pattern === _) return compiled(() => true, [], NONE);
  if (!Array.isArray(pattern) || pattern.length <= keyPos) {
    throw new TableBadArgError(
      what,
      `\`_\` or a tuple (array) of at least ${keyPos + 1} element${keyPos === 0 ? '' : 's'}, since the key is at position ${keyPos}`,
      pattern,
    );
  }
  const occurrences: Occurrence[] = [];
  const shape = compileShape(pattern, occurrences, pattern, what);
  return compiled(shape, occurrences, boundKeyOf(pattern[keyPos]));
}

function compiled(shape: Check, occurrences: readonly Occurrence[], boundKey: BoundKey): CompiledPattern {
  // The first occurrence (left to right, depth first) of each variable binds it; later ones must equal it.
  const first = new Map<number, Getter>();
  const same: [Getter, Getter][] = [];
  for (const o of occurrences) {
    const bound = first.get(o.index);
    if (bound === undefined) first.set(o.index, getter(o.path));
    else same.push([bound, getter(o.path)]);
  }
  const vars = [...first.keys()].sort((a, b) => a - b);
  const names = vars.map((n) => `$${n}`);
  const getters = vars.map((n) => first.get(n) as Getter);
  const count = vars.length;
  const matches =
    same.length === 0
      ? shape
      : (row: readonly unknown[]): boolean => {
          if (!shape(row)) return false;
          for (const [a, b] of same) if (!deepEqual(a(row), b(row))) return false;
          return true;
        };
  return {
    boundKey,
    vars,
    matches,
    test(row) {
      if (!matches(row)) return undefined;
      const bindings: Record<string, unknown> = {};
      for (let i = 0; i < count; i++) bindings[names[i] as string] = (getters[i] as Getter)(row);
      return bindings;
    },
    values(row) {
      if (!matches(row)) return undefined;
      const out = new Array<unknown>(count);
      for (let i = 0; i < count; i++) out[i] = (getters[i] as Getter)(row);
      return out;
    },
  };
}

/** True when `p` contains no `_`, variable or object pattern, i.e. it is a plain value. */
function isGround(p: unknown): boolean {
  if (p === _ || p instanceof Var) return false;
  if (Array.isArray(p)) return p.every(isGround);
  return p === null || typeof p !== 'object' || !isPlainObject(p);
}

function boundKeyOf(p: unknown): BoundKey {
  if (isGround(p)) return isKey(p) ? { kind: 'full', key: p } : NONE;
  if (!Array.isArray(p)) return NONE;
  let n = 0;
  while (n < p.length && isGround(p[n]) && isKey(p[n])) n++;
  return n === 0 ? NONE : { kind: 'prefix', prefix: p.slice(0, n) as Key[] };
}

/** Combines clauses' bound keys: the one key they all fix, else their common tuple prefix, else none. */
export function combineBoundKeys(keys: readonly BoundKey[]): BoundKey {
  const [head, ...rest] = keys;
  if (head === undefined || head.kind === 'none') return NONE;
  if (head.kind === 'full' && rest.every((k) => k.kind === 'full' && compareKeys(k.key, head.key) === 0))
    return head;
  let common: readonly Key[] | undefined;
  for (const k of keys) {
    const elements =
      k.kind === 'prefix' ? k.prefix : k.kind === 'full' && Array.isArray(k.key) ? k.key : undefined;
    if (elements === undefined) return NONE;
    if (common === undefined) common = elements;
    else {
      let n = 0;
      while (n < common.length && n < elements.length && compareKeys(common[n], elements[n]) === 0) n++;
      common = common.slice(0, n);
    }
  }
  return common === undefined || common.length === 0 ? NONE : { kind: 'prefix', prefix: common };
}

/** Returned by `CompiledSelect.apply` for a row no clause selects (results may be any value, even undefined). */
export const NO_MATCH: unique symbol = Symbol('no match');

type ClauseFn = (bindings: Record<string, unknown>, row: readonly unknown[]) => unknown;

/** One compiled clause of a select spec. */
export interface CompiledClause {
  /** How errors name this clause, e.g. "`spec[1]`". */
  readonly what: string;
  readonly pattern: CompiledPattern;
  /** The guard; its return value is checked to be a boolean at each call. */
  readonly where: ClauseFn | undefined;
  /** The result function; undefined means "the row". */
  readonly result: ClauseFn | undefined;
}

/** A select spec compiled against a key position. */
export interface CompiledSelect {
  /** The clauses, in order. */
  readonly clauses: readonly CompiledClause[];
  /** What every clause fixes of the key (see `combineBoundKeys`). */
  readonly boundKey: BoundKey;
  /** The first selecting clause's result (default: the row), or NO_MATCH; where/result errors propagate. */
  apply(row: readonly unknown[]): unknown;
  /** True when some clause selects `row` (pattern and `where`); `result` is not called. For count/delete. */
  matches(row: readonly unknown[]): boolean;
}

const CLAUSE_KEYS = new Set(['match', 'where', 'result']);

/**
 * Compiles a select spec (a clause or a list of clauses; see `SelectClause`) for rows keyed at
 * `keyPos`. Throws TableBadArgError naming the clause and value for anything malformed: not an
 * object, no `match`, a bad pattern, a non-function `where`/`result`, an unknown field (a typo
 * like `guard` would otherwise silently select everything). An empty list selects nothing.
 */
export function compileSelect(spec: unknown, keyPos: number): CompiledSelect {
  const list: readonly unknown[] = Array.isArray(spec) ? spec : [spec];
  const clauses = list.map((clause, i) =>
    compileClause(clause, keyPos, Array.isArray(spec) ? `\`spec[${i}]\`` : '`spec`'),
  );
  const n = clauses.length;
  const selects = (
    c: CompiledClause,
    row: readonly unknown[],
    bindings: Record<string, unknown>,
  ): boolean => {
    if (c.where === undefined) return true;
    const ok: unknown = c.where(bindings, row);
    if (ok === true) return true;
    if (ok === false) return false;
    throw new TableBadArgError(
      `${c.what.slice(0, -1)}.where\``,
      'a function returning a boolean (select is synchronous)',
      ok,
    );
  };
  return {
    clauses,
    boundKey: n === 0 ? NONE : combineBoundKeys(clauses.map((c) => c.pattern.boundKey)),
    apply(row) {
      for (let i = 0; i < n; i++) {
        const c = clauses[i] as CompiledClause;
        if (c.where === undefined && c.result === undefined) {
          if (c.pattern.matches(row)) return row;
          continue;
        }
        const bindings = c.pattern.test(row);
        if (bindings === undefined || !selects(c, row, bindings)) continue;
        return c.result === undefined ? row : c.result(bindings, row);
      }
      return NO_MATCH;
    },
    matches(row) {
      for (let i = 0; i < n; i++) {
        const c = clauses[i] as CompiledClause;
        if (c.where === undefined) {
          if (c.pattern.matches(row)) return true;
          continue;
        }
        const bindings = c.pattern.test(row);
        if (bindings !== undefined && selects(c, row, bindings)) return true;
      }
      return false;
    },
  };
}

function compileClause(clause: unknown, keyPos: number, what: string): CompiledClause {
  if (typeof clause !== 'object' || clause === null || Array.isArray(clause) || !('match' in clause)) {
    throw new TableBadArgError(what, 'a select clause `{ match, where?, result? }`', clause);
  }
  for (const k of Object.keys(clause)) {
    if (!CLAUSE_KEYS.has(k)) {
      throw new TableBadArgError(
        what,
        'a select clause with only `match`, `where` and `result`',
        clause,
        `(unknown field \`${k}\`)`,
      );
    }
  }
  const { match, where, result } = clause as Record<string, unknown>;
  for (const [name, fn] of [
    ['where', where],
    ['result', result],
  ] as const) {
    if (fn !== undefined && typeof fn !== 'function') {
      throw new TableBadArgError(`${what.slice(0, -1)}.${name}\``, 'a function', fn);
    }
  }
  return {
    what,
    pattern: compilePattern(match, keyPos, `${what.slice(0, -1)}.match\``),
    where: where as ClauseFn | undefined,
    result: result as ClauseFn | undefined,
  };
}
