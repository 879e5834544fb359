/**
 * SQLite schema and opening: the embedded migrations match the .sql files, the migrated schema
 * matches its committed snapshot, the ledger and its clash rule, and the files the store refuses
 * (not SQLite, a newer schema, no such directory) — each with a one-line reason, nothing written.
 */
import Database from 'better-sqlite3';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { EMBEDDED_FILE, renderMigrations } from './sqlite-embed.js';
import { applyMigration, enableWal, migrate, SqliteOpenError } from '../../src/store/sqlite-db.js';
import { MIGRATIONS } from '../../src/store/sqlite-migrations.js';
import { createSqliteStore } from '../../src/store/sqlite.js';

const root = mkdtempSync(join(tmpdir(), 'steward-sqlite-migrate-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
let n = 0;
const fresh = (): string => join(root, `db-${++n}.db`);

const sha = (path: string): string => createHash('sha256').update(readFileSync(path)).digest('hex');

/** A migrated file, closed cleanly (its WAL checkpointed away). */
async function migratedFile(): Promise<string> {
  const path = fresh();
  const store = createSqliteStore({ path });
  await store.open();
  await store.close();
  return path;
}

describe('sqlite migrations', () => {
  it('embeds exactly the .sql files (regenerate with `npx tsx test/store/sqlite-embed.ts`)', () => {
    expect(readFileSync(EMBEDDED_FILE, 'utf8')).toBe(renderMigrations());
  });

  it('numbers migrations 1, 2, 3, ... without gaps', () => {
    expect(MIGRATIONS.map((m) => m.version)).toEqual(MIGRATIONS.map((_, i) => i + 1));
  });

  it('migrates a new file to the committed schema snapshot', async () => {
    const path = await migratedFile();
    const db = new Database(path, { readonly: true });
    try {
      const schema = db
        .prepare(
          "SELECT sql FROM sqlite_master WHERE name NOT LIKE 'sqlite_%' AND sql IS NOT NULL ORDER BY type, name",
        )
        .pluck()
        .all()
        .join(';\n\n');
      await expect(`${schema};\n`).toMatchFileSnapshot('./__snapshots__/sqlite-schema.sql');
    } finally {
      db.close();
    }
  });

  it('records each migration once in the ledger and applies nothing on a second open', async () => {
    const path = await migratedFile();
    const db = new Database(path);
    try {
      expect(db.prepare('SELECT version, name FROM steward_migrations').all()).toEqual(
        MIGRATIONS.map((m) => ({ version: m.version, name: m.name })),
      );
      expect(migrate(db, MIGRATIONS, 0)).toEqual([]);
    } finally {
      db.close();
    }
  });

  it('skips a migration another connection applied first: its ledger insert clashes before its SQL runs', async () => {
    const path = fresh();
    const a = new Database(path);
    const b = new Database(path);
    try {
      expect(migrate(a, MIGRATIONS, 0)).toEqual(MIGRATIONS.map((m) => m.version));
      // b saw version 1 missing before a applied it; applying now must clash, not re-run the SQL
      // (which would fail: its CREATE TABLEs have no IF NOT EXISTS).
      expect(applyMigration(b, MIGRATIONS[0] as (typeof MIGRATIONS)[number], 0)).toBe(false);
      expect(b.inTransaction).toBe(false);
      expect(b.prepare('SELECT count(*) FROM steward_migrations').pluck().get()).toBe(MIGRATIONS.length);
    } finally {
      a.close();
      b.close();
    }
  });

  it('upgrades a version-1 database to the current schema keeping every job as it was', async () => {
    const path = fresh();
    // A database as Steward 0001 left it: jobs in several states, one executing under a lease.
    const v1 = createSqliteStore({ path });
    const at = Date.now();
    const inserted = await v1.insertJobs(
      ['a', 'b', 'c'].map((kind, i) => ({
        kind,
        queue: 'q',
        payload: { i },
        priority: i,
        maxAttempts: 3,
        runAt: i === 2 ? at + 60_000 : at,
        timeoutMs: null,
        dependsOn: [],
        unique: null,
        tags: [`t${i}`],
      })),
    );
    const [taken] = await v1.fetchJobs({ queue: 'q', demand: 1, owner: 'w1', leaseMs: 60_000 });
    await v1.close();
    const db = new Database(path);
    try {
      // Undo 0002 onwards so the file is exactly a version-1 one (the v1 table kept its rows).
      const later = MIGRATIONS.filter((m) => m.version > 1);
      db.exec(`CREATE TABLE steward_jobs_v1 AS SELECT * FROM steward_jobs`);
      db.exec('DROP TABLE steward_jobs');
      db.exec(MIGRATIONS[0]!.sql.slice(0, MIGRATIONS[0]!.sql.indexOf('CREATE TABLE steward_deps')));
      db.exec('INSERT INTO steward_jobs SELECT * FROM steward_jobs_v1; DROP TABLE steward_jobs_v1');
      db.prepare(`DELETE FROM steward_migrations WHERE version > 1`).run();
      expect(later.length).toBeGreaterThan(0);
      expect(db.prepare("SELECT sql FROM sqlite_master WHERE name = 'steward_jobs'").pluck().get()).toMatch(
        /CHECK/,
      );
    } finally {
      db.close();
    }
    const before = inserted.map((r) => r.job.id);
    const store = createSqliteStore({ path });
    const jobs = await store.listJobs({ limit: 10 });
    expect(jobs.map((j) => j.id)).toEqual(before);
    expect(jobs.map((j) => [j.kind, j.state, j.priority, j.tags])).toEqual([
      ['a', 'executing', 0, ['t0']],
      ['b', 'available', 1, ['t1']],
      ['c', 'scheduled', 2, ['t2']],
    ]);
    expect(jobs[0]?.lease).toEqual(taken?.lease);
    // Still a working store: the lease completes, the next job is fetched, ids keep increasing.
    expect((await store.completeJob({ id: taken!.id, token: taken!.lease!.token }, 'ok')).ok).toBe(true);
    expect(
      (await store.fetchJobs({ queue: 'q', demand: 5, owner: 'w1', leaseMs: 1000 })).map((j) => j.kind),
    ).toEqual(['b']);
    const [next] = await store.insertJobs([{ ...jobs[1]!, unique: null, dependsOn: [], runAt: at }]);
    expect(Number(next?.job.id)).toBeGreaterThan(Number(before[2]));
    await store.close();
    const check = new Database(path, { readonly: true });
    try {
      expect(check.prepare('SELECT version FROM steward_migrations ORDER BY version').pluck().all()).toEqual(
        MIGRATIONS.map((m) => m.version),
      );
      expect(
        check.prepare("SELECT sql FROM sqlite_master WHERE name = 'steward_jobs'").pluck().get(),
      ).not.toMatch(/CHECK/);
    } finally {
      check.close();
    }
  });

  it('rolls a failing migration back entirely, ledger row included, and names it', () => {
    const db = new Database(fresh());
    try {
      migrate(db, MIGRATIONS, 0);
      const bad = {
        version: MIGRATIONS.length + 1,
        name: 'broken',
        sql: 'CREATE TABLE half_done (a); SELECT nope FROM nowhere;',
      };
      expect(() => migrate(db, [...MIGRATIONS, bad], 0)).toThrow(
        new RegExp(
          `migration ${String(MIGRATIONS.length + 1).padStart(4, '0')}_broken failed: no such table: nowhere`,
        ),
      );
      expect(db.prepare("SELECT count(*) FROM sqlite_master WHERE name = 'half_done'").pluck().get()).toBe(0);
      expect(db.prepare('SELECT max(version) FROM steward_migrations').pluck().get()).toBe(MIGRATIONS.length);
    } finally {
      db.close();
    }
  });
});

describe('enableWal', () => {
  /** A connection stand-in whose journal_mode pragma answers from `answers`, in turn. */
  function stub(answers: (string | Error)[]): { pragma: () => unknown; calls: () => number } {
    let calls = 0;
    return {
      pragma: () => {
        const answer = answers[Math.min(calls++, answers.length - 1)] as string | Error;
        if (answer instanceof Error) throw answer;
        return answer;
      },
      calls: () => calls,
    };
  }
  const busy = (): Error => Object.assign(new Error('database is locked'), { code: 'SQLITE_BUSY' });

  it('retries a busy answer (SQLite skips the busy handler when waiting would deadlock) until WAL is set', () => {
    const db = stub([busy(), busy(), 'wal']);
    enableWal(db as never, 1000);
    expect(db.calls()).toBe(3);
  });

  it('gives up with the busy error once the timeout has passed, and never retries other errors', () => {
    const always = stub([busy()]);
    const started = Date.now();
    expect(() => enableWal(always as never, 30)).toThrow(/database is locked/);
    expect(Date.now() - started).toBeGreaterThanOrEqual(30);
    expect(always.calls()).toBeGreaterThan(2);
    const other = stub([Object.assign(new Error('disk I/O error'), { code: 'SQLITE_IOERR' })]);
    expect(() => enableWal(other as never, 1000)).toThrow(/disk I\/O error/);
    expect(other.calls()).toBe(1);
    expect(() => enableWal(stub(['delete']) as never, 1000)).toThrow(
      /refused WAL mode \(journal_mode is delete\)/,
    );
  });
});

describe('sqlite store refusing a file', () => {
  it('refuses a database migrated by a newer Steward, naming both versions, and writes nothing', async () => {
    const path = await migratedFile();
    const db = new Database(path);
    db.prepare("INSERT INTO steward_migrations (version, name, applied_at) VALUES (99, 'future', 0)").run();
    db.close();
    const before = sha(path);
    const store = createSqliteStore({ path });
    await expect(store.open()).rejects.toThrow(
      /Cannot open the SQLite store ".*": its schema is version 99, newer than this Steward knows \(2\); upgrade Steward/,
    );
    // Every later call is refused the same way (and tries the file again: nothing sticks).
    await expect(store.insertJobs([])).rejects.toThrow(/newer than this Steward knows/);
    expect(sha(path)).toBe(before);
    expect(existsSync(`${path}-wal`) ? statSync(`${path}-wal`).size : 0).toBe(0);
  });

  it('refuses a file that is not a SQLite database and leaves it as it was', async () => {
    const path = fresh();
    writeFileSync(path, 'name,email\nada,ada@example.com\n'.repeat(200));
    const before = sha(path);
    const err = await createSqliteStore({ path })
      .open()
      .then(
        () => undefined,
        (e: unknown) => e,
      );
    expect(err).toBeInstanceOf(SqliteOpenError);
    expect((err as SqliteOpenError).code).toBe('SQLITE_NOTADB');
    expect((err as Error).message).toMatch(/is not a SQLite database \(or is encrypted or corrupt\)/);
    expect(sha(path)).toBe(before);
  });

  it('says when the directory does not exist, and creates nothing', async () => {
    const path = join(root, 'missing-dir', 'jobs.db');
    await expect(createSqliteStore({ path }).open()).rejects.toThrow(
      /its directory does not exist; create it first/,
    );
    expect(existsSync(join(root, 'missing-dir'))).toBe(false);
  });

  it('says when the path cannot be opened as a file', async () => {
    const path = join(root, 'a-directory.db');
    mkdirSync(path);
    await expect(createSqliteStore({ path }).open()).rejects.toThrow(
      /unable to open database file; check that the file and its directory exist and are writable/,
    );
  });
});
