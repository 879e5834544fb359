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
import { applyMigration, migrate, SqliteOpenError } from '../../src/store/sqlite-db.js';
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
      expect(migrate(a, MIGRATIONS, 0)).toEqual([1]);
      // b saw version 1 missing before a applied it; applying now must clash, not re-run the SQL
      // (which would fail: its CREATE TABLEs have no IF NOT EXISTS).
      expect(applyMigration(b, MIGRATIONS[0] as (typeof MIGRATIONS)[number], 0)).toBe(false);
      expect(b.inTransaction).toBe(false);
      expect(b.prepare('SELECT count(*) FROM steward_migrations').pluck().get()).toBe(1);
    } finally {
      a.close();
      b.close();
    }
  });

  it('rolls a failing migration back entirely, ledger row included, and names it', () => {
    const db = new Database(fresh());
    try {
      migrate(db, MIGRATIONS, 0);
      const bad = {
        version: 2,
        name: 'broken',
        sql: 'CREATE TABLE half_done (a); SELECT nope FROM nowhere;',
      };
      expect(() => migrate(db, [...MIGRATIONS, bad], 0)).toThrow(
        /migration 0002_broken failed: no such table: nowhere/,
      );
      expect(db.prepare("SELECT count(*) FROM sqlite_master WHERE name = 'half_done'").pluck().get()).toBe(0);
      expect(db.prepare('SELECT max(version) FROM steward_migrations').pluck().get()).toBe(1);
    } finally {
      db.close();
    }
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
      /Cannot open the SQLite store ".*": its schema is version 99, newer than this Steward knows \(1\); upgrade Steward/,
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
