/**
 * The machinery behind Table handles (src/runtime/table/table.ts): the option types and their
 * validation, the state every handle of one table shares, the name registry, and ownership:
 * watching the owner Process, handing the table to its heir, dropping it. Handles are made only by
 * the factory table.ts registers, so this file never constructs a Table itself. The public types
 * here are re-exported by table.ts and index.ts.
 */
import { coerceError } from '../errors.js';
import type { Process } from '../process.js';
import { report } from '../report.js';
import { assertFunction, assertOneOf, invalidArgument } from '../validate.js';
import { TableBadArgError } from '../table/errors.js';
import { assertKey } from '../table/keys.js';
import { createStore, TABLE_TYPES } from '../table/store.js';
import type { Row, Store, TableType } from '../table/store.js';
import type { UndoLog } from '../table/store-undo.js';
import type { Table } from '../table/table.js';

/** Who may use a table besides its owner: read and write, read only, or nobody. */
export type TableAccess = 'public' | 'protected' | 'private';

/** The access modes, for validating options. */
export const ACCESS: readonly TableAccess[] = ['public', 'protected', 'private'];

/** The process that inherits a table when its owner ends (ETS's `heir`). */
export interface TableHeir<R extends Row> {
  /** The inheriting process; it must still be running when the owner ends, else the table is dropped. */
  readonly process: Process;
  /** Passed to `onTransfer` (ETS's `HeirData`). */
  readonly data?: unknown;
  /** Receives the new OWNER handle; without it the heir owns the table but nobody holds owner rights. */
  readonly onTransfer?: (table: Table<R>, data: unknown) => void;
}

/** Options of `Table.new`. */
export interface TableOptions<R extends Row> {
  /** How keys map to rows. @default 'set' */
  readonly type?: TableType;
  /** The 0-based position of the key in each row. @default 0 */
  readonly keyPos?: number;
  /** What handles other than the owner's may do. @default 'protected' */
  readonly access?: TableAccess;
  /** Registers the table under this name for `Table.whereis`, unique while the table lives. @default undefined (unnamed) */
  readonly name?: string;
  /** The table is dropped when this process ends. @default undefined (lives until `drop()`) */
  readonly owner?: Process;
  /** Inherits the table when the owner ends. @default undefined (the table is dropped) */
  readonly heir?: TableHeir<R>;
}

/** What `info()` reports. */
export interface TableInfo {
  readonly type: TableType;
  /** Number of rows (a bag counts every row). */
  readonly size: number;
  /** Approximate bytes held: a documented estimate (see `estimateBytes` in store.ts), not a measurement. */
  readonly memory: number;
  readonly access: TableAccess;
  readonly name: string | undefined;
  /** The owner process's name, if the table has an owner process. */
  readonly owner: string | undefined;
  readonly keyPos: number;
  /** The heir process's name, if one is set. */
  readonly heir: string | undefined;
}

/** Why a non-owner handle of a private table is refused. */
export const PRIVATE = 'the table is private: only its owner may use it';
/** Why a write through a protected table's non-owner handle is refused. */
export const PROTECTED = 'the table is protected: only its owner may write';
/** Why an owner-only verb from another handle is refused. */
export const OWNER_ONLY = 'only the owner may do this';

/**
 * The state every handle of one table shares. Access is decided from plain fields so that a verb's
 * check is one or two compares: `owner === handle`, else `publicRead` / `publicWrite`. Dropping
 * clears all three, so the same compare refuses every handle of a dropped table.
 */
export class TableCore<R extends Row> {
  /** The rows. */
  readonly store: Store<R>;
  /** The handle with owner rights; undefined once dropped. */
  owner: Table<R> | undefined = undefined;
  /** The process whose end ends the table, if any. */
  ownerProcess: Process | undefined = undefined;
  /** Bumped on every ownership change and on drop, so a former owner's exit is ignored. */
  ownerEpoch = 0;
  /** Whether non-owner handles may read. */
  publicRead: boolean;
  /** Whether non-owner handles may write. */
  publicWrite: boolean;
  /** Whether the table has been dropped. */
  dropped = false;
  /** Who inherits the table, if anyone. */
  heir: TableHeir<R> | undefined = undefined;
  /** False once the heir's process has ended (it can then no longer inherit). */
  heirAlive = true;
  /** The non-owner handle `share()` and `whereis` hand out, made on first use. */
  shared: Table<R> | undefined = undefined;
  /** The undo log while a transaction runs. */
  log: UndoLog<R> | undefined = undefined;

  /** Creates the state of a new, empty table. */
  constructor(
    readonly label: string,
    readonly name: string | undefined,
    readonly type: TableType,
    readonly keyPos: number,
    readonly access: TableAccess,
  ) {
    this.store = createStore<R>(type, keyPos);
    this.publicRead = access !== 'private';
    this.publicWrite = access === 'public';
  }

  /**
   * Validates a row and returns its key (tuple keys are deep-frozen, since a key changed in place
   * would corrupt the index); `index` names the row within a list in errors.
   */
  keyOf(row: unknown, index = -1): unknown {
    const kp = this.keyPos;
    if (!Array.isArray(row) || row.length <= kp) {
      throw new TableBadArgError(
        index < 0 ? '`row`' : `row ${index}`,
        `an array of at least ${kp + 1} element${kp === 0 ? '' : 's'} (keyPos is ${kp})`,
        row,
        `(table ${JSON.stringify(this.label)})`,
      );
    }
    const key: unknown = row[kp];
    // Strings and numbers, the common keys, need no more; anything else is checked and frozen.
    if (typeof key === 'string' || (typeof key === 'number' && key === key)) return key;
    assertKey(key, index < 0 ? 'the key of `row`' : `the key of row ${index}`);
    if (Array.isArray(key)) freezeDeep(key);
    return key;
  }
}

function freezeDeep(key: readonly unknown[]): void {
  if (Object.isFrozen(key)) return;
  for (const k of key) if (Array.isArray(k)) freezeDeep(k);
  Object.freeze(key);
}

const registry = new Map<string, TableCore<Row>>();
let unnamed = 0;
let makeHandle: (<R extends Row>(core: TableCore<R>) => Table<R>) | undefined;

/** Registers how handles are made; table.ts calls it once, in Table's static block. */
export function setHandleFactory(factory: <R extends Row>(core: TableCore<R>) => Table<R>): void {
  makeHandle = factory;
}

/** A new handle on `core` (owner rights come from `core.owner`, not from the handle). */
export function newHandle<R extends Row>(core: TableCore<R>): Table<R> {
  return (makeHandle as <T extends Row>(core: TableCore<T>) => Table<T>)(core);
}

/** Creates a core, registering its name; throws TableBadArgError when the name is taken. */
export function createCore<R extends Row>(
  name: string | undefined,
  type: TableType,
  keyPos: number,
  access: TableAccess,
): TableCore<R> {
  if (name !== undefined && registry.has(name)) {
    throw new TableBadArgError('`name`', 'a name no live table uses', name);
  }
  const core = new TableCore<R>(name ?? `table-${++unnamed}`, name, type, keyPos, access);
  if (name !== undefined) registry.set(name, core as unknown as TableCore<Row>);
  return core;
}

/** The live table registered as `name`. */
export function findCore(name: string): TableCore<Row> | undefined {
  return registry.get(name);
}

/** Validates `Table.new` options, naming the offending option and value; returns them with defaults applied. */
export function checkOptions<R extends Row>(
  options: TableOptions<R>,
): Required<Pick<TableOptions<R>, 'type' | 'keyPos' | 'access'>> & TableOptions<R> {
  if (options === null || typeof options !== 'object') throw invalidArgument('options', 'an object', options);
  const { type = 'set', keyPos = 0, access = 'protected', name, owner, heir } = options;
  assertOneOf('type', type, TABLE_TYPES);
  if (typeof keyPos !== 'number' || !Number.isInteger(keyPos) || keyPos < 0) {
    throw invalidArgument('keyPos', 'a non-negative integer', keyPos);
  }
  assertOneOf('access', access, ACCESS);
  if (name !== undefined && (typeof name !== 'string' || name === '')) {
    throw invalidArgument('name', 'a non-empty string', name);
  }
  if (owner !== undefined) assertProcess('owner', owner);
  if (heir !== undefined) {
    if (heir === null || typeof heir !== 'object') throw invalidArgument('heir', 'an object', heir);
    assertProcess('heir.process', heir.process);
    if (heir.onTransfer !== undefined) assertFunction('heir.onTransfer', heir.onTransfer);
  }
  return { ...options, type, keyPos, access };
}

/** Checks a Process-shaped argument (name, exited, stop). */
export function assertProcess(name: string, value: unknown): asserts value is Process {
  const p = value as Partial<Process> | null;
  if (
    p === null ||
    typeof p !== 'object' ||
    typeof p.exited?.then !== 'function' ||
    typeof p.stop !== 'function' ||
    typeof p.name !== 'string'
  ) {
    throw invalidArgument(name, 'a Process (with name, exited and stop)', value);
  }
}

/** Ties the table's life to `process`: when it ends (and still owns the table) the heir inherits or the table drops. */
export function watchOwner<R extends Row>(c: TableCore<R>, process: Process): void {
  c.ownerProcess = process;
  const epoch = ++c.ownerEpoch;
  void process.exited.then(() => {
    if (c.ownerEpoch === epoch && !c.dropped) ownerEnded(c);
  });
}

/** Names the heir and notes when its process ends, since only a live heir can inherit. */
export function setHeir<R extends Row>(c: TableCore<R>, heir: TableHeir<R>): void {
  c.heir = heir;
  c.heirAlive = true;
  void heir.process.exited.then(() => {
    if (c.heir === heir) c.heirAlive = false;
  });
}

function ownerEnded<R extends Row>(c: TableCore<R>): void {
  const heir = c.heir;
  if (heir === undefined || !c.heirAlive || heir.process === c.ownerProcess) {
    dropCore(c);
    return;
  }
  // As in ETS, the heir setting is used up once the heir has inherited: it is now the owner.
  c.heir = undefined;
  const handle = transfer(c, heir.process);
  try {
    heir.onTransfer?.(handle, heir.data);
  } catch (err) {
    // Nobody awaits an owner's exit, so the hook's failure can only be reported; the heir still owns the table.
    report({ source: 'table', name: c.label, event: 'table.transfer_failed', reason: coerceError(err) });
  }
}

/** Moves owner rights to a new handle tied to `process`; the old owner handle keeps only non-owner rights. */
export function transfer<R extends Row>(c: TableCore<R>, process: Process): Table<R> {
  const handle = newHandle(c);
  c.owner = handle;
  watchOwner(c, process);
  return handle;
}

/** Drops the table: every handle is refused from now on, the rows are released, the name is freed. */
export function dropCore<R extends Row>(c: TableCore<R>): void {
  c.dropped = true;
  c.owner = undefined;
  c.publicRead = false;
  c.publicWrite = false;
  c.ownerEpoch++;
  c.heir = undefined;
  c.shared = undefined;
  c.log = undefined;
  c.store.clear();
  if (c.name !== undefined && registry.get(c.name) === (c as unknown as TableCore<Row>)) {
    registry.delete(c.name);
  }
}

/** Reports the rejection of a promise a transaction callback returned (the caller got a TypeError instead). */
export function reportLostRejection(c: TableCore<Row>, err: unknown): void {
  report({ source: 'table', name: c.label, event: 'table.transaction_rejected', reason: coerceError(err) });
}
