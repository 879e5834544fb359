/**
 * The memory store's bulk and maintenance transitions (cancel, retry, delete, heartbeat, rescue,
 * stage, prune) as functions over its JobOps: each runs inside one store step (see memory.ts),
 * which makes it atomic and delivers its events once it commits. Arguments are checked by the
 * caller, except where noted.
 */
import { invalidArgument } from '../runtime/validate.js';
import type { JobOps } from './memory-ops.js';
import type { FinishRow } from './memory-history.js';
import { isFinal, seqOf } from './memory-tables.js';
import { assertIntegerMs, checkStates } from './memory-validate.js';
import type {
  CancelOutcome,
  HeartbeatResult,
  JobError,
  JobRecord,
  JobState,
  Lease,
  LeaseRef,
} from './types.js';

type TimeKey = readonly [time: number, seq: number];

/** Cancels queued jobs at once (cascading) and asks executing ones to stop; see CancelOutcome. */
export function cancelJobs(t: JobOps, ids: readonly string[]): CancelOutcome[] {
  return ids.map((id): CancelOutcome => {
    const seq = seqOf(id);
    const prev = seq === undefined ? undefined : t.bySeq(seq);
    if (seq === undefined || prev === undefined) return 'not_found';
    if (isFinal(prev.state)) return 'unchanged';
    if (prev.state === 'executing') {
      if (!prev.cancelRequested) {
        t.move(seq, prev, { cancelRequested: true });
        t.events.push(Object.freeze({ type: 'cancel_requested', id }));
      }
      return 'cancelling';
    }
    t.end(seq, prev, 'cancelled');
    return 'cancelled';
  });
}

/** Final jobs → available (or waiting on unfinished parents); a fresh budget when exhausted. */
export function retryJobs(t: JobOps, ids: readonly string[]): JobRecord[] {
  const out: JobRecord[] = [];
  for (const id of ids) {
    const seq = seqOf(id);
    const prev = seq === undefined ? undefined : t.bySeq(seq);
    if (seq === undefined || prev === undefined || !isFinal(prev.state)) continue;
    const pending = prev.dependsOn.some((p) => {
      const parent = t.byId(p);
      return parent !== undefined && !isFinal(parent.state);
    });
    const job = t.move(seq, prev, {
      state: pending ? 'waiting' : 'available',
      runAt: t.now,
      attempt: prev.attempt >= prev.maxAttempts ? 0 : prev.attempt,
      finishedAt: null,
      cancelRequested: false,
      result: null,
      progress: null,
    });
    t.woke(job);
    out.push(job);
  }
  return out;
}

/** Deletes jobs that are not executing; an unfinished parent's waiting dependants are cancelled. */
export function deleteJobs(t: JobOps, ids: readonly string[]): number {
  let n = 0;
  for (const id of ids) {
    const seq = seqOf(id);
    const job = seq === undefined ? undefined : t.bySeq(seq);
    if (seq === undefined || job === undefined || job.state === 'executing') continue;
    t.remove(seq, job);
    n++;
  }
  return n;
}

/** Renews held leases to `expiresAt`; reports lost leases and cancel requests. */
export function heartbeat(t: JobOps, leases: readonly LeaseRef[], expiresAt: number): HeartbeatResult[] {
  return leases.map(({ id, token }): HeartbeatResult => {
    const seq = seqOf(id);
    const job = seq === undefined ? undefined : t.bySeq(seq);
    if (seq === undefined || job === undefined || job.state !== 'executing' || job.lease?.token !== token) {
      return Object.freeze({ id, held: false, cancelRequested: job?.cancelRequested ?? false });
    }
    t.move(seq, job, { lease: Object.freeze({ ...(job.lease as Lease), expiresAt }) });
    return Object.freeze({ id, held: true, cancelRequested: job.cancelRequested });
  });
}

/**
 * Expired leases → available, or discarded (out of attempts), or cancelled (cancel asked); in
 * expiry order, then id. Walks every executing job: the store keeps them in a hash set (see
 * memory-tables.ts), and there are only as many as the workers run at once.
 */
export function rescueJobs(t: JobOps): JobRecord[] {
  const now = t.now;
  const expired: [seq: number, job: JobRecord][] = [];
  for (const [seq] of t.running.toList()) {
    const job = t.bySeq(seq) as JobRecord;
    // A lease is held while now < expiresAt.
    if ((job.lease as Lease).expiresAt <= now) expired.push([seq, job]);
  }
  expired.sort(([a, x], [b, y]) => (x.lease as Lease).expiresAt - (y.lease as Lease).expiresAt || a - b);
  return expired.map(([seq, prev]) => {
    const lease = prev.lease as Lease;
    const err: JobError = Object.freeze({
      attempt: prev.attempt,
      at: now,
      name: 'LeaseExpiredError',
      message: `the lease of ${JSON.stringify(lease.owner)} expired at ${lease.expiresAt} without being renewed`,
    });
    const errors = Object.freeze([...prev.errors, err]);
    if (prev.cancelRequested) return t.end(seq, prev, 'cancelled', prev.result, errors);
    if (prev.attempt >= prev.maxAttempts) return t.end(seq, prev, 'discarded', prev.result, errors);
    const job = t.move(seq, prev, { state: 'available', lease: null, errors });
    t.woke(job);
    return job;
  });
}

/** Due scheduled/retryable jobs → available (at most `limit`, checked here); reports when the next is due. */
export function stageJobs(t: JobOps, limit: number): { staged: number; nextRunAt: number | null } {
  if (typeof limit !== 'number' || !Number.isInteger(limit) || limit < 1) {
    throw invalidArgument('limit', 'a positive integer', limit);
  }
  let staged = 0;
  let key = t.timed.first() as TimeKey | undefined;
  while (key !== undefined && key[0] <= t.now && staged < limit) {
    const job = t.move(key[1], t.bySeq(key[1]) as JobRecord, { state: 'available' });
    t.woke(job);
    staged++;
    key = t.timed.first() as TimeKey | undefined;
  }
  return { staged, nextRunAt: key === undefined ? null : key[0] };
}

/** Deletes up to `limit` final jobs in `states` that finished before `before`, oldest first (checks `opts`). */
export function pruneJobs(
  t: JobOps,
  opts: { before: number; states: readonly JobState[]; limit: number },
): number {
  if (typeof opts !== 'object' || opts === null)
    throw invalidArgument('opts', 'a prune options object', opts);
  assertIntegerMs('before', opts.before, 0);
  const states = checkStates('states', opts.states);
  states.forEach((s, i) => {
    if (!isFinal(s))
      throw invalidArgument(`states[${i}]`, 'a final state (completed, discarded, cancelled)', s);
  });
  if (typeof opts.limit !== 'number' || !Number.isInteger(opts.limit) || opts.limit < 0) {
    throw invalidArgument('limit', 'a non-negative integer', opts.limit);
  }
  const wanted = new Set(states);
  const log = t.finishes;
  let n = 0;
  let key = log.first();
  while (key !== undefined && key[0] < opts.before && n < opts.limit) {
    const chunk = key;
    const next = log.next(chunk);
    const rows = log.take(chunk);
    const kept: FinishRow[] = [];
    for (const row of rows) {
      const seq = row[1];
      const job = t.bySeq(seq);
      // A stale row (the job was deleted, or retried and maybe finished again since) is dropped.
      if (job === undefined || job.finishedAt !== chunk[0] || !isFinal(job.state)) continue;
      if (n < opts.limit && wanted.has(job.state)) {
        t.remove(seq, job);
        n++;
      } else kept.push(row);
    }
    log.putBack(chunk, kept);
    t.onUndo(() => {
      log.take(chunk);
      log.putBack(chunk, rows);
    });
    key = next;
  }
  return n;
}
