/**
 * The SQLite store's bulk and maintenance transitions (cancel, retry, delete, heartbeat, rescue,
 * stage, prune) and its reads (list, count, queues), as functions over a JobSql. Each transition
 * runs inside the write transaction the store opened for its call; arguments are checked by the
 * caller.
 *
 * Rescue also takes back, before their leases run out, the jobs of a process that is gone: every
 * fetch records its owner's process (host, pid) in `steward_nodes`, and every heartbeat refreshes
 * it, so a lease whose owner's only processes ran on this host and no longer exist cannot be
 * renewed by anyone and is rescued at once. (A stale heartbeat alone proves nothing a lease does
 * not: the heartbeat renews the lease, so a node silent for longer than the lease already has its
 * leases expired.)
 */
import type { JobSql } from './sqlite-ops.js';
import { NO_LEASE } from './sqlite-ops.js';
import { errorsOf, idOf, isFinal, toRecord } from './sqlite-rows.js';
import type { JobRow, Step } from './sqlite-rows.js';
import type { CheckedFilter } from './sqlite-validate.js';
import type {
  CancelOutcome,
  HeartbeatResult,
  JobCounts,
  JobError,
  JobRecord,
  JobState,
  LeaseRef,
  QueueInfo,
} from './types.js';

/** The maintenance statements whose plans matter as the table grows (see PLANNED_TAKE). */
export const PLANNED_ADMIN = {
  mayRescue: `SELECT 1 FROM steward_jobs INDEXED BY steward_jobs_lease
               WHERE state = 'executing' AND lease_expires_at <= ? LIMIT 1`,
  expired: `SELECT * FROM steward_jobs INDEXED BY steward_jobs_lease
             WHERE state = 'executing' AND lease_expires_at <= ? ORDER BY lease_expires_at, id`,
  held: `SELECT * FROM steward_jobs INDEXED BY steward_jobs_lease
          WHERE state = 'executing' AND lease_owner = ? ORDER BY lease_expires_at, id`,
  nextDue: `SELECT min(run_at) FROM steward_jobs INDEXED BY steward_jobs_due
             WHERE state IN ('scheduled', 'retryable')`,
  due: `SELECT id, queue, state, run_at FROM steward_jobs INDEXED BY steward_jobs_due
         WHERE state IN ('scheduled', 'retryable') AND run_at <= ?
         ORDER BY run_at, id LIMIT ?`,
  prune: `SELECT id, queue, state FROM steward_jobs INDEXED BY steward_jobs_finished
           WHERE state IN ('completed', 'discarded', 'cancelled') AND finished_at < ? AND state IN (?, ?, ?)
           ORDER BY finished_at, id LIMIT ?`,
} as const;

/** Cancels queued jobs at once (cascading) and asks executing ones to stop; see CancelOutcome. */
export function cancelJobs(sql: JobSql, s: Step, ids: readonly string[]): CancelOutcome[] {
  return ids.map((id): CancelOutcome => {
    const n = idOf(id);
    const row = n === undefined ? undefined : sql.row(n);
    if (row === undefined) return 'not_found';
    if (isFinal(row.state)) return 'unchanged';
    if (row.state === 'executing') {
      if (row.cancel_requested === 0) {
        sql.move(s, row, { cancel_requested: 1 });
        s.events.push(Object.freeze({ type: 'cancel_requested', id }));
      }
      return 'cancelling';
    }
    sql.end(s, row, 'cancelled');
    return 'cancelled';
  });
}

/** Final jobs → available (or waiting on unfinished parents); a fresh budget when exhausted. */
export function retryJobs(sql: JobSql, s: Step, ids: readonly string[]): JobRecord[] {
  const out: JobRecord[] = [];
  const stateOf = sql.one('SELECT state FROM steward_jobs WHERE id = ?');
  for (const id of ids) {
    const n = idOf(id);
    const row = n === undefined ? undefined : sql.row(n);
    if (row === undefined || !isFinal(row.state)) continue;
    const parents = row.depends_on === null ? [] : (JSON.parse(row.depends_on) as string[]);
    const pending = parents.some((p) => {
      const pn = idOf(p);
      const state = pn === undefined ? undefined : (stateOf.get(pn) as JobState | undefined);
      return state !== undefined && !isFinal(state);
    });
    const state: JobState = pending ? 'waiting' : 'available';
    const next = sql.move(s, row, {
      state,
      run_at: s.now,
      attempt: row.attempt >= row.max_attempts ? 0 : row.attempt,
      finished_at: null,
      cancel_requested: 0,
      result: null,
      progress: null,
    });
    s.woke(next.queue, state, next.run_at);
    out.push(toRecord(next));
  }
  return out;
}

/** Deletes jobs that are not executing; an unfinished parent's waiting dependants are cancelled. */
export function deleteJobs(sql: JobSql, s: Step, ids: readonly string[]): number {
  let deleted = 0;
  const stateOf = sql.q('SELECT id, queue, state FROM steward_jobs WHERE id = ?');
  for (const id of ids) {
    const n = idOf(id);
    const row =
      n === undefined ? undefined : (stateOf.get(n) as Pick<JobRow, 'id' | 'queue' | 'state'> | undefined);
    if (row === undefined || row.state === 'executing') continue;
    sql.remove(s, row);
    deleted++;
  }
  return deleted;
}

/** Renews held leases until `s.now + extendMs`; reports lost leases and cancel requests; refreshes node records. */
export function heartbeat(
  sql: JobSql,
  s: Step,
  leases: readonly LeaseRef[],
  extendMs: number,
): HeartbeatResult[] {
  const renew = sql.q(
    `UPDATE steward_jobs SET lease_expires_at = ?
      WHERE id = ? AND state = 'executing' AND lease_token = ?
      RETURNING cancel_requested, lease_owner`,
  );
  const cancelOf = sql.one('SELECT cancel_requested FROM steward_jobs WHERE id = ?');
  const owners = new Set<string>();
  const out = leases.map(({ id, token }): HeartbeatResult => {
    const n = idOf(id);
    const held =
      n === undefined
        ? undefined
        : (renew.get(s.now + extendMs, n, token) as
            { cancel_requested: number; lease_owner: string } | undefined);
    if (held === undefined) {
      const cancel = n === undefined ? undefined : (cancelOf.get(n) as number | undefined);
      return Object.freeze({ id, held: false, cancelRequested: cancel === 1 });
    }
    owners.add(held.lease_owner);
    return Object.freeze({ id, held: true, cancelRequested: held.cancel_requested === 1 });
  });
  for (const owner of owners) sql.seen(owner, s.now, true);
  return out;
}

/** A node record: an owner name used by process `pid` on `host`. */
interface NodeRow {
  readonly owner: string;
  readonly host: string;
  readonly pid: number;
}

/**
 * The owners whose every recorded process ran on this host and has exited, and those dead
 * records (a read; rescue re-checks inside its transaction).
 */
export function goneNodes(sql: JobSql): { owners: Set<string>; dead: NodeRow[] } {
  const rows = sql.q('SELECT owner, host, pid FROM steward_nodes').all() as NodeRow[];
  const dead: NodeRow[] = [];
  const alive = new Set<string>();
  const owners = new Set<string>();
  for (const row of rows) {
    if (row.host === sql.host && row.pid !== sql.pid && !processExists(row.pid)) {
      dead.push(row);
      owners.add(row.owner);
    } else {
      alive.add(row.owner);
    }
  }
  for (const owner of alive) owners.delete(owner);
  return { owners, dead };
}

/** Whether a process with this pid exists (EPERM: it does, it just is not ours to signal). */
function processExists(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Whether rescueJobs has anything to do now (a read, so an idle lifeline takes no write lock). */
export function mayRescue(sql: JobSql, now: number, detectDeadNodes: boolean): boolean {
  const expired = sql.one(PLANNED_ADMIN.mayRescue).get(now);
  return expired !== undefined || (detectDeadNodes && goneNodes(sql).dead.length > 0);
}

/**
 * Expired leases (and, with `detectDeadNodes`, leases whose process is gone) → available, or
 * discarded (out of attempts), or cancelled (cancel asked), each with an error for the lost attempt.
 */
export function rescueJobs(sql: JobSql, s: Step, detectDeadNodes: boolean): JobRecord[] {
  const rows = sql.q(PLANNED_ADMIN.expired).all(s.now) as JobRow[];
  const out = rows.map((row) =>
    rescueOne(sql, s, row, `expired at ${row.lease_expires_at as number} without being renewed`),
  );
  if (!detectDeadNodes) return out;
  const { owners, dead } = goneNodes(sql);
  const held = sql.q(PLANNED_ADMIN.held);
  for (const owner of owners) {
    const pids = dead.filter((d) => d.owner === owner).map((d) => d.pid);
    const why = `was taken back: its process (pid ${pids.join(', ')}) on this host has exited`;
    for (const row of held.all(owner) as JobRow[]) out.push(rescueOne(sql, s, row, why));
  }
  const forget = sql.q('DELETE FROM steward_nodes WHERE owner = ? AND host = ? AND pid = ?');
  for (const d of dead) forget.run(d.owner, d.host, d.pid);
  return out;
}

function rescueOne(sql: JobSql, s: Step, row: JobRow, why: string): JobRecord {
  const err: JobError = {
    attempt: row.attempt,
    at: s.now,
    name: 'LeaseExpiredError',
    message: `the lease of ${JSON.stringify(row.lease_owner)} ${why}`,
  };
  const errors = JSON.stringify([...errorsOf(row), err]);
  if (row.cancel_requested === 1) return sql.end(s, row, 'cancelled', { errors });
  if (row.attempt >= row.max_attempts) return sql.end(s, row, 'discarded', { errors });
  const next = sql.move(s, row, { ...NO_LEASE, state: 'available', errors });
  s.woke(next.queue, 'available', next.run_at);
  return toRecord(next);
}

/** When the next scheduled or retryable job is due (null: none). */
export function nextDue(sql: JobSql): number | null {
  return sql.one(PLANNED_ADMIN.nextDue).get() as number | null;
}

/** Due scheduled/retryable jobs → available (at most `limit`), earliest first; reports when the next is due. */
export function stageJobs(sql: JobSql, s: Step, limit: number): { staged: number; nextRunAt: number | null } {
  const due = sql.q(PLANNED_ADMIN.due).all(s.now, limit) as Pick<
    JobRow,
    'id' | 'queue' | 'state' | 'run_at'
  >[];
  const stage = sql.q("UPDATE steward_jobs SET state = 'available' WHERE id = ?");
  for (const job of due) {
    stage.run(job.id);
    s.tally(job.queue, job.state, 'available');
    s.woke(job.queue, 'available', job.run_at);
  }
  return { staged: due.length, nextRunAt: nextDue(sql) };
}

/** Deletes up to `limit` final jobs in `states` that finished before `before`, oldest first. */
export function pruneJobs(
  sql: JobSql,
  s: Step,
  before: number,
  states: readonly JobState[],
  limit: number,
): number {
  if (states.length === 0 || limit === 0) return 0;
  const wanted = [0, 1, 2].map((i) => states[i] ?? states[0]);
  const rows = sql.q(PLANNED_ADMIN.prune).all(before, ...wanted, limit) as Pick<
    JobRow,
    'id' | 'queue' | 'state'
  >[];
  const drop = sql.q('DELETE FROM steward_jobs WHERE id = ?');
  const dropParent = sql.q('DELETE FROM steward_deps WHERE parent_id = ?');
  const dropChild = sql.q('DELETE FROM steward_deps WHERE child_id = ?');
  for (const { id, queue, state } of rows) {
    drop.run(id);
    dropParent.run(id);
    dropChild.run(id);
    s.tally(queue, state, null);
  }
  if (rows.length > 0) sql.forgetIds(Math.max(...rows.map((r) => r.id)));
  return rows.length;
}

/**
 * The partial indexes a listing by state can walk instead of the whole table: the states each
 * holds, and the term (exactly as in its WHERE) that lets SQLite use it. Completed jobs, the bulk
 * of a long-lived table, have none: a listing of them walks the table in id order, where they are
 * everywhere.
 */
const LIST_INDEXES: readonly { index: string; states: readonly JobState[]; term: string }[] = [
  {
    index: 'steward_jobs_state',
    states: ['scheduled', 'waiting', 'retryable', 'discarded', 'cancelled'],
    term: "state IN ('scheduled', 'waiting', 'retryable', 'discarded', 'cancelled')",
  },
  { index: 'steward_jobs_lease', states: ['executing'], term: "state = 'executing'" },
  { index: 'steward_jobs_fetch', states: ['available'], term: "state = 'available'" },
];

/** listJobs: a keyset page in id order, filtered (the filter checked by the caller). */
export function listJobs(sql: JobSql, f: CheckedFilter): JobRecord[] {
  const { order, limit } = f;
  const where: string[] = [];
  const args: (string | number)[] = [];
  let from = 'steward_jobs';
  if (f.states !== undefined) {
    const states = f.states;
    if (states.length === 0) return [];
    const walk = LIST_INDEXES.find((x) => states.every((s) => x.states.includes(s)));
    if (walk !== undefined) {
      from = `steward_jobs INDEXED BY ${walk.index}`;
      where.push(walk.term);
    }
    where.push(`state IN (${states.map(() => '?').join(', ')})`);
    args.push(...states);
  }
  if (f.queue !== undefined) {
    where.push('queue = ?');
    args.push(f.queue);
  }
  if (f.kind !== undefined) {
    where.push('kind = ?');
    args.push(f.kind);
  }
  if (f.after !== undefined) {
    where.push(order === 'asc' ? 'id > ?' : 'id < ?');
    args.push(f.after);
  }
  const clause = where.length === 0 ? '' : ` WHERE ${where.join(' AND ')}`;
  const rows = sql
    .q(`SELECT * FROM ${from}${clause} ORDER BY id ${order === 'asc' ? 'ASC' : 'DESC'} LIMIT ?`)
    .all(...args, limit) as JobRow[];
  return rows.map(toRecord);
}

/**
 * Adds up the count changes of the calls a group committed and writes them in one statement per
 * 100 (queue, state) pairs, inside the group's transaction.
 */
export function writeCounts(sql: JobSql, steps: readonly Step[]): void {
  const total = new Map<string, number>();
  for (const step of steps) {
    for (const [key, n] of step.counts) total.set(key, (total.get(key) ?? 0) + n);
  }
  const rows: (string | number)[][] = [];
  for (const [key, n] of total) {
    if (n === 0) continue;
    const at = key.indexOf('\0');
    rows.push([key.slice(0, at), key.slice(at + 1), n]);
  }
  for (let i = 0; i < rows.length; i += 100) {
    const chunk = rows.slice(i, i + 100);
    sql
      .q(
        `INSERT INTO steward_counts (queue, state, n) VALUES ${chunk.map(() => '(?, ?, ?)').join(', ')}
           ON CONFLICT (queue, state) DO UPDATE SET n = n + excluded.n`,
      )
      .run(...chunk.flat());
  }
}

/** Counts by queue and state, non-zero only (kept per group commit: no scan of the job table). */
export function countJobs(sql: JobSql): JobCounts {
  const rows = sql.q('SELECT queue, state, n FROM steward_counts WHERE n > 0').all() as {
    queue: string;
    state: JobState;
    n: number;
  }[];
  const out: JobCounts = {};
  for (const { queue, state, n } of rows) (out[queue] ??= {})[state] = n;
  return out;
}

/** Pauses or resumes a queue (registering it if new), announcing it. */
export function setPaused(sql: JobSql, s: Step, queue: string, paused: boolean): void {
  sql
    .q(
      'INSERT INTO steward_queues (name, paused) VALUES (?, ?) ON CONFLICT (name) DO UPDATE SET paused = excluded.paused',
    )
    .run(queue, paused ? 1 : 0);
  s.events.push(Object.freeze({ type: paused ? 'queue_paused' : 'queue_resumed', queue }));
}

/** Every queue with jobs or a pause state, by name (sorted as the memory store sorts). */
export function listQueues(sql: JobSql): QueueInfo[] {
  const rows = sql.q('SELECT name, paused FROM steward_queues').all() as { name: string; paused: number }[];
  return rows
    .map((r): QueueInfo => Object.freeze({ name: r.name, paused: r.paused === 1 }))
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}
