/**
 * Table, ETS for TypeScript: the public surface of src/runtime/table/. Explicit exports only, so
 * the engines, the undo log and the pattern compiler stay internal.
 */
export { Table } from './table.js';
export type {
  ElementUpdateOf,
  RowIndex,
  TableAccess,
  TableHandle,
  TableHeir,
  TableInfo,
  TableOptions,
} from './table.js';
export type { Row, TableType } from './store.js';
export type { CounterOp } from './store-ops.js';
export { TableAccessError, TableBadArgError, TableDroppedError, TableError } from './errors.js';
export { compareKeys } from './keys.js';
export type { Key } from './keys.js';
export { $1, $2, $3, $4, $5, $6, $7, $8, $9, _, v, Var } from './pattern.js';
export type {
  Bindings,
  LooseBindings,
  LooseClause,
  MatchResult,
  Pattern,
  PatternFor,
  SelectClause,
  SelectSpec,
  Wildcard,
} from './pattern.js';
