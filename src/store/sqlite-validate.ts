/**
 * Argument checks of the SQLite store that the memory store's validation module does not cover
 * (its factory's options, listJobs filters), with the same message style: each names the option,
 * what was expected and the value given.
 */
import { assertFunction, invalidArgument } from '../runtime/validate.js';
import { assertState, checkStates } from './memory-validate.js';
import type { SynchronousMode } from './sqlite-db.js';
import { idOf } from './sqlite-rows.js';
import type { JobFilter, JobState } from './types.js';

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

/** A listJobs filter after checking. */
export interface CheckedFilter {
  readonly states: readonly JobState[] | undefined;
  readonly queue?: string;
  readonly kind?: string;
  /** The `after` cursor as a rowid. */
  readonly after?: number;
  readonly limit: number;
  readonly order: 'asc' | 'desc';
}

/** A checked listJobs filter (same rules and messages as the memory store's). */
export function checkFilter(filter: JobFilter): CheckedFilter {
  if (typeof filter !== 'object' || filter === null) {
    throw invalidArgument('filter', 'a job filter object', filter);
  }
  let states: readonly JobState[] | undefined;
  if (filter.state !== undefined) {
    if (typeof filter.state === 'string') {
      assertState('filter.state', filter.state);
      states = [filter.state];
    } else {
      states = [...new Set(checkStates('filter.state', filter.state))];
    }
  }
  const { queue, kind, after } = filter;
  if (queue !== undefined && typeof queue !== 'string')
    throw invalidArgument('filter.queue', 'a string', queue);
  if (kind !== undefined && typeof kind !== 'string') throw invalidArgument('filter.kind', 'a string', kind);
  const limit = filter.limit ?? 100;
  if (typeof limit !== 'number' || !Number.isInteger(limit) || limit < 0) {
    throw invalidArgument('filter.limit', 'a non-negative integer', limit);
  }
  const order = filter.order ?? 'asc';
  if (order !== 'asc' && order !== 'desc') throw invalidArgument('filter.order', '"asc" or "desc"', order);
  let from: number | undefined;
  if (after !== undefined) {
    from = typeof after === 'string' ? idOf(after) : undefined;
    if (from === undefined) throw invalidArgument('filter.after', 'a job id from this store', after);
  }
  return {
    states,
    ...(queue === undefined ? {} : { queue }),
    ...(kind === undefined ? {} : { kind }),
    ...(from === undefined ? {} : { after: from }),
    limit,
    order,
  };
}
