/**
 * The memory store's reads: counts, queues, and the listing, a walk of the ids in use (IdPages)
 * from the keyset cursor in either direction, keeping the jobs the filter matches (cost: the ids
 * walked, matching or not, plus at most a page of deleted ids per page touched).
 */
import type { JobTables } from './memory-tables.js';
import { countsOf, seqOf } from './memory-tables.js';
import { checkFilter } from './filter.js';
import type { JobCounts, JobFilter, JobRecord, QueueInfo } from './types.js';

/** listJobs over the ids in use, in id order (see JobFilter). */
export function listJobs(t: JobTables, filter: JobFilter): JobRecord[] {
  const f = checkFilter(filter, seqOf);
  const { queue, kind, limit, order } = f;
  const states = f.states === undefined ? undefined : new Set(f.states);
  const out: JobRecord[] = [];
  if (limit === 0) return out;
  for (const seq of t.ids.seqs(f.after, order === 'desc')) {
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
