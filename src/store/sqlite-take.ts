/**
 * The SQLite store's two hot transitions, insert and fetch, as functions over a JobSql (inside the
 * write transaction the store opened for the call). A fetch picks a queue's next jobs with one seek
 * in the partial index of available jobs and leases each with a fresh token from the shared
 * counter, so the pick and the lease commit together: no other process can take the same job.
 */
import type { CheckedInsert } from './memory-validate.js';
import { initialState, insertPlanned, newRecord, planBatch } from './memory-plan.js';
import type { JobSql } from './sqlite-ops.js';
import { idOf, listText, rowOf, toRecord } from './sqlite-rows.js';
import type { JobRow, Step } from './sqlite-rows.js';
import type { FetchRequest, InsertResult, JobRecord, UniqueSpec } from './types.js';

/**
 * The statements whose plans matter as the table grows, exported so a test can check with
 * EXPLAIN QUERY PLAN that each walks its partial index. INDEXED BY pins the index, so neither
 * statistics (ANALYZE) nor a later index can move the planner to a sort over every row of a state
 * (it chose just that when the table had a full (state, id) index).
 */
export const PLANNED_TAKE = {
  /** A queue's next jobs, in fetch order: a seek in the index of available jobs, no sort. */
  fetch: `SELECT id, priority, run_at FROM steward_jobs INDEXED BY steward_jobs_fetch
           WHERE state = 'available' AND queue = ? ORDER BY priority, run_at, id LIMIT ?`,
  mayFetch: `SELECT 1 FROM steward_jobs INDEXED BY steward_jobs_fetch
              WHERE state = 'available' AND queue = ? LIMIT 1`,
  unique: `SELECT * FROM steward_jobs INDEXED BY steward_jobs_unique
            WHERE unique_key = ? AND state IN (SELECT value FROM json_each(?))
              AND (? IS NULL OR inserted_at > ?)
            ORDER BY id DESC LIMIT 1`,
} as const;

/** The newest job with this unique key that still counts (state in states, inside the period). */
export function duplicateOf(sql: JobSql, s: Step, spec: UniqueSpec): JobRow | undefined {
  return sql
    .q(PLANNED_TAKE.unique)
    .get(
      spec.key,
      JSON.stringify(spec.states),
      spec.periodMs,
      spec.periodMs === null ? 0 : s.now - spec.periodMs,
    ) as JobRow | undefined;
}

/** Inserts a checked batch (refs resolved, parents checked, cycles refused); results in input order. */
export function insertBatch(sql: JobSql, s: Step, items: readonly CheckedInsert[]): InsertResult[] {
  const exists = sql.one('SELECT 1 FROM steward_jobs WHERE id = ?');
  const plan = planBatch(items, (id) => {
    const n = idOf(id);
    return n !== undefined && exists.get(n) !== undefined;
  });
  // Plain rows go in by ROWS_PER_INSERT per statement: better-sqlite3's per-statement cost is
  // most of a single-row insert's price (measured: 1 row per statement ~68k rows/s, 50 ~170k).
  const rows = new Insertion(sql);
  // Above every id ever used: the stored ones, and the deleted ones (deletes raise the counter),
  // so an id is never reused. Inserts only read it: one page less to write per insert.
  const firstId = sql
    .one(
      "SELECT max(value, coalesce((SELECT max(id) FROM steward_jobs), 0)) FROM steward_meta WHERE key = 'job_id'",
    )
    .get() as number;
  let lastId = firstId;
  const link = sql.q('INSERT OR IGNORE INTO steward_deps (parent_id, child_id) VALUES (?, ?)');
  const registerQueue = sql.q('INSERT OR IGNORE INTO steward_queues (name) VALUES (?)');
  const queues = new Set<string>();
  const results = insertPlanned(items, plan, {
    duplicateOf(item, readsParents) {
      // A unique check or a parent's state reads the table: earlier rows of the batch must be in it.
      if (item.unique !== null || readsParents) rows.flush();
      const dup = item.unique === null ? undefined : duplicateOf(sql, s, item.unique);
      return dup === undefined ? undefined : toRecord(dup);
    },
    insert(item, dependsOn) {
      const state = initialState(item, dependsOn, s.now, (parents, runAt) =>
        sql.readiness(s, parents, runAt),
      );
      const rowid = ++lastId;
      const job = newRecord(String(rowid), item, state, dependsOn, s.now);
      rows.add(
        rowid,
        item.kind,
        item.queue,
        JSON.stringify(item.payload),
        state,
        item.priority,
        item.maxAttempts,
        item.runAt,
        s.now,
        job.finishedAt,
        item.timeoutMs,
        listText(dependsOn),
        job.uniqueKey,
        listText(item.tags),
      );
      for (const p of dependsOn) link.run(idOf(p), rowid);
      if (!queues.has(item.queue)) {
        queues.add(item.queue);
        // Queue rows are never deleted, so one this connection saw committed needs no second insert.
        if (!sql.knownQueues.has(item.queue)) {
          registerQueue.run(item.queue);
          s.registered.push(item.queue);
        }
      }
      s.tally(item.queue, null, state);
      s.woke(item.queue, state, item.runAt);
      return job;
    },
  });
  rows.flush();
  return results;
}

/** Rows per multi-row INSERT (14 parameters each, far below SQLite's parameter limit). */
const ROWS_PER_INSERT = 32;
const COLUMNS = `id, kind, queue, payload, state, priority, max_attempts, run_at, inserted_at,
                 finished_at, timeout_ms, depends_on, unique_key, tags`;
const ROW = '(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)';

/** Buffers job rows and writes them ROWS_PER_INSERT per statement. */
class Insertion {
  readonly #sql: JobSql;
  readonly #params: (string | number | null)[] = [];
  #count = 0;

  constructor(sql: JobSql) {
    this.#sql = sql;
  }

  /** Buffers one row (the 14 columns of COLUMNS, in order). */
  add(...row: (string | number | null)[]): void {
    for (const v of row) this.#params.push(v);
    if (++this.#count === ROWS_PER_INSERT) this.flush();
  }

  /** Writes the buffered rows. */
  flush(): void {
    if (this.#count === 0) return;
    const values = this.#count === 1 ? ROW : new Array<string>(this.#count).fill(ROW).join(', ');
    this.#sql.q(`INSERT INTO steward_jobs (${COLUMNS}) VALUES ${values}`).run(this.#params);
    this.#params.length = 0;
    this.#count = 0;
  }
}

/** Whether the queue may have a job to fetch (a read: an idle poll then takes no write lock). */
export function mayFetch(sql: JobSql, queue: string): boolean {
  return sql.one(PLANNED_TAKE.mayFetch).get(queue) !== undefined;
}

/** Takes up to `demand` available jobs of the queue, honouring pause and the rate limit. */
export function fetch(sql: JobSql, s: Step, r: FetchRequest): JobRecord[] {
  const paused = sql.one('SELECT paused FROM steward_queues WHERE name = ?').get(r.queue) as
    number | undefined;
  if (paused === undefined || paused === 1) return [];
  let demand = r.demand;
  const limit = r.rateLimit;
  if (limit !== undefined) {
    // A start at t counts while now - t < windowMs: the log keeps exactly those.
    sql.q('DELETE FROM steward_rate WHERE queue = ? AND at <= ?').run(r.queue, s.now - limit.windowMs);
    const used = sql
      .one('SELECT coalesce(sum(n), 0) FROM steward_rate WHERE queue = ?')
      .get(r.queue) as number;
    demand = Math.min(demand, limit.limit - used);
  }
  if (demand <= 0) return [];
  const token = sql.one("SELECT value FROM steward_meta WHERE key = 'lease_token'").get() as number;
  // One statement takes the whole batch (per-statement cost is most of a take's price): the k-th
  // job in fetch order gets token + k, so every fetch of a job still gets a token of its own.
  const rows = sql
    .raw(
      `UPDATE steward_jobs
          SET state = 'executing', attempt = attempt + 1, attempted_at = ?,
              lease_owner = ?, lease_token = ? + t.k, lease_expires_at = ?
         FROM (SELECT id AS tid, row_number() OVER (ORDER BY priority, run_at, id) AS k
                 FROM (${PLANNED_TAKE.fetch})) AS t
        WHERE steward_jobs.id = t.tid
        RETURNING *`,
    )
    .all(s.now, r.owner, token, s.now + r.leaseMs, r.queue, demand)
    .map((a) => rowOf(a as unknown[]));
  if (rows.length === 0) return [];
  // RETURNING's order is not the fetch order; the token is (token + k).
  rows.sort((a, b) => (a.lease_token as number) - (b.lease_token as number));
  const out = rows.map(toRecord);
  s.tally(r.queue, 'available', 'executing', out.length);
  sql.q("UPDATE steward_meta SET value = ? WHERE key = 'lease_token'").run(token + out.length);
  sql.seen(r.owner, s.now, false);
  if (limit !== undefined) {
    // Times never go backwards in the log (as in the memory store's), so it stays a sliding window.
    sql
      .q(
        `INSERT INTO steward_rate (queue, at, n)
         VALUES (@queue, max(@now, coalesce((SELECT max(at) FROM steward_rate WHERE queue = @queue), @now)), @n)
         ON CONFLICT (queue, at) DO UPDATE SET n = n + excluded.n`,
      )
      .run({ queue: r.queue, now: s.now, n: out.length });
  }
  return out;
}
