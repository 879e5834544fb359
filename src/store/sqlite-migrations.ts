/**
 * GENERATED from src/store/sqlite-migrations/*.sql by test/store/sqlite-embed.ts: do not edit.
 * The .sql files are the source of truth; embedding them as strings lets the store find them
 * from src/ and from dist/ alike (tsc copies no .sql files). A test fails when they drift.
 */

/** One schema migration: applied once, in version order, inside one transaction. */
export interface Migration {
  readonly version: number;
  readonly name: string;
  readonly sql: string;
}

/** Every migration, oldest first (append-only). */
export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'init',
    sql: `-- 0001_init: the job table and its indexes, dependencies, queues, counts, the rate-limit log,
-- node records and the lease-token counter. Append-only: never edit a migration that has
-- shipped; add 0002_*.sql instead (then regenerate src/store/sqlite-migrations.ts).

CREATE TABLE steward_jobs (
  -- A new id is above every stored id and the \`job_id\` counter in steward_meta, which deletes
  -- raise past the ids they delete: ids increase in insertion order (FIFO relies on it) and one
  -- is never reused (a stale id or cursor never names another job). Not AUTOINCREMENT: that
  -- writes sqlite_sequence once per row inserted, which cost 60% of a bulk insert.
  id               INTEGER PRIMARY KEY,
  kind             TEXT    NOT NULL,
  queue            TEXT    NOT NULL,
  payload          TEXT    NOT NULL,             -- JSON
  state            TEXT    NOT NULL CHECK (state IN ('scheduled', 'available', 'waiting', 'executing',
                                                     'retryable', 'completed', 'discarded', 'cancelled')),
  priority         INTEGER NOT NULL CHECK (priority BETWEEN 0 AND 9),
  attempt          INTEGER NOT NULL DEFAULT 0 CHECK (attempt >= 0),
  max_attempts     INTEGER NOT NULL CHECK (max_attempts >= 1),
  run_at           INTEGER NOT NULL,
  inserted_at      INTEGER NOT NULL,
  attempted_at     INTEGER,
  finished_at      INTEGER,
  timeout_ms       INTEGER,
  depends_on       TEXT,                         -- JSON array of parent ids; NULL: none
  unique_key       TEXT,
  errors           TEXT,                         -- JSON array of JobError; NULL: none
  result           TEXT,                         -- JSON; NULL: null
  progress         TEXT,                         -- JSON; NULL: null
  lease_owner      TEXT,
  lease_token      INTEGER,
  lease_expires_at INTEGER,
  cancel_requested INTEGER NOT NULL DEFAULT 0 CHECK (cancel_requested IN (0, 1)),
  tags             TEXT,                         -- JSON array of strings; NULL: none
  CHECK ((state = 'executing') = (lease_token IS NOT NULL))
) STRICT;

-- Fetch: a queue's available jobs in fetch order. Partial, so finished jobs (the bulk of a
-- long-lived table) are not in it and the next job is one seek away whatever the history.
CREATE INDEX steward_jobs_fetch ON steward_jobs (queue, priority, run_at, id) WHERE state = 'available';
-- stageJobs: scheduled and retryable jobs by due time.
CREATE INDEX steward_jobs_due ON steward_jobs (run_at, id) WHERE state IN ('scheduled', 'retryable');
-- rescueJobs: leases by expiry.
CREATE INDEX steward_jobs_lease ON steward_jobs (lease_expires_at, id) WHERE state = 'executing';
-- pruneJobs: final jobs, oldest first.
CREATE INDEX steward_jobs_finished ON steward_jobs (finished_at, id)
  WHERE state IN ('completed', 'discarded', 'cancelled');
-- Unique inserts: the newest job with a key.
CREATE INDEX steward_jobs_unique ON steward_jobs (unique_key, id) WHERE unique_key IS NOT NULL;
-- listJobs by state, for the states a few jobs sit in among a million finished ones (the
-- dead-letter view). Partial, so the hot path (available → executing → completed) never touches
-- it: a full (state, id) index cost a fifth of every transition.
CREATE INDEX steward_jobs_state ON steward_jobs (state, id)
  WHERE state IN ('scheduled', 'waiting', 'retryable', 'discarded', 'cancelled');

-- Dependencies: parent → child, for waking and cascading; by child, for deletes.
CREATE TABLE steward_deps (
  parent_id INTEGER NOT NULL,
  child_id  INTEGER NOT NULL,
  PRIMARY KEY (parent_id, child_id)
) WITHOUT ROWID, STRICT;
CREATE INDEX steward_deps_child ON steward_deps (child_id);

-- Every queue seen (jobs inserted or paused), and whether it is paused.
CREATE TABLE steward_queues (
  name   TEXT    PRIMARY KEY,
  paused INTEGER NOT NULL DEFAULT 0 CHECK (paused IN (0, 1))
) WITHOUT ROWID, STRICT;

-- Jobs per queue and state, so countJobs never scans the job table. The store writes each group
-- commit's changes in one statement (per-row triggers cost a third of a bulk insert).
CREATE TABLE steward_counts (
  queue TEXT    NOT NULL,
  state TEXT    NOT NULL,
  n     INTEGER NOT NULL,
  PRIMARY KEY (queue, state)
) WITHOUT ROWID, STRICT;

-- Rate limits: a sliding log of job starts per queue (n starts at ms \`at\`), pruned as it slides.
CREATE TABLE steward_rate (
  queue TEXT    NOT NULL,
  at    INTEGER NOT NULL,
  n     INTEGER NOT NULL,
  PRIMARY KEY (queue, at)
) WITHOUT ROWID, STRICT;

-- Node records: which process (host, pid) holds leases as \`owner\`, and when it was last heard
-- from, so rescueJobs can take back the jobs of a process that is gone without waiting out
-- their leases.
CREATE TABLE steward_nodes (
  owner        TEXT    NOT NULL,
  host         TEXT    NOT NULL,
  pid          INTEGER NOT NULL,
  started_at   INTEGER NOT NULL,
  last_seen_at INTEGER NOT NULL,
  PRIMARY KEY (owner, host, pid)
) WITHOUT ROWID, STRICT;

-- Counters shared by every process: \`lease_token\` is the last fencing token handed out, \`job_id\`
-- the highest job id deleted.
CREATE TABLE steward_meta (
  key   TEXT    PRIMARY KEY,
  value INTEGER NOT NULL
) WITHOUT ROWID, STRICT;
INSERT INTO steward_meta (key, value) VALUES ('lease_token', 0), ('job_id', 0);
`,
  },
  {
    version: 2,
    name: 'jobs_without_checks',
    sql: `-- 0002_jobs_without_checks: the job table again, without its CHECK constraints. Measured on this
-- project's 2-core machine, they cost a third of every insert and update: 32-row bulk inserts ran
-- at ~120-150k rows/s with them and ~180-225k without (dropping STRICT changed nothing, so the
-- table stays STRICT). The store is the only writer and checks every value before it writes
-- (priority 0-9, attempts, states, the lease of an executing job), and test/store proves the
-- invariants those constraints stated (the counts test walks every transition); they were a second
-- guard, paid on every row. The table is rebuilt (SQLite cannot drop a constraint): a one-time
-- copy, in this migration's transaction, with the same columns in the same order.

CREATE TABLE steward_jobs_next (
  id               INTEGER PRIMARY KEY,          -- see 0001: increasing, never reused
  kind             TEXT    NOT NULL,
  queue            TEXT    NOT NULL,
  payload          TEXT    NOT NULL,             -- JSON
  state            TEXT    NOT NULL,             -- scheduled, available, waiting, executing, retryable,
                                                 -- completed, discarded, cancelled
  priority         INTEGER NOT NULL,             -- 0 to 9
  attempt          INTEGER NOT NULL DEFAULT 0,
  max_attempts     INTEGER NOT NULL,             -- 1 or more
  run_at           INTEGER NOT NULL,
  inserted_at      INTEGER NOT NULL,
  attempted_at     INTEGER,
  finished_at      INTEGER,
  timeout_ms       INTEGER,
  depends_on       TEXT,                         -- JSON array of parent ids; NULL: none
  unique_key       TEXT,
  errors           TEXT,                         -- JSON array of JobError; NULL: none
  result           TEXT,                         -- JSON; NULL: null
  progress         TEXT,                         -- JSON; NULL: null
  lease_owner      TEXT,                         -- set exactly while executing
  lease_token      INTEGER,
  lease_expires_at INTEGER,
  cancel_requested INTEGER NOT NULL DEFAULT 0,   -- 0 or 1
  tags             TEXT                          -- JSON array of strings; NULL: none
) STRICT;

INSERT INTO steward_jobs_next SELECT * FROM steward_jobs;
DROP TABLE steward_jobs;
ALTER TABLE steward_jobs_next RENAME TO steward_jobs;

-- The indexes of 0001, as they were (dropping the old table dropped them); see 0001 for why each.
CREATE INDEX steward_jobs_fetch ON steward_jobs (queue, priority, run_at, id) WHERE state = 'available';
CREATE INDEX steward_jobs_due ON steward_jobs (run_at, id) WHERE state IN ('scheduled', 'retryable');
CREATE INDEX steward_jobs_lease ON steward_jobs (lease_expires_at, id) WHERE state = 'executing';
CREATE INDEX steward_jobs_finished ON steward_jobs (finished_at, id)
  WHERE state IN ('completed', 'discarded', 'cancelled');
CREATE INDEX steward_jobs_unique ON steward_jobs (unique_key, id) WHERE unique_key IS NOT NULL;
CREATE INDEX steward_jobs_state ON steward_jobs (state, id)
  WHERE state IN ('scheduled', 'waiting', 'retryable', 'discarded', 'cancelled');
`,
  },
];
