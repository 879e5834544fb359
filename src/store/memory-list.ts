/**
 * The memory store's listing: a walk of the id-ordered jobs table from the keyset cursor, in
 * either direction, keeping the jobs the filter matches (cost: the jobs walked, matching or not).
 */
import { invalidArgument } from '../runtime/validate.js';
import type { JobTables } from './memory-tables.js';
import { seqOf } from './memory-tables.js';
import { assertState, checkStates } from './memory-validate.js';
import type { JobFilter, JobRecord, JobState } from './types.js';

/** listJobs over the id-ordered jobs table (see JobFilter). */
export function listJobs(t: JobTables, filter: JobFilter): JobRecord[] {
  if (typeof filter !== 'object' || filter === null)
    throw invalidArgument('filter', 'a job filter object', filter);
  let states: ReadonlySet<JobState> | undefined;
  if (filter.state !== undefined) {
    if (typeof filter.state === 'string') assertState('filter.state', filter.state);
    states = new Set(
      typeof filter.state === 'string' ? [filter.state] : checkStates('filter.state', filter.state),
    );
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
    from = typeof after === 'string' ? seqOf(after) : undefined;
    if (from === undefined) throw invalidArgument('filter.after', 'a job id from this store', after);
  }
  const out: JobRecord[] = [];
  const step = order === 'asc' ? (k: number) => t.jobs.next(k) : (k: number) => t.jobs.prev(k);
  let key = (from === undefined ? (order === 'asc' ? t.jobs.first() : t.jobs.last()) : step(from)) as
    number | undefined;
  while (key !== undefined && out.length < limit) {
    const job = t.bySeq(key) as JobRecord;
    if (
      (states === undefined || states.has(job.state)) &&
      (queue === undefined || job.queue === queue) &&
      (kind === undefined || job.kind === kind)
    ) {
      out.push(job);
    }
    key = step(key) as number | undefined;
  }
  return out;
}
