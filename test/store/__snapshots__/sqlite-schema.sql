CREATE INDEX steward_deps_child ON steward_deps (child_id);

CREATE INDEX steward_jobs_due ON steward_jobs (run_at, id) WHERE state IN ('scheduled', 'retryable');

CREATE INDEX steward_jobs_fetch ON steward_jobs (queue, priority, run_at, id) WHERE state = 'available';

CREATE INDEX steward_jobs_finished ON steward_jobs (finished_at, id)
  WHERE state IN ('completed', 'discarded', 'cancelled');

CREATE INDEX steward_jobs_lease ON steward_jobs (lease_expires_at, id) WHERE state = 'executing';

CREATE INDEX steward_jobs_state ON steward_jobs (state, id)
  WHERE state IN ('scheduled', 'waiting', 'retryable', 'discarded', 'cancelled');

CREATE INDEX steward_jobs_unique ON steward_jobs (unique_key, id) WHERE unique_key IS NOT NULL;

CREATE TABLE steward_counts (
  queue TEXT    NOT NULL,
  state TEXT    NOT NULL,
  n     INTEGER NOT NULL,
  PRIMARY KEY (queue, state)
) WITHOUT ROWID, STRICT;

CREATE TABLE steward_deps (
  parent_id INTEGER NOT NULL,
  child_id  INTEGER NOT NULL,
  PRIMARY KEY (parent_id, child_id)
) WITHOUT ROWID, STRICT;

CREATE TABLE "steward_jobs" (
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

CREATE TABLE steward_meta (
  key   TEXT    PRIMARY KEY,
  value INTEGER NOT NULL
) WITHOUT ROWID, STRICT;

CREATE TABLE steward_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at INTEGER NOT NULL) STRICT;

CREATE TABLE steward_nodes (
  owner        TEXT    NOT NULL,
  host         TEXT    NOT NULL,
  pid          INTEGER NOT NULL,
  started_at   INTEGER NOT NULL,
  last_seen_at INTEGER NOT NULL,
  PRIMARY KEY (owner, host, pid)
) WITHOUT ROWID, STRICT;

CREATE TABLE steward_queues (
  name   TEXT    PRIMARY KEY,
  paused INTEGER NOT NULL DEFAULT 0 CHECK (paused IN (0, 1))
) WITHOUT ROWID, STRICT;

CREATE TABLE steward_rate (
  queue TEXT    NOT NULL,
  at    INTEGER NOT NULL,
  n     INTEGER NOT NULL,
  PRIMARY KEY (queue, at)
) WITHOUT ROWID, STRICT;
