/**
 * Pattern queries over a store: match, select and their count/delete forms. What a pattern fixes
 * of the key decides the walk: a whole key is a lookup (no scan), a tuple-key prefix walks only that
 * key range on an ordered_set, anything else visits every row. Candidates are always tested against
 * the full pattern, and results come back in the store's order (key order for an ordered_set).
 *
 * `where` and `result` functions run during the walk, so they must not write to the table (as ETS
 * match specs cannot); deleting verbs collect matches first and delete afterwards.
 */
import { keyId } from './keys.js';
import { compilePattern, compileSelect, NO_MATCH } from './pattern.js';
import type { BoundKey } from './pattern.js';
import type { Row, RowVisitor, Store } from './store.js';
import type { UndoLog } from './store-undo.js';

/** Visits the rows that can match a pattern fixing `bound` of the key. */
export function visitCandidates<R extends Row>(store: Store<R>, bound: BoundKey, visit: RowVisitor<R>): void {
  if (bound.kind === 'full') {
    for (const row of store.peek(bound.key)) if (visit(row) === false) return;
  } else if (bound.kind === 'prefix') {
    store.scanPrefix(bound.prefix, visit);
  } else {
    store.scan(visit);
  }
}

/** ETS match: the bindings of each matching row, as arrays ordered by variable number. */
export function matchRows<R extends Row>(store: Store<R>, pattern: unknown, keyPos: number): unknown[][] {
  const p = compilePattern(pattern, keyPos);
  const out: unknown[][] = [];
  visitCandidates(store, p.boundKey, (row) => {
    const values = p.values(row);
    if (values !== undefined) out.push(values);
  });
  return out;
}

/** ETS match_object: the matching rows. */
export function matchObjects<R extends Row>(store: Store<R>, pattern: unknown, keyPos: number): R[] {
  const p = compilePattern(pattern, keyPos);
  const out: R[] = [];
  visitCandidates(store, p.boundKey, (row) => {
    if (p.matches(row)) out.push(row);
  });
  return out;
}

/** ETS select: each selected row's clause result. */
export function selectRows<R extends Row>(store: Store<R>, spec: unknown, keyPos: number): unknown[] {
  const s = compileSelect(spec, keyPos);
  const out: unknown[] = [];
  visitCandidates(store, s.boundKey, (row) => {
    const result = s.apply(row);
    if (result !== NO_MATCH) out.push(result);
  });
  return out;
}

/** ETS select_count: how many rows some clause selects. */
export function countRows<R extends Row>(store: Store<R>, spec: unknown, keyPos: number): number {
  const s = compileSelect(spec, keyPos);
  let n = 0;
  visitCandidates(store, s.boundKey, (row) => {
    if (s.matches(row)) n++;
  });
  return n;
}

/** ETS select_delete: removes the rows some clause selects; returns how many. */
export function deleteSelected<R extends Row>(
  store: Store<R>,
  spec: unknown,
  keyPos: number,
  log: UndoLog<R> | undefined,
): number {
  const s = compileSelect(spec, keyPos);
  return deleteWhere(store, s.boundKey, (row) => s.matches(row), keyPos, log);
}

/** ETS match_delete: removes the rows matching `pattern`; returns how many. */
export function deleteMatching<R extends Row>(
  store: Store<R>,
  pattern: unknown,
  keyPos: number,
  log: UndoLog<R> | undefined,
): number {
  const p = compilePattern(pattern, keyPos);
  return deleteWhere(store, p.boundKey, (row) => p.matches(row), keyPos, log);
}

function deleteWhere<R extends Row>(
  store: Store<R>,
  bound: BoundKey,
  hit: (row: R) => boolean,
  keyPos: number,
  log: UndoLog<R> | undefined,
): number {
  // Collect first: deleting while a B+ tree walk is under way is not safe, and a throwing guard
  // must leave the table unchanged.
  const doomed: R[] = [];
  visitCandidates(store, bound, (row) => {
    if (hit(row)) doomed.push(row);
  });
  // Grouped by key so a bag key with many matching rows is rebuilt once, not once per row.
  const byKey = new Map<unknown, { key: unknown; rows: Set<R> }>();
  for (const row of doomed) {
    const key = row[keyPos];
    const id = keyId(key);
    const group = byKey.get(id);
    if (group === undefined) byKey.set(id, { key, rows: new Set([row]) });
    else group.rows.add(row);
  }
  let n = 0;
  for (const { key, rows } of byKey.values()) {
    if (log !== undefined) log.saveKey(key);
    n += store.deleteInstances(key, rows);
  }
  return n;
}
