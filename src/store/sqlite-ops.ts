/**
 * The SQLite store's statements over one connection, and the transitions a worker makes under a
 * lease (complete, error, snooze, cancel, release, progress) with the dependency graph they drive
 * (waking and cascading). Every method runs inside the write transaction the store opened for the
 * call (see sqlite-group.ts), so a multi-row step — a completion that wakes dependants, a discard
 * that cancels them — commits all or nothing. Insert and fetch are in sqlite-take.ts.
 *
 * Statements are prepared once per connection and cached by their text.
 */
import type { Statement } from 'better-sqlite3';
import type { Db } from './sqlite-db.js';
import { idOf, rowOf, toRecord } from './sqlite-rows.js';
import type { JobRow, Step } from './sqlite-rows.js';
import type { CompletionResult, JobError, JobRecord, JobState, LeaseRef, TransitionResult } from './types.js';

/** Columns a transition may change. */
type Column =
  | 'state'
  | 'attempt'
  | 'run_at'
  | 'attempted_at'
  | 'finished_at'
  | 'errors'
  | 'result'
  | 'progress'
  | 'lease_owner'
  | 'lease_token'
  | 'lease_expires_at'
  | 'cancel_requested';

/** New values for some columns of a job row. */
export type Changes = Partial<Record<Column, string | number | null>>;

/** The columns that clear a lease. */
export const NO_LEASE = Object.freeze({ lease_owner: null, lease_token: null, lease_expires_at: null });

type Failure = Extract<TransitionResult, { ok: false }>;
const STALE: Failure = Object.freeze({ ok: false, reason: 'stale' });
const NOT_FOUND: Failure = Object.freeze({ ok: false, reason: 'not_found' });

/** How often a fetch rewrites its owner's node record. */
const NODE_REFRESH_MS = 60_000;

const PENDING: ReadonlySet<JobState> = new Set<JobState>(['scheduled', 'available', 'waiting', 'retryable']);

/** The transitions, over a connection whose write transaction the caller holds. */
export class JobSql {
  readonly db: Db;
  /** This process, for node records: leases taken here are held by (host, pid). */
  readonly host: string;
  readonly pid: number;
  readonly #cache = new Map<string, Statement>();
  /** Queues known to be in steward_queues (rows there are never deleted): added after a commit. */
  readonly knownQueues = new Set<string>();
  /** owner → when this connection last wrote its node record. */
  readonly #nodes = new Map<string, number>();

  constructor(db: Db, host: string, pid: number) {
    this.db = db;
    this.host = host;
    this.pid = pid;
  }

  /** The prepared statement for `sql` (rows as objects). */
  q(sql: string): Statement {
    let stmt = this.#cache.get(sql);
    if (stmt === undefined) this.#cache.set(sql, (stmt = this.db.prepare(sql)));
    return stmt;
  }

  /** The prepared statement for `sql`, returning rows as arrays (see `rowOf`). */
  raw(sql: string): Statement {
    const key = `raw:${sql}`;
    let stmt = this.#cache.get(key);
    if (stmt === undefined) this.#cache.set(key, (stmt = this.db.prepare(sql).raw()));
    return stmt;
  }

  /** The prepared statement for `sql`, returning each row's first column only. */
  one(sql: string): Statement {
    const key = `pluck:${sql}`;
    let stmt = this.#cache.get(key);
    if (stmt === undefined) this.#cache.set(key, (stmt = this.db.prepare(sql).pluck()));
    return stmt;
  }

  /**
   * Records that `owner` holds leases from this process (host, pid), for rescueJobs to tell when
   * it is gone. A fetch writes it only when this connection has not for a minute (one write per
   * fetch would dirty one more page per commit); a heartbeat (`always`) refreshes it every time.
   */
  seen(owner: string, now: number, always: boolean): void {
    const last = this.#nodes.get(owner);
    if (!always && last !== undefined && Math.abs(now - last) < NODE_REFRESH_MS) return;
    this.q(
      `INSERT INTO steward_nodes (owner, host, pid, started_at, last_seen_at) VALUES (?, ?, ?, ?, ?)
         ON CONFLICT (owner, host, pid) DO UPDATE SET last_seen_at = excluded.last_seen_at`,
    ).run(owner, this.host, this.pid, now, now);
    this.#nodes.set(owner, now);
  }

  /** Raises the `job_id` counter past a deleted id, so no later insert reuses it. */
  forgetIds(maxDeleted: number): void {
    this.q("UPDATE steward_meta SET value = max(value, ?) WHERE key = 'job_id'").run(maxDeleted);
  }

  /** The row of job `id`, or undefined. */
  row(id: number): JobRow | undefined {
    const a = this.raw('SELECT * FROM steward_jobs WHERE id = ?').get(id) as unknown[] | undefined;
    return a === undefined ? undefined : rowOf(a);
  }

  /** Applies `changes` to the job `row` names (counting a change of state) and returns the new row. */
  move(s: Step, row: Pick<JobRow, 'id' | 'queue' | 'state'>, changes: Changes): JobRow {
    const cols = Object.keys(changes) as Column[];
    const sql = `UPDATE steward_jobs SET ${cols.map((c) => `${c} = ?`).join(', ')} WHERE id = ? RETURNING *`;
    const next = rowOf(this.raw(sql).get(...cols.map((c) => changes[c]), row.id) as unknown[]);
    s.tally(row.queue, row.state, next.state);
    return next;
  }

  /**
   * Ends a job in a final state: a completed one wakes its waiting dependants, a discarded or
   * cancelled one cancels them (cascading).
   */
  end(s: Step, row: JobRow, state: JobState, changes: Changes = {}): JobRecord {
    const next = this.move(s, row, { ...changes, ...NO_LEASE, state, finished_at: s.now });
    this.#afterEnd(s, row.id, state);
    return toRecord(next);
  }

  #afterEnd(s: Step, id: number, state: JobState): void {
    if (state === 'completed') this.wakeChildren(s, id);
    else this.cascade(s, id);
  }

  /** Runs `fn` on the job `lease` holds; a stale or unknown lease changes nothing. */
  holding(lease: LeaseRef, fn: (row: JobRow) => JobRecord): TransitionResult {
    const id = idOf(lease.id);
    const row = id === undefined ? undefined : this.row(id);
    if (row === undefined) return NOT_FOUND;
    if (row.state !== 'executing' || row.lease_token !== lease.token) return STALE;
    return Object.freeze({ ok: true, job: fn(row) });
  }

  /** executing → completed with `result` (or cancelled when a cancel was asked for), in one statement. */
  complete(s: Step, lease: LeaseRef, result: string | null): TransitionResult {
    const id = idOf(lease.id);
    if (id === undefined) return NOT_FOUND;
    const row = this.q(
      `UPDATE steward_jobs
          SET state = CASE cancel_requested WHEN 1 THEN 'cancelled' ELSE 'completed' END,
              result = CASE cancel_requested WHEN 1 THEN result ELSE ? END,
              finished_at = ?, lease_owner = NULL, lease_token = NULL, lease_expires_at = NULL
        WHERE id = ? AND state = 'executing' AND lease_token = ?
        RETURNING *`,
    ).get(result, s.now, id, lease.token) as JobRow | undefined;
    if (row === undefined) {
      return this.one('SELECT 1 FROM steward_jobs WHERE id = ?').get(id) === undefined ? NOT_FOUND : STALE;
    }
    s.tally(row.queue, 'executing', row.state);
    this.#afterEnd(s, id, row.state);
    return Object.freeze({ ok: true, job: toRecord(row) });
  }

  /**
   * Many completions (see `complete`) in one UPDATE over the batch as JSON, then one lookup for
   * which of them have dependants: per-statement cost, not the row work, is most of a completion's
   * price in better-sqlite3, so a tick's completions share statements. A batch naming one job twice
   * takes the one-at-a-time path, which answers each in order exactly as `complete` does.
   */
  completeMany(
    s: Step,
    items: readonly { readonly lease: LeaseRef; readonly result: string | null }[],
  ): CompletionResult[] {
    const n = items.length;
    const ids = new Array<number | undefined>(n);
    const seen = new Set<number>();
    const batch: (number | string | null)[][] = [];
    for (let i = 0; i < n; i++) {
      const { lease, result } = items[i] as { lease: LeaseRef; result: string | null };
      const id = idOf(lease.id);
      ids[i] = id;
      if (id === undefined) continue;
      if (seen.has(id)) return items.map((c) => completion(this.complete(s, c.lease, c.result)));
      seen.add(id);
      batch.push([id, lease.token, result]);
    }
    // Only what changed comes back (see Store.completeJobs): a whole row per job cost more than the update.
    const rows = this.raw(
      `UPDATE steward_jobs
          SET state = CASE cancel_requested WHEN 1 THEN 'cancelled' ELSE 'completed' END,
              result = CASE cancel_requested WHEN 1 THEN result ELSE c.res END,
              finished_at = ?, lease_owner = NULL, lease_token = NULL, lease_expires_at = NULL
         FROM (SELECT value ->> 0 AS cid, value ->> 1 AS tok, value ->> 2 AS res FROM json_each(?)) AS c
        WHERE steward_jobs.id = c.cid AND steward_jobs.state = 'executing' AND steward_jobs.lease_token = c.tok
        RETURNING steward_jobs.id, steward_jobs.queue, steward_jobs.state`,
    ).all(s.now, JSON.stringify(batch)) as [number, string, 'completed' | 'cancelled'][];
    const stateOf = new Map<number, 'completed' | 'cancelled'>();
    const ended: number[] = [];
    for (const [id, queue, state] of rows) {
      stateOf.set(id, state);
      s.tally(queue, 'executing', state);
      if (state === 'completed') ended.push(id);
      else this.cascade(s, id);
    }
    if (ended.length > 0) {
      const parents = this.one(
        'SELECT DISTINCT parent_id FROM steward_deps WHERE parent_id IN (SELECT value FROM json_each(?))',
      ).all(JSON.stringify(ended)) as number[];
      for (const id of parents) this.wakeChildren(s, id);
    }
    const out = new Array<CompletionResult>(n);
    for (let i = 0; i < n; i++) {
      const id = ids[i];
      const state = id === undefined ? undefined : stateOf.get(id);
      if (state !== undefined) out[i] = { ok: true, state, finishedAt: s.now };
      else if (id === undefined) out[i] = NOT_FOUND;
      else
        out[i] =
          this.one('SELECT 1 FROM steward_jobs WHERE id = ?').get(id) === undefined ? NOT_FOUND : STALE;
    }
    return out;
  }

  /** executing → retryable at `retryAt`, or discarded (retryAt null or attempts used up), or cancelled when asked. */
  fail(s: Step, lease: LeaseRef, err: JobError, retryAt: number | null): TransitionResult {
    return this.holding(lease, (row) => {
      const errors = appendError(row, err);
      if (row.cancel_requested === 1) return this.end(s, row, 'cancelled', { errors });
      // The store enforces the budget too, so no job ever runs past maxAttempts.
      if (retryAt === null || row.attempt >= row.max_attempts)
        return this.end(s, row, 'discarded', { errors });
      const next = this.move(s, row, { ...NO_LEASE, state: 'retryable', run_at: retryAt, errors });
      s.woke(next.queue, 'retryable', retryAt);
      return toRecord(next);
    });
  }

  /** executing → scheduled at `runAt` (available when not in the future), the attempt not counted. */
  snooze(s: Step, lease: LeaseRef, runAt: number): TransitionResult {
    return this.holding(lease, (row) => {
      if (row.cancel_requested === 1) return this.end(s, row, 'cancelled');
      const state: JobState = runAt > s.now ? 'scheduled' : 'available';
      const next = this.move(s, row, { ...NO_LEASE, state, run_at: runAt, attempt: row.attempt - 1 });
      s.woke(next.queue, state, runAt);
      return toRecord(next);
    });
  }

  /** executing → cancelled, keeping `err` as the attempt's error; cascades to dependants. */
  cancelRunning(s: Step, lease: LeaseRef, err: JobError): TransitionResult {
    return this.holding(lease, (row) => this.end(s, row, 'cancelled', { errors: appendError(row, err) }));
  }

  /** executing → available, the attempt not counted (or cancelled when a cancel was asked for). */
  release(s: Step, lease: LeaseRef): TransitionResult {
    return this.holding(lease, (row) => {
      if (row.cancel_requested === 1) return this.end(s, row, 'cancelled');
      const next = this.move(s, row, { ...NO_LEASE, state: 'available', attempt: row.attempt - 1 });
      s.woke(next.queue, 'available', next.run_at);
      return toRecord(next);
    });
  }

  /** Stores a running job's progress (JSON text); false for a stale or unknown lease. */
  progress(lease: LeaseRef, text: string): boolean {
    const id = idOf(lease.id);
    if (id === undefined) return false;
    return (
      this.q(
        "UPDATE steward_jobs SET progress = ? WHERE id = ? AND state = 'executing' AND lease_token = ?",
      ).run(text, id, lease.token).changes > 0
    );
  }

  /** Cancels the waiting dependants of job `id`, and theirs, breadth first. */
  cascade(s: Step, id: number): void {
    const pick = this.one(
      `SELECT j.id FROM steward_deps d JOIN steward_jobs j ON j.id = d.child_id
        WHERE d.parent_id = ? AND j.state = 'waiting'`,
    );
    const cancel = this.one(
      "UPDATE steward_jobs SET state = 'cancelled', finished_at = ? WHERE id = ? AND state = 'waiting' RETURNING queue",
    );
    const queue = [id];
    const ids: string[] = [];
    for (let i = 0; i < queue.length; i++) {
      for (const child of pick.all(queue[i]) as number[]) {
        const q = cancel.get(s.now, child) as string | undefined;
        if (q === undefined) continue;
        s.tally(q, 'waiting', 'cancelled');
        ids.push(String(child));
        queue.push(child);
      }
    }
    // Nobody else sees these jobs end (no worker held them), so tell the subscribers.
    if (ids.length > 0) s.events.push(Object.freeze({ type: 'cascade_cancelled', ids: Object.freeze(ids) }));
  }

  /** Makes waiting dependants of job `id` whose parents have all completed (or are gone) runnable. */
  wakeChildren(s: Step, id: number): void {
    const children = this.q(
      `SELECT j.id, j.queue, j.run_at, j.depends_on FROM steward_deps d JOIN steward_jobs j ON j.id = d.child_id
        WHERE d.parent_id = ? AND j.state = 'waiting'`,
    ).all(id) as Pick<JobRow, 'id' | 'queue' | 'run_at' | 'depends_on'>[];
    for (const child of children) {
      const parents = JSON.parse(child.depends_on ?? '[]') as string[];
      const state = this.readiness(s, parents, child.run_at);
      if (state === 'waiting') continue;
      const row = { id: child.id, queue: child.queue, state: 'waiting' as const };
      this.move(s, row, state === 'cancelled' ? { state, finished_at: s.now } : { state });
      s.woke(child.queue, state, child.run_at);
    }
  }

  /** The state a job with these parents and runAt starts in (a dead parent cancels it). */
  readiness(s: Step, parents: readonly string[], runAt: number): JobState {
    const stateOf = this.one('SELECT state FROM steward_jobs WHERE id = ?');
    let waiting = false;
    for (const parent of parents) {
      const id = idOf(parent);
      const state = (id === undefined ? undefined : (stateOf.get(id) as JobState | undefined)) ?? 'completed';
      if (state === 'discarded' || state === 'cancelled') return 'cancelled';
      if (state !== 'completed') waiting = true;
    }
    return waiting ? 'waiting' : runAt > s.now ? 'scheduled' : 'available';
  }

  /** Deletes a job and its dependency rows; an unfinished job's waiting dependants are cancelled. */
  remove(s: Step, row: Pick<JobRow, 'id' | 'queue' | 'state'>): void {
    if (PENDING.has(row.state)) this.cascade(s, row.id);
    s.tally(row.queue, row.state, null);
    this.forgetIds(row.id);
    this.q('DELETE FROM steward_jobs WHERE id = ?').run(row.id);
    this.q('DELETE FROM steward_deps WHERE parent_id = ?').run(row.id);
    this.q('DELETE FROM steward_deps WHERE child_id = ?').run(row.id);
  }
}

/** The row's errors column with `err` appended (JSON text, without parsing the earlier ones). */
function appendError(row: Pick<JobRow, 'errors'>, err: JobError): string {
  const one = JSON.stringify(err);
  return row.errors === null ? `[${one}]` : `${row.errors.slice(0, -1)},${one}]`;
}

/** A single completion's answer in the shape `completeJobs` gives. */
function completion(r: TransitionResult): CompletionResult {
  if (!r.ok) return r;
  return {
    ok: true,
    state: r.job.state as 'completed' | 'cancelled',
    finishedAt: r.job.finishedAt as number,
  };
}
