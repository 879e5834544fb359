/** Which store a command uses: --store, STEWARD_STORE, the default, and the errors of each. */
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { jsonOf, run, runOn, tempDir } from './helpers.js';

const tmp = tempDir('store');
afterAll(() => tmp.cleanup());

describe('choosing the store', () => {
  it('exits 2 with one line naming a malformed --store and the accepted forms', async () => {
    const { code, out, err } = await run(['--store', 'mysql://db', 'jobs']);
    expect(code).toBe(2);
    expect(out).toBe('');
    expect(err.split('\n').filter(Boolean)).toHaveLength(1);
    expect(err).toMatch(
      /^steward: bad store URL "mysql:\/\/db": .*memory:.*sqlite:<path>.* — pass --store memory:/,
    );
  });

  it('exits 2 for a sqlite: URL without a path and for postgres (not available yet)', async () => {
    const bare = await run(['--store', 'sqlite:', 'jobs']);
    expect(bare.code).toBe(2);
    expect(bare.err).toMatch(/^steward: bad store URL "sqlite:"/);
    const pg = await run(['--store', 'postgres://localhost/x', 'stats']);
    expect(pg.code).toBe(2);
    expect(pg.err).toMatch(/PostgreSQL store is not available yet/);
  });

  it('uses STEWARD_STORE when --store is absent, and --store over it', async () => {
    const envFile = join(tmp.dir, 'env.db');
    const flagFile = join(tmp.dir, 'flag.db');
    const env = { STEWARD_STORE: `sqlite:${envFile}` };
    expect((await run(['add', 'hello'], { env })).code).toBe(0);
    expect((await run(['--store', `sqlite:${flagFile}`, 'add', 'hello'], { env })).code).toBe(0);
    expect((await run(['--store', `sqlite:${flagFile}`, 'add', 'hello'], { env })).code).toBe(0);
    expect(jsonOf<unknown[]>(await run(['jobs', '--json'], { env }))).toHaveLength(1);
    expect(jsonOf<unknown[]>(await runOn(flagFile, ['jobs', '--json'], { env }))).toHaveLength(2);
  });

  it('accepts the global --store after the sub-command too', async () => {
    const file = join(tmp.dir, 'after.db');
    expect((await run(['add', 'hello', '--store', `sqlite:${file}`])).code).toBe(0);
    expect(existsSync(file)).toBe(true);
  });

  it('defaults to sqlite:./steward.db in the working directory, resolving relative paths against it', async () => {
    const cwd = tempDir('default');
    try {
      const added = await run(['add', 'hello'], { cwd: cwd.dir });
      expect(added).toMatchObject({ code: 0, out: '1\n' });
      expect(existsSync(join(cwd.dir, 'steward.db'))).toBe(true);
      expect((await run(['--store', 'sqlite:./other.db', 'add', 'x'], { cwd: cwd.dir })).code).toBe(0);
      expect(existsSync(join(cwd.dir, 'other.db'))).toBe(true);
    } finally {
      cwd.cleanup();
    }
  });

  it('refuses to read a SQLite file that does not exist (exit 1) and does not create it', async () => {
    const file = join(tmp.dir, 'missing.db');
    for (const argv of [
      ['jobs'],
      ['job', '1'],
      ['stats'],
      ['top', '--iterations', '1'],
      ['retry', '1'],
      ['cancel', '1'],
    ]) {
      const { code, err } = await runOn(file, argv);
      expect(code, argv.join(' ')).toBe(1);
      expect(err).toBe(
        `steward: no store at ${file} (from "sqlite:${file}") — check --store / STEWARD_STORE, or create it with "steward migrate"\n`,
      );
    }
    expect(existsSync(file)).toBe(false);
  });

  it("exits 1 with the store's reason when the file is not a database", async () => {
    const file = join(tmp.dir, 'text.db');
    writeFileSync(
      file,
      'this is not a database, just text that is long enough to fill a header page '.repeat(20),
    );
    const { code, err } = await runOn(file, ['jobs']);
    expect(code).toBe(1);
    expect(err).toMatch(/^steward: Cannot open the SQLite store .*not a SQLite database.*\n$/);
  });

  it('works on memory: (empty in every run)', async () => {
    const added = await run(['--store', 'memory:', 'add', 'hello']);
    expect(added.code).toBe(0);
    const listed = await run(['--store', 'memory:', 'jobs']);
    expect(listed).toMatchObject({ code: 0, out: 'no jobs\n' });
  });
});
