/**
 * Embeds the SQLite migrations (src/store/sqlite-migrations/NNNN_name.sql, the source of truth)
 * into src/store/sqlite-migrations.ts, so the store finds them at runtime from src/ (tsx, vitest)
 * and from dist/ (plain tsc copies no .sql files) without reading files. test/store/sqlite-
 * migrate.test.ts fails when the two drift apart; regenerate with
 * `npx tsx test/store/sqlite-embed.ts`.
 */
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { isMain } from '../../examples/support/is-main.js';

/** Where the .sql files live. */
export const MIGRATIONS_DIR = new URL('../../src/store/sqlite-migrations/', import.meta.url);
/** The generated module. */
export const EMBEDDED_FILE = new URL('../../src/store/sqlite-migrations.ts', import.meta.url);

const FILE_NAME = /^(\d{4})_([a-z0-9_]+)\.sql$/;

/** The generated module's text for the .sql files in `dir`, in version order. */
export function renderMigrations(dir: URL = MIGRATIONS_DIR): string {
  const files = readdirSync(dir)
    .filter((f) => f.endsWith('.sql'))
    .sort();
  const entries = files.map((file, i) => {
    const match = FILE_NAME.exec(file);
    if (match === null)
      throw new Error(`${file}: expected a migration named NNNN_name.sql (e.g. 0002_add_x.sql)`);
    const version = Number(match[1]);
    if (version !== i + 1)
      throw new Error(`${file}: expected version ${i + 1} (versions run 1, 2, 3, ... without gaps)`);
    const sql = readFileSync(new URL(file, dir), 'utf8');
    const literal = sql.replaceAll('\\', '\\\\').replaceAll('`', '\\`').replaceAll('${', '\\${');
    return `  {\n    version: ${version},\n    name: '${match[2]}',\n    sql: \`${literal}\`,\n  },\n`;
  });
  return [
    '/**',
    ' * GENERATED from src/store/sqlite-migrations/*.sql by test/store/sqlite-embed.ts: do not edit.',
    ' * The .sql files are the source of truth; embedding them as strings lets the store find them',
    ' * from src/ and from dist/ alike (tsc copies no .sql files). A test fails when they drift.',
    ' */',
    '',
    '/** One schema migration: applied once, in version order, inside one transaction. */',
    'export interface Migration {',
    '  readonly version: number;',
    '  readonly name: string;',
    '  readonly sql: string;',
    '}',
    '',
    '/** Every migration, oldest first (append-only). */',
    `export const MIGRATIONS: readonly Migration[] = [\n${entries.join('')}];`,
    '',
  ].join('\n');
}

if (isMain(import.meta.url)) {
  writeFileSync(EMBEDDED_FILE, renderMigrations());
  console.log(`wrote ${EMBEDDED_FILE.pathname}`);
}
