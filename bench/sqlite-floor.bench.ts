/**
 * The floor under the SQLite figures: what bare SQL (better-sqlite3, no Steward around it) does
 * on this machine, for Steward's schema and for plainjob's, the queue the issue compares with:
 * - one job per commit: Steward's statements for one enqueue (BEGIN IMMEDIATE, the next id, the
 *   row, the queue, the counts, COMMIT) and plainjob's (one autocommit INSERT);
 * - bulk: Steward's 32-row INSERT statements and plainjob's addMany (a row per statement), 1,000
 *   jobs per transaction.
 * All in WAL mode with synchronous=NORMAL (plainjob's setting). Best of ROUNDS.
 * Run alone with `npx tsx bench/sqlite-floor.bench.ts`.
 */
import Database from 'better-sqlite3';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MIGRATIONS } from '../src/store/sqlite-migrations.js';
import { isMain } from '../examples/support/is-main.js';
import { machineLine, printTable } from './harness.js';
import type { CaseResult } from './harness.js';

const ROUNDS = 3;
const SINGLE = 3000;
const BULK = 20_000;
const COLS = `id, kind, queue, payload, state, priority, max_attempts, run_at, inserted_at, finished_at,
              timeout_ms, depends_on, unique_key, tags`;
const PLAINJOB = `CREATE TABLE plainjobs_jobs (id INTEGER PRIMARY KEY AUTOINCREMENT, type TEXT NOT NULL,
    data TEXT NOT NULL, status INTEGER DEFAULT 0 NOT NULL, failed_at INTEGER, error TEXT, created_at INTEGER NOT NULL);
  CREATE INDEX idx_jobs_status_type_created_at ON plainjobs_jobs (status, type, created_at);`;

function open(dir: string, name: string, schema: 'steward' | 'plainjob'): Database.Database {
  const db = new Database(join(dir, `${name}.db`));
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  if (schema === 'plainjob') db.exec(PLAINJOB);
  else for (const m of MIGRATIONS) db.exec(m.sql);
  return db;
}

/** Best rate of `fn` (which handles `n` jobs) over ROUNDS. */
function best(n: number, fn: () => void): number {
  fn(); // warm up
  let top = 0;
  for (let r = 0; r < ROUNDS; r++) {
    const start = performance.now();
    fn();
    top = Math.max(top, (n * 1000) / (performance.now() - start));
  }
  return top;
}

function stewardSingle(db: Database.Database): () => void {
  const begin = db.prepare('BEGIN IMMEDIATE');
  const commit = db.prepare('COMMIT');
  const nextId = db
    .prepare(
      "SELECT max(value, coalesce((SELECT max(id) FROM steward_jobs), 0)) FROM steward_meta WHERE key = 'job_id'",
    )
    .pluck();
  const insert = db.prepare(`INSERT INTO steward_jobs (${COLS}) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?)`);
  const queue = db.prepare('INSERT OR IGNORE INTO steward_queues (name) VALUES (?)');
  const counts = db.prepare(
    'INSERT INTO steward_counts (queue, state, n) VALUES (?, ?, 1) ON CONFLICT (queue, state) DO UPDATE SET n = n + 1',
  );
  return () => {
    for (let i = 0; i < SINGLE; i++) {
      begin.run();
      const id = (nextId.get() as number) + 1;
      const now = Date.now();
      insert.run(
        id,
        'noop',
        'default',
        JSON.stringify({ n: i }),
        'available',
        5,
        20,
        now,
        now,
        null,
        null,
        null,
        null,
        null,
      );
      queue.run('default');
      counts.run('default', 'available');
      commit.run();
    }
  };
}

function stewardBulk(db: Database.Database): () => void {
  const rows = 32;
  const insert = db.prepare(
    `INSERT INTO steward_jobs (${COLS}) VALUES ${Array(rows).fill('(?,?,?,?,?,?,?,?,?,?,?,?,?,?)').join(',')}`,
  );
  let id = 0;
  const tx = db.transaction(() => {
    for (let i = 0; i < 1000; i += rows) {
      const params: unknown[] = [];
      const now = Date.now();
      for (let j = 0; j < rows; j++) {
        params.push(
          ++id,
          'noop',
          'default',
          JSON.stringify({ n: id }),
          'available',
          5,
          20,
          now,
          now,
          null,
          null,
          null,
          null,
          null,
        );
      }
      insert.run(params);
    }
  });
  return () => {
    for (let b = 0; b < BULK / 1000; b++) tx();
  };
}

function plainjobSingle(db: Database.Database): () => void {
  const insert = db.prepare(
    'INSERT INTO plainjobs_jobs (type, data, created_at) VALUES (@type, @data, @createdAt)',
  );
  return () => {
    for (let i = 0; i < SINGLE; i++)
      insert.run({ type: 'noop', data: JSON.stringify({ n: i }), createdAt: Date.now() });
  };
}

function plainjobBulk(db: Database.Database): () => void {
  const insert = db.prepare(
    'INSERT INTO plainjobs_jobs (type, data, created_at) VALUES (@type, @data, @createdAt)',
  );
  const tx = db.transaction((jobs: { type: string; data: string; createdAt: number }[]) => {
    for (const job of jobs) insert.run(job);
  });
  return () => {
    for (let b = 0; b < BULK / 1000; b++) {
      const now = Date.now();
      tx(
        Array.from({ length: 1000 }, (_, i) => ({
          type: 'noop',
          data: JSON.stringify({ n: i }),
          createdAt: now,
        })),
      );
    }
  };
}

/** Runs the bare-SQL cases and prints them. */
export function run(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'steward-sqlite-floor-'));
  try {
    const cases: [string, 'steward' | 'plainjob', number, (db: Database.Database) => () => void][] = [
      ['Steward schema, one enqueue per commit', 'steward', SINGLE, stewardSingle],
      ['plainjob schema, one add per commit', 'plainjob', SINGLE, plainjobSingle],
      ['Steward schema, bulk (32-row statements)', 'steward', BULK, stewardBulk],
      ['plainjob schema, addMany (a row a statement)', 'plainjob', BULK, plainjobBulk],
    ];
    const results: CaseResult[] = cases.map(([name, schema, n, make], i) => {
      const db = open(dir, `case-${i}`, schema);
      try {
        return { name, opsPerSec: best(n, make(db)) };
      } finally {
        db.close();
      }
    });
    printTable(
      'Bare SQL on this machine (no Steward around it), synchronous=NORMAL: jobs per second',
      results,
      results[0]?.name ?? '',
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  return Promise.resolve();
}

if (isMain(import.meta.url)) {
  console.log(`SQLite floor on ${machineLine()}`);
  await run();
}
