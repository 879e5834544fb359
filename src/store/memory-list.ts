/**
 * The memory store's reads: counts, queues, and the listing, a walk of the ids in use (IdPages)
 * from the keyset cursor in either direction, keeping the jobs the filter matches (cost: the ids
 * walked, matching or not, plus at most a page of deleted ids per page touched).
 */
import { invalidArgument } from '../runtime/validate.js';
import type { JobTables } from './memory-tables.js';
import { countsOf, seqOf } from './memory-tables.js';
import { assertState, checkStates } from './memory-validate.js';
import type { JobCounts, JobFilter, JobRecord, JobState, QueueInfo } from './types.js';

/** listJobs over the ids in use, in id order (see JobFilter). */
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
  if (limit === 0) return out;
  for (const seq of t.ids.seqs(from, order === 'desc')) {
    const job = t.bySeq(seq);
    if (
      job !== undefined &&
      (states === undefined || states.has(job.state)) &&
      (queue === undefined || job.queue === queue) &&
      (kind === undefined || job.kind === kind)
    ) {
      out.push(job);
      if (out.length === limit) break;
    }
  }
  return out;
}

/** Counts by queue and state, non-zero only. */
export function countJobs(t: JobTables): JobCounts {
  const out: JobCounts = {};
  for (const [queue, slot] of t.queues) {
    const counts = countsOf(slot.counts);
    if (Object.keys(counts).length > 0) out[queue] = counts;
  }
  return out;
}

/** Every queue the store has seen (jobs inserted or paused), by name. */
export function listQueues(t: JobTables): QueueInfo[] {
  return [...t.queues.values()]
    .map(({ name, paused }): QueueInfo => Object.freeze({ name, paused }))
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}
