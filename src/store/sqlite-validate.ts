/**
 * Argument checks of the SQLite store that the memory store's validation module does not cover
 * (its factory's options, listJobs filters), with the same message style: each names the option,
 * what was expected and the value given.
 */
import { assertFunction, invalidArgument } from '../runtime/validate.js';
import type { SynchronousMode } from './sqlite-db.js';

/** Options of `createSqliteStore`. */
export interface SqliteStoreOptions {
  /** The database file (created if missing; its directory must exist), or `:memory:` for a private, non-durable database. */
  readonly path: string;
  /** The store's clock, ms since the epoch. @default Date.now */
  readonly clock?: () => number;
  /** PRAGMA synchronous (see SynchronousMode for what a power cut can cost). @default 'full' */
  readonly synchronous?: SynchronousMode;
  /** How long a call waits for another process's write lock before failing, ms. @default 5000 */
  readonly busyTimeoutMs?: number;
  /** rescueJobs also takes back, at once, the leases of processes on this host that have exited. @default true */
  readonly detectDeadNodes?: boolean;
}

const SYNCHRONOUS: readonly SynchronousMode[] = ['full', 'normal', 'extra'];

/** Checks the options and fills in the defaults. */
export function checkOptions(opts: SqliteStoreOptions): Required<SqliteStoreOptions> {
  if (typeof opts !== 'object' || opts === null) throw invalidArgument('opts', 'an options object', opts);
  const { path, clock = Date.now, synchronous = 'full', busyTimeoutMs = 5000, detectDeadNodes = true } = opts;
  if (typeof path !== 'string' || path.trim().length === 0) {
    throw invalidArgument('path', 'a file path or ":memory:"', path);
  }
  assertFunction('clock', clock);
  if (!SYNCHRONOUS.includes(synchronous)) {
    throw invalidArgument('synchronous', '"full", "normal" or "extra"', synchronous);
  }
  if (!Number.isSafeInteger(busyTimeoutMs) || busyTimeoutMs < 0 || busyTimeoutMs > 0x7fffffff) {
    throw invalidArgument('busyTimeoutMs', 'a non-negative integer number of milliseconds', busyTimeoutMs);
  }
  if (typeof detectDeadNodes !== 'boolean') {
    throw invalidArgument('detectDeadNodes', 'a boolean', detectDeadNodes);
  }
  return { path, clock, synchronous, busyTimeoutMs, detectDeadNodes };
}

export { checkFilter } from './filter.js';
export type { CheckedFilter } from './filter.js';
