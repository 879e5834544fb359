/**
 * Opening the SQLite file: connection settings (WAL, busy timeout, `synchronous`), a write probe,
 * and the schema migrations, with every failure turned into one line that names the file and
 * says what to do. Nothing is written to a file that is not a SQLite database or whose schema is
 * newer than this code.
 *
 * Migrations (graphile-worker's way): numbered, append-only, each applied in one `BEGIN
 * IMMEDIATE` transaction whose first statement inserts its row into the `steward_migrations`
 * ledger. Two processes migrating one file at once serialise on the write lock, and the second
 * one's ledger insert then fails on the primary key, so it rolls back and skips a migration the
 * first one applied; no migration ever runs twice.
 */
import type BetterSqlite3 from 'better-sqlite3';
import { accessSync, constants, existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname } from 'node:path';
import type { Migration } from './sqlite-migrations.js';

/** A better-sqlite3 connection. */
export type Db = BetterSqlite3.Database;

let driver: typeof BetterSqlite3 | undefined;

/**
 * better-sqlite3, loaded on first open rather than at import: `openStore('memory:')` imports this
 * module too, and must keep working where the native module cannot load.
 */
function loadDriver(): typeof BetterSqlite3 {
  driver ??= createRequire(import.meta.url)('better-sqlite3') as typeof BetterSqlite3;
  return driver;
}

/**
 * How SQLite syncs to disk (PRAGMA synchronous), in WAL mode:
 * - `full`: the WAL is fsynced at every commit, so a committed transaction survives a power cut
 *   or an OS crash. One fsync per commit.
 * - `normal`: the WAL is fsynced only at checkpoints, so a power cut or OS crash can roll back the
 *   transactions committed since the last checkpoint (at most ~1000 pages of WAL with the default
 *   autocheckpoint); the file stays consistent. A process crash (SIGKILL, OOM) loses nothing.
 * - `extra`: `full`, plus an fsync of the directory when the WAL is reset.
 */
export type SynchronousMode = 'full' | 'normal' | 'extra';

/** Settings of one connection. */
export interface DbSettings {
  readonly path: string;
  readonly synchronous: SynchronousMode;
  readonly busyTimeoutMs: number;
}

/** What a SQLite error carries (better-sqlite3's SqliteError). */
interface SqliteErrorLike extends Error {
  readonly code?: unknown;
}

/** The SQLite error code of `err` (`SQLITE_BUSY`, ...), or undefined. */
export function sqliteCode(err: unknown): string | undefined {
  const code = (err as SqliteErrorLike | null)?.code;
  return typeof code === 'string' ? code : undefined;
}

/** Opens the file, applies the settings, checks it can be written and migrates it. */
export function openDatabase(settings: DbSettings, migrations: readonly Migration[], now: number): Db {
  const { path } = settings;
  let Database: typeof BetterSqlite3;
  try {
    Database = loadDriver();
  } catch (err) {
    throw new SqliteOpenError(
      path,
      `the better-sqlite3 native module did not load (${messageOf(err)}); reinstall it (npm rebuild better-sqlite3)`,
      err,
    );
  }
  let db: Db;
  try {
    db = new Database(path, { timeout: settings.busyTimeoutMs });
  } catch (err) {
    throw openError(path, err);
  }
  try {
    // Reads page 1 first: a file that is not SQLite fails here, before any pragma writes to it.
    db.pragma('schema_version', { simple: true });
    if (!db.memory) enableWal(db, settings.busyTimeoutMs);
    db.pragma(`synchronous = ${settings.synchronous}`);
    migrate(db, migrations, now);
    // A write probe: a read-only file (or one SQLite opened read-only because it could not write
    // it) fails here, at open, rather than at the first transition.
    db.prepare("UPDATE steward_meta SET value = value WHERE key = 'lease_token'").run();
  } catch (err) {
    db.close();
    throw openError(path, err);
  }
  return db;
}

/** A cell to wait on between retries: opening is synchronous, so the pause must be too. */
const PAUSE = new Int32Array(new SharedArrayBuffer(4));

/**
 * Puts the connection in WAL mode. When processes open a new file at the same moment, one can hold
 * a read lock while it waits for the write lock to convert the file, and another the reverse; SQLite
 * then answers SQLITE_BUSY at once instead of calling the busy handler (waiting would deadlock). So
 * a busy answer is retried, with short growing pauses, for up to `timeoutMs` (seen in CI: three
 * processes migrating one new file).
 */
export function enableWal(db: Pick<Db, 'pragma'>, timeoutMs: number): void {
  const deadline = Date.now() + timeoutMs;
  for (let pauseMs = 1; ; pauseMs = Math.min(pauseMs * 2, 50)) {
    let mode: unknown;
    try {
      mode = db.pragma('journal_mode = WAL', { simple: true });
    } catch (err) {
      if (sqliteCode(err)?.startsWith('SQLITE_BUSY') !== true || Date.now() >= deadline) throw err;
      Atomics.wait(PAUSE, 0, 0, pauseMs);
      continue;
    }
    if (mode !== 'wal') throw new Error(`SQLite refused WAL mode (journal_mode is ${String(mode)})`);
    return;
  }
}

/** Applies the migrations the ledger lacks; refuses a database migrated by newer code. */
export function migrate(db: Db, migrations: readonly Migration[], now: number): number[] {
  db.exec(
    'CREATE TABLE IF NOT EXISTS steward_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at INTEGER NOT NULL) STRICT',
  );
  const known = migrations.length === 0 ? 0 : (migrations[migrations.length - 1] as Migration).version;
  const rows = db.prepare('SELECT version FROM steward_migrations').pluck().all() as number[];
  const done = new Set(rows);
  const newest = Math.max(0, ...rows);
  if (newest > known) throw new NewerSchemaError(newest, known);
  const applied: number[] = [];
  for (const m of migrations) {
    if (!done.has(m.version) && applyMigration(db, m, now)) applied.push(m.version);
  }
  return applied;
}

/**
 * Applies one migration in one IMMEDIATE transaction, its ledger row first. Returns false (and
 * changes nothing) when another connection applied it first: the ledger insert then fails on
 * the primary key before the migration's SQL runs.
 */
export function applyMigration(db: Db, m: Migration, now: number): boolean {
  db.exec('BEGIN IMMEDIATE');
  try {
    try {
      db.prepare('INSERT INTO steward_migrations (version, name, applied_at) VALUES (?, ?, ?)').run(
        m.version,
        m.name,
        now,
      );
    } catch (err) {
      if (sqliteCode(err) === 'SQLITE_CONSTRAINT_PRIMARYKEY') {
        db.exec('ROLLBACK');
        return false;
      }
      throw err;
    }
    db.exec(m.sql);
    db.exec('COMMIT');
    return true;
  } catch (err) {
    if (db.inTransaction) db.exec('ROLLBACK');
    throw new Error(`migration ${String(m.version).padStart(4, '0')}_${m.name} failed: ${messageOf(err)}`, {
      cause: err,
    });
  }
}

/** The database was migrated by a newer Steward: this code must not touch it. */
export class NewerSchemaError extends Error {
  override readonly name = 'NewerSchemaError';
  constructor(
    readonly found: number,
    readonly known: number,
  ) {
    super(
      `its schema is version ${found}, newer than this Steward knows (${known}); upgrade Steward to use it`,
    );
  }
}

/** Raised when the SQLite file cannot be opened, with the file, the cause and what to do. */
export class SqliteOpenError extends Error {
  override readonly name = 'SqliteOpenError';
  /** The SQLite error code behind it, when there is one. */
  readonly code: string | undefined;
  constructor(path: string, hint: string, cause: unknown) {
    super(`Cannot open the SQLite store ${JSON.stringify(path)}: ${hint}`, { cause });
    this.code = sqliteCode(cause);
  }
}

/** What a call sees when it could not get the write lock in time (other errors pass through). */
export function busyError(path: string, busyTimeoutMs: number, err: unknown): unknown {
  if (sqliteCode(err) !== 'SQLITE_BUSY') return err;
  return new Error(
    `The SQLite store ${JSON.stringify(path)} is busy: another connection held the write lock longer than ` +
      `busyTimeoutMs (${busyTimeoutMs} ms); nothing was changed, retry or raise busyTimeoutMs`,
    { cause: err },
  );
}

function openError(path: string, err: unknown): SqliteOpenError {
  const message = messageOf(err);
  if (err instanceof NewerSchemaError) return new SqliteOpenError(path, message, err);
  switch (sqliteCode(err)) {
    case 'SQLITE_NOTADB':
      return new SqliteOpenError(
        path,
        'the file is not a SQLite database (or is encrypted or corrupt); point the store at another file',
        err,
      );
    case 'SQLITE_CORRUPT':
      return new SqliteOpenError(path, `the database is corrupt (${message}); restore it from a backup`, err);
    case 'SQLITE_CANTOPEN':
      return new SqliteOpenError(path, cantOpenHint(path, message), err);
    case 'SQLITE_READONLY':
    case 'SQLITE_READONLY_DIRECTORY':
    case 'SQLITE_PERM':
    case 'SQLITE_AUTH':
      return new SqliteOpenError(path, `${message}; make the file and its directory writable`, err);
    case 'SQLITE_BUSY':
      return new SqliteOpenError(
        path,
        `${message}: another process held the write lock longer than the busy timeout; retry, or raise busyTimeoutMs`,
        err,
      );
  }
  if (/directory does not exist/i.test(message)) {
    return new SqliteOpenError(path, `its directory does not exist; create it first`, err);
  }
  return new SqliteOpenError(path, message, err);
}

/**
 * Why SQLite could not open the file, when the directory says: SQLite's own message
 * ("unable to open database file") does not tell a missing directory from a read-only one.
 */
function cantOpenHint(path: string, message: string): string {
  const wal = `${JSON.stringify(`${path}-wal`)} and ${JSON.stringify(`${path}-shm`)}`;
  const dir = dirname(path);
  if (!existsSync(dir)) return `its directory does not exist; create it first`;
  try {
    accessSync(dir, constants.W_OK);
  } catch (err) {
    // EACCES (permissions), EPERM (an immutable directory), EROFS (a read-only mount).
    const code = (err as NodeJS.ErrnoException).code ?? 'not writable';
    return (
      `${message}: its directory ${JSON.stringify(dir)} is not writable (${code}), and SQLite must create ` +
      `files there (the database, and ${wal} in WAL mode); make the directory writable or put the store elsewhere`
    );
  }
  return (
    `${message}; check that the file and its directory exist and are writable (WAL mode creates ` +
    `${wal} next to it)`
  );
}

function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
