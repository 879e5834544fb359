/**
 * `steward migrate`: brings a store's schema up to date. Opening a store applies its migrations
 * (each once, even with several processes at once), so this opens it and reports what happened:
 * the schema version and the migrations applied now.
 *
 * The Store contract says nothing about schemas, so for SQLite the migration ledger
 * (`steward_migrations`) is read directly, before and after the open, with a read-only connection.
 */
import { existsSync } from 'node:fs';
import type BetterSqlite3 from 'better-sqlite3';
import { Command } from 'commander';
import { json } from '../format.js';
import type { Cli } from '../io.js';
import { makeStore, openOrExplain, storeUrlOf } from '../store.js';

/** One applied migration, from the ledger. */
interface LedgerRow {
  readonly version: number;
  readonly name: string;
  readonly applied_at: number;
}

/** What `migrate --json` prints. */
interface MigrateReport {
  readonly store: string;
  /** The newest migration applied (0: none; null: the store has no schema). */
  readonly version: number | null;
  /** Migrations applied by this run. */
  readonly applied: { version: number; name: string }[];
  readonly message: string;
}

/** `steward migrate`: applies pending migrations and says which. */
export function migrateCommand(cli: Cli): Command {
  return new Command('migrate')
    .description('create the store or bring its schema up to date, and print its version')
    .option('--json', 'print the result as JSON')
    .addHelpText(
      'after',
      `
Every command that opens a store applies pending migrations itself; run this to do it ahead of a
deploy, or to create an empty store. A store written by a newer Steward is refused (exit 1),
never changed. The memory: store keeps nothing, so it has nothing to migrate.

Example:
  $ steward migrate --store sqlite:./steward.db`,
    )
    .action(async (opts: { json?: boolean }, cmd: Command) => {
      const where = storeUrlOf(cmd, cli.io);
      const store = makeStore(where);
      let report: MigrateReport;
      try {
        if (store.kind === 'memory' || (store.kind === 'sqlite' && where.sqliteFile === null)) {
          report = {
            store: where.url,
            version: null,
            applied: [],
            message: `the store ${where.given} is in memory and keeps nothing between runs: nothing to migrate`,
          };
        } else {
          const file = where.sqliteFile;
          const before = file === null ? [] : await readLedger(file);
          await openOrExplain(store);
          await store.close();
          const after = file === null ? [] : await readLedger(file);
          const done = new Set(before.map((r) => r.version));
          const applied = after
            .filter((r) => !done.has(r.version))
            .map(({ version, name }) => ({ version, name }));
          const version = after.reduce((v, r) => Math.max(v, r.version), 0);
          const names = applied.map((m) => `${String(m.version).padStart(4, '0')}_${m.name}`).join(', ');
          report = {
            store: where.url,
            version,
            applied,
            message:
              file === null
                ? `${where.url}: migrations applied on open`
                : applied.length === 0
                  ? `${where.url}: schema version ${version}, up to date (nothing to apply)`
                  : `${where.url}: schema version ${version} (applied now: ${names})`,
          };
        }
      } finally {
        await store.close();
      }
      cli.io.stdout(opts.json ? json(report) : `${report.message}\n`);
    });
}

/**
 * The migrations a SQLite file's ledger lists; none when the file or the ledger does not exist
 * yet. A file that cannot be read also gives none: the store's own open then says why.
 */
async function readLedger(file: string): Promise<LedgerRow[]> {
  if (!existsSync(file)) return [];
  // Loaded here, not at import: the native module is needed only for this command's SQLite case.
  const { default: Database } = (await import('better-sqlite3')) as { default: typeof BetterSqlite3 };
  let db: BetterSqlite3.Database | undefined;
  try {
    db = new Database(file, { readonly: true, fileMustExist: true });
    const ledger = db
      .prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'steward_migrations'")
      .get();
    if (ledger === undefined) return [];
    return db
      .prepare('SELECT version, name, applied_at FROM steward_migrations ORDER BY version')
      .all() as LedgerRow[];
  } catch {
    return [];
  } finally {
    db?.close();
  }
}
