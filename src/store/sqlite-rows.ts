/**
 * The SQLite store's rows: the shape of a `steward_jobs` row, its conversion to a JobRecord (a
 * fresh, frozen snapshot each time: a record never shares state with the database), ids, and
 * the per-call Step that collects what a transition announces once it commits.
 */
import type { JobError, JobRecord, JobState, Json, Lease, StoreEvent } from './types.js';

/** A `steward_jobs` row as better-sqlite3 returns it. */
export interface JobRow {
  readonly id: number;
  readonly kind: string;
  readonly queue: string;
  readonly payload: string;
  readonly state: JobState;
  readonly priority: number;
  readonly attempt: number;
  readonly max_attempts: number;
  readonly run_at: number;
  readonly inserted_at: number;
  readonly attempted_at: number | null;
  readonly finished_at: number | null;
  readonly timeout_ms: number | null;
  readonly depends_on: string | null;
  readonly unique_key: string | null;
  readonly errors: string | null;
  readonly result: string | null;
  readonly progress: string | null;
  readonly lease_owner: string | null;
  readonly lease_token: number | null;
  readonly lease_expires_at: number | null;
  readonly cancel_requested: number;
  readonly tags: string | null;
}

/**
 * What one store call did: the events others may react to (delivered once its transaction
 * commits) and how it changed the per-queue, per-state job counts (written to `steward_counts`
 * once per group commit, rather than by a trigger per row: a trigger's upsert per row cost a
 * third of a bulk insert).
 */
export class Step {
  /** queue → earliest runAt of jobs that became available, scheduled or retryable. */
  readonly woken = new Map<string, number>();
  readonly events: StoreEvent[] = [];
  /** Queues this call inserted into steward_queues (known to exist once it commits). */
  readonly registered: string[] = [];
  /** `queue \0 state` → change in the number of jobs. */
  readonly counts = new Map<string, number>();

  /** `now`: the store's clock when the call was made. */
  constructor(readonly now: number) {}

  /** Notes `n` jobs of `queue` moving from state `from` to `to` (null: inserted, or deleted). */
  tally(queue: string, from: JobState | null, to: JobState | null, n = 1): void {
    if (from === to) return;
    if (from !== null) this.#add(`${queue}\0${from}`, -n);
    if (to !== null) this.#add(`${queue}\0${to}`, n);
  }

  #add(key: string, n: number): void {
    this.counts.set(key, (this.counts.get(key) ?? 0) + n);
  }

  /** Notes that a job of `queue` became fetchable (or will at `runAt`), for one `inserted` event per queue. */
  woke(queue: string, state: JobState, runAt: number): void {
    if (state !== 'available' && state !== 'scheduled' && state !== 'retryable') return;
    const seen = this.woken.get(queue);
    if (seen === undefined || runAt < seen) this.woken.set(queue, runAt);
  }

  /** The events in delivery order: the call's own, then one `inserted` per woken queue. */
  drain(): StoreEvent[] {
    const out = this.events;
    for (const [queue, runAt] of this.woken) out.push(Object.freeze({ type: 'inserted', queue, runAt }));
    return out;
  }
}

const EMPTY: readonly never[] = Object.freeze([]);

/** States a job never leaves on its own. */
const FINAL: ReadonlySet<JobState> = new Set<JobState>(['completed', 'discarded', 'cancelled']);

/** Whether a state is final. */
export function isFinal(state: JobState): boolean {
  return FINAL.has(state);
}

/**
 * The rowid behind an id, or undefined when `id` is not one this store made (digits, no leading
 * zero, a safe integer): such an id names no job.
 */
export function idOf(id: string): number | undefined {
  const n = id.length;
  if (n === 0 || n > 16 || id.charCodeAt(0) === 48) return undefined;
  let v = 0;
  for (let i = 0; i < n; i++) {
    const d = id.charCodeAt(i) - 48;
    if (d < 0 || d > 9) return undefined;
    v = v * 10 + d;
  }
  return v <= Number.MAX_SAFE_INTEGER ? v : undefined;
}

/** A JSON column's text for a value (null for JSON null, so the column stays NULL). */
export function jsonText(value: Json | null): string | null {
  return value === null ? null : JSON.stringify(value);
}

/** A JSON array column's text (null when empty). */
export function listText(list: readonly unknown[]): string | null {
  return list.length === 0 ? null : JSON.stringify(list);
}

function parseList<T>(text: string | null): readonly T[] {
  return text === null ? EMPTY : (Object.freeze(JSON.parse(text)) as readonly T[]);
}

/** The errors a row holds, parsed and frozen. */
export function errorsOf(row: Pick<JobRow, 'errors'>): readonly JobError[] {
  if (row.errors === null) return EMPTY;
  return Object.freeze((JSON.parse(row.errors) as JobError[]).map((e) => Object.freeze(e)));
}

/**
 * A row from a raw statement (`SELECT *` / `RETURNING *` as an array, in the table's column order):
 * better-sqlite3 builds a 23-property object per row in C++ at ~10 µs a row here, three times an
 * array plus this literal; fetch and lease transitions read every row this way.
 */
export function rowOf(a: readonly unknown[]): JobRow {
  return {
    id: a[0] as number,
    kind: a[1] as string,
    queue: a[2] as string,
    payload: a[3] as string,
    state: a[4] as JobState,
    priority: a[5] as number,
    attempt: a[6] as number,
    max_attempts: a[7] as number,
    run_at: a[8] as number,
    inserted_at: a[9] as number,
    attempted_at: a[10] as number | null,
    finished_at: a[11] as number | null,
    timeout_ms: a[12] as number | null,
    depends_on: a[13] as string | null,
    unique_key: a[14] as string | null,
    errors: a[15] as string | null,
    result: a[16] as string | null,
    progress: a[17] as string | null,
    lease_owner: a[18] as string | null,
    lease_token: a[19] as number | null,
    lease_expires_at: a[20] as number | null,
    cancel_requested: a[21] as number,
    tags: a[22] as string | null,
  };
}

/** The columns of `steward_jobs` in table order: what `rowOf` reads (a test checks they agree). */
export const JOB_COLUMNS = [
  'id',
  'kind',
  'queue',
  'payload',
  'state',
  'priority',
  'attempt',
  'max_attempts',
  'run_at',
  'inserted_at',
  'attempted_at',
  'finished_at',
  'timeout_ms',
  'depends_on',
  'unique_key',
  'errors',
  'result',
  'progress',
  'lease_owner',
  'lease_token',
  'lease_expires_at',
  'cancel_requested',
  'tags',
] as const;

/** A frozen snapshot of a row. Payload, result and progress are fresh parses, never shared. */
export function toRecord(row: JobRow): JobRecord {
  const lease: Lease | null =
    row.lease_token === null
      ? null
      : Object.freeze({
          owner: row.lease_owner as string,
          token: row.lease_token,
          expiresAt: row.lease_expires_at as number,
        });
  return Object.freeze({
    id: String(row.id),
    kind: row.kind,
    queue: row.queue,
    payload: JSON.parse(row.payload) as Json,
    state: row.state,
    priority: row.priority,
    attempt: row.attempt,
    maxAttempts: row.max_attempts,
    runAt: row.run_at,
    insertedAt: row.inserted_at,
    attemptedAt: row.attempted_at,
    finishedAt: row.finished_at,
    timeoutMs: row.timeout_ms,
    dependsOn: parseList<string>(row.depends_on),
    uniqueKey: row.unique_key,
    errors: errorsOf(row),
    result: row.result === null ? null : (JSON.parse(row.result) as Json),
    progress: row.progress === null ? null : (JSON.parse(row.progress) as Json),
    lease,
    cancelRequested: row.cancel_requested === 1,
    tags: parseList<string>(row.tags),
  });
}
