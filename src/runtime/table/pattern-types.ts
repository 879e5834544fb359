/**
 * Type-level half of patterns: which patterns a row type admits, and what a pattern binds.
 * Nothing here exists at runtime except the wildcard and the `Var` class, which live here so the
 * types can name them; pattern.ts re-exports everything.
 */

import { TableBadArgError } from './errors.js';

/** The wildcard: matches anything and binds nothing (ETS's `'_'`). */
export const _: unique symbol = Symbol('_');

/** The wildcard's type. */
export type Wildcard = typeof _;

const cache = new Map<number, Var>();

/**
 * A pattern variable (ETS's `'$1'`): matches anything and binds it under the name `$<index>`; the
 * same variable twice in a pattern means both places hold equal values (`deepEqual`). Get one
 * with `$1`..`$9` or `v(n)`; instances are interned, so `v(1) === $1`.
 */
export class Var<N extends number = number> {
  /** The binding's name in a `Bindings` object, e.g. `"$1"`. */
  readonly name: `$${N}`;

  private constructor(
    /** The variable's number, a positive integer; `match` orders bindings by it. */
    readonly index: N,
  ) {
    this.name = `$${index}`;
  }

  /** Returns the (interned) variable number `index`; throws TableBadArgError unless it is a positive integer. */
  static of<const N extends number>(index: N): Var<N> {
    let found = cache.get(index);
    if (found === undefined) {
      if (!Number.isSafeInteger(index) || index < 1) {
        throw new TableBadArgError('a pattern variable number', 'a positive integer', index);
      }
      found = new Var(index);
      cache.set(index, found);
    }
    return found as Var<N>;
  }

  /** Prints as `$1`, so patterns read well in error messages. */
  toString(): string {
    return this.name;
  }
}

/** Values a pattern compares as a whole literal (deepEqual) instead of descending into them. */
export type Opaque =
  ((...args: never[]) => unknown) | Date | RegExp | ReadonlyMap<unknown, unknown> | ReadonlySet<unknown>;

/**
 * What may stand where a row holds a `T`: `_`, any variable, a literal `T`, a nested tuple
 * pattern for a tuple, or a partial object pattern for a plain object. Past 6 levels of nesting
 * anything goes (recursive row types would otherwise never finish).
 */
export type PatternFor<T, D extends unknown[] = []> = D['length'] extends 6
  ? unknown
  : | Wildcard
    | Var
    | (T extends readonly unknown[]
        ? { readonly [K in keyof T]: PatternFor<T[K], [...D, 0]> }
        : T extends Opaque
          ? T
          : T extends object
            ? { readonly [K in keyof T]?: PatternFor<T[K], [...D, 0]> }
            : T);

/** A pattern for rows of type `R`: a tuple of the row's length, or `_` alone (every row). */
export type Pattern<R extends readonly unknown[]> = Wildcard | { readonly [K in keyof R]: PatternFor<R[K]> };

// eslint-disable-next-line @typescript-eslint/no-empty-object-type -- `{}` is the identity of `&`.
type None = {};
type UnionToIntersection<U> = (U extends unknown ? (x: U) => void : never) extends (x: infer I) => void
  ? I
  : never;
type Simplify<X> = { [K in keyof X]: X[K] } & {};
type ArrayPart<T> = Extract<T, readonly unknown[]>;
// For a variadic row type like [string, ...number[]] a position past the fixed part falls back to
// the union of all element types: sound, if less precise.
type ElemOf<T, K> = [ArrayPart<T>] extends [never]
  ? unknown
  : K extends keyof ArrayPart<T>
    ? ArrayPart<T>[K]
    : ArrayPart<T> extends readonly (infer E)[]
      ? E
      : unknown;
type ObjPart<T> = Exclude<Extract<T, object>, readonly unknown[] | Opaque>;
type FieldOf<T, K> = [ObjPart<T>] extends [never]
  ? unknown
  : K extends keyof ObjPart<T>
    ? ObjPart<T>[K]
    : unknown;
type Collect<T, P> =
  P extends Var<infer N>
    ? number extends N
      ? LooseBindings
      : { [K in `$${N}`]: T }
    : P extends Wildcard
      ? None
      : P extends readonly unknown[]
        ? UnionToIntersection<{ [K in keyof P]-?: Collect<ElemOf<T, K>, P[K]> }[number]> & None
        : P extends Opaque
          ? None
          : P extends object
            ? UnionToIntersection<{ [K in keyof P]-?: Collect<FieldOf<T, K>, P[K]> }[keyof P]> & None
            : None;

/**
 * What pattern `P` binds in a row of type `R`: `{ $1: ..., $2: ... }`, each variable typed as the
 * row's type at its position, through nested tuples and object fields (`unknown` where the row
 * type says nothing). E.g. `Bindings<[number, string, boolean], [$1, _, $2]>` is
 * `{ $1: number; $2: boolean }`.
 */
export type Bindings<R, P> = Simplify<Collect<R, P>>;

/** Bindings whose variables are not known statically (a `v(n)` with a non-literal `n`, a wide pattern). */
export type LooseBindings = { readonly [K in `$${number}`]?: unknown };

type Numbers = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20];
type Ordered<B, Ns> = Ns extends [infer N extends number, ...infer Rest]
  ? `$${N}` extends keyof B
    ? [B[`$${N}`], ...Ordered<B, Rest>]
    : Ordered<B, Rest>
  : [];
type Unordered<B> = Exclude<keyof B, `$${Numbers[number]}`> extends never ? false : true;

/**
 * One `match` result: the bound values ordered by variable number (ETS's `[$1, $2, ...]`), e.g.
 * `[number, boolean]` for `[$1, _, $2]` on `[number, string, boolean]`; `unknown[]` when a
 * variable past `$20` or a non-literal `v(n)` makes the order unknowable to the type system.
 */
export type MatchResult<R, P> =
  Unordered<Bindings<R, P>> extends true ? unknown[] : Ordered<Bindings<R, P>, Numbers>;

/**
 * One clause of a select spec (one entry of an ETS match spec): the pattern, an optional guard
 * (`where`, the analogue of match-spec guards, as a plain typed function), and an optional
 * `result` (the match-spec body). A row is selected by the first clause whose pattern matches and
 * whose `where` returns true; its `result` (default: the whole row, ETS's `'$_'`) is what select
 * returns. Both functions get the bindings and the row and must be synchronous and pure:
 * `where` must return a boolean (a Promise is refused, since the verb is synchronous).
 */
export interface SelectClause<R extends readonly unknown[], P extends Pattern<R>, T> {
  /** The pattern rows must match. */
  readonly match: P;
  /** The guard: true keeps the row for this clause. @default always true */
  readonly where?: (bindings: Bindings<R, P>, row: R) => boolean;
  /** What to return for a selected row. @default the row itself */
  readonly result?: (bindings: Bindings<R, P>, row: R) => T;
}

/** A clause whose bindings are not tracked by the type system (the fallback for long clause lists). */
export interface LooseClause<R extends readonly unknown[], T> {
  /** The pattern rows must match. */
  readonly match: Pattern<R>;
  /** The guard. @default always true */
  readonly where?: (bindings: LooseBindings, row: R) => boolean;
  /** The result. @default the row itself */
  readonly result?: (bindings: LooseBindings, row: R) => T;
}

/** A select spec: one clause or a list of clauses (first matching clause wins), as untyped data. */
export type SelectSpec<R extends readonly unknown[] = readonly unknown[]> =
  LooseClause<R, unknown> | readonly LooseClause<R, unknown>[];

/**
 * The typed shape of `select`: one clause, or a list of up to four clauses each with its own
 * inferred bindings; longer lists fall back to `LooseBindings`. Returns the results in table order.
 */
export interface Selector<R extends readonly unknown[]> {
  <const P extends Pattern<R>, T = R>(spec: SelectClause<R, P, T>): T[];
  <const P1 extends Pattern<R>, const P2 extends Pattern<R>, T1 = R, T2 = R>(
    spec: readonly [SelectClause<R, P1, T1>, SelectClause<R, P2, T2>],
  ): (T1 | T2)[];
  <
    const P1 extends Pattern<R>,
    const P2 extends Pattern<R>,
    const P3 extends Pattern<R>,
    T1 = R,
    T2 = R,
    T3 = R,
  >(
    spec: readonly [SelectClause<R, P1, T1>, SelectClause<R, P2, T2>, SelectClause<R, P3, T3>],
  ): (T1 | T2 | T3)[];
  <
    const P1 extends Pattern<R>,
    const P2 extends Pattern<R>,
    const P3 extends Pattern<R>,
    const P4 extends Pattern<R>,
    T1 = R,
    T2 = R,
    T3 = R,
    T4 = R,
  >(
    spec: readonly [
      SelectClause<R, P1, T1>,
      SelectClause<R, P2, T2>,
      SelectClause<R, P3, T3>,
      SelectClause<R, P4, T4>,
    ],
  ): (T1 | T2 | T3 | T4)[];
  <T = R>(spec: readonly LooseClause<R, T>[]): T[];
}
