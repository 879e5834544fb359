/** The listJobs filter check shared by the stores. */
import { invalidArgument } from '../runtime/validate.js';
import { assertState, checkStates } from './memory-validate.js';
import type { JobFilter, JobState } from './types.js';

/** A listJobs filter after checking. */
export interface CheckedFilter {
  readonly states: readonly JobState[] | undefined;
  readonly queue?: string;
  readonly kind?: string;
  /** The `after` cursor as the store's integer id. */
  readonly after?: number;
  readonly limit: number;
  readonly order: 'asc' | 'desc';
}

/**
 * Checks a listJobs filter, the same way for every store (one set of rules and messages);
 * `idOf` turns a job id into the store's integer position for the `after` cursor.
 */
export function checkFilter(filter: JobFilter, idOf: (id: string) => number | undefined): CheckedFilter {
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
