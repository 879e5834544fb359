/**
 * The job system refusing a SQLite store it must not use: a corrupt file (random bytes, a
 * truncated database), a file that is not SQLite, a database of a newer schema, a read-only
 * directory, and malformed store URLs. Each fails with one clear line naming the file or value,
 * through `createSteward` and `openStore` alike, and leaves every file as it was (same bytes, same
 * mtime, no -wal or -shm left behind).
 */
import Database from 'better-sqlite3';
import { execFileSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import {
  chmodSync,
  copyFileSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  truncateSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createSteward, openStore } from '../../src/index.js';

const root = mkdtempSync(join(tmpdir(), 'steward-queue-bad-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
let n = 0;
/** A fresh directory of its own for one case, so its listing shows exactly what the case left. */
const freshDir = (): string => mkdtempSync(join(root, `case-${++n}-`));

type Listing = Record<string, { sha: string; size: number; mtimeMs: number }>;

/** Every file in `dir` with its content hash, size and mtime. */
function listing(dir: string): Listing {
  const out: Listing = {};
  for (const name of readdirSync(dir).sort()) {
    const path = join(dir, name);
    const st = statSync(path);
    out[name] = {
      sha: createHash('sha256').update(readFileSync(path)).digest('hex'),
      size: st.size,
      mtimeMs: st.mtimeMs,
    };
  }
  return out;
}

const jobs = { task: () => null };

/**
 * Opens `sqlite:<path>` through a Steward (start), an enqueue-only client (enqueue, listJobs) and
 * openStore; expects each to fail with an error matching `message`, and the directory to be
 * exactly as it was. Returns the error.
 */
async function expectRefused(path: string, message: RegExp): Promise<Error> {
  const dir = join(path, '..');
  const before = listing(dir);
  const steward = createSteward({ store: `sqlite:${path}`, jobs, logger: false });
  const err = await steward.start().then(
    () => new Error('start succeeded'),
    (e: unknown) => e as Error,
  );
  expect(err.name).toBe('SqliteOpenError');
  expect(err.message).toMatch(message);
  expect(err.message).toContain(JSON.stringify(path));
  expect(err.message).not.toContain('\n');
  await steward.stop();
  // An enqueue-only client opens the store at its first call, and is refused the same way.
  const client = createSteward({ store: `sqlite:${path}`, jobs, logger: false, run: false });
  await expect(client.enqueue('task', {})).rejects.toThrow(message);
  await expect(client.listJobs()).rejects.toThrow(message);
  await client.stop();
  const store = openStore(`sqlite:${path}`);
  await expect(store.open()).rejects.toThrow(message);
  await store.close();
  expect(listing(dir)).toEqual(before);
  return err;
}

/** A real database with 500 jobs, written by a Steward and closed cleanly (its WAL folded in). */
async function realDatabase(path: string): Promise<void> {
  const steward = createSteward({ store: `sqlite:${path}`, jobs, logger: false, run: false });
  await steward.enqueueMany(
    Array.from({ length: 500 }, (_, i) => ({ kind: 'task', payload: { i, pad: 'x'.repeat(200) } })),
  );
  await steward.stop();
}

const NOT_SQLITE = /is not a SQLite database \(or is encrypted or corrupt\); point the store at another file/;
const CORRUPT = /the database is corrupt \(database disk image is malformed\); restore it from a backup/;

/**
 * How this machine can make a directory refuse new files, honestly: `chattr +i` (an immutable
 * directory refuses even root, which the tests run as; ext4, xfs and btrfs support it), else
 * `chmod 555` (which stops anyone but root). Checked by trying to write into one; null when
 * neither stops a write here.
 */
function readOnlyMethod(): {
  readonly name: string;
  lock(dir: string): void;
  unlock(dir: string): void;
} | null {
  const methods = [
    {
      name: 'chattr +i',
      lock: (dir: string) => execFileSync('chattr', ['+i', dir], { stdio: 'ignore' }),
      unlock: (dir: string) => execFileSync('chattr', ['-i', dir], { stdio: 'ignore' }),
    },
    {
      name: 'chmod 555',
      lock: (dir: string) => chmodSync(dir, 0o555),
      unlock: (dir: string) => chmodSync(dir, 0o755),
    },
  ];
  for (const method of methods) {
    const dir = mkdtempSync(join(tmpdir(), 'steward-ro-probe-'));
    try {
      method.lock(dir);
    } catch {
      rmSync(dir, { recursive: true, force: true });
      continue;
    }
    let refused = false;
    try {
      writeFileSync(join(dir, 'probe'), 'x');
    } catch {
      refused = true;
    }
    method.unlock(dir);
    rmSync(dir, { recursive: true, force: true });
    if (refused) return method;
  }
  return null;
}
const READ_ONLY = readOnlyMethod();

describe('createSteward and openStore refusing a SQLite file', () => {
  it('refuses random bytes as not a database', async () => {
    const path = join(freshDir(), 'random.db');
    writeFileSync(path, randomBytes(64 * 1024));
    await expectRefused(path, NOT_SQLITE);
  });

  it('refuses a text file as not a database', async () => {
    const path = join(freshDir(), 'people.csv');
    writeFileSync(path, 'name,email\nada,ada@example.com\n'.repeat(500));
    const err = await expectRefused(path, NOT_SQLITE);
    expect((err as Error & { code?: string }).code).toBe('SQLITE_NOTADB');
  });

  it('refuses a truncated database as corrupt: cut in half, and cut inside its header', async () => {
    const dir = freshDir();
    const good = join(dir, 'good.db');
    await realDatabase(good);
    const size = statSync(good).size;
    expect(size).toBeGreaterThan(64 * 1024);
    for (const [name, length] of [
      ['half.db', Math.floor(size / 2)],
      ['header.db', 50],
    ] as const) {
      const path = join(dir, name);
      copyFileSync(good, path);
      truncateSync(path, length);
      const err = await expectRefused(path, CORRUPT);
      expect((err as Error & { code?: string }).code).toBe('SQLITE_CORRUPT');
    }
    // The untouched original still opens: the refusals are about the damage, not the schema.
    const steward = createSteward({ store: `sqlite:${good}`, jobs, logger: false, run: false });
    expect(await steward.queueSize()).toBe(500);
    await steward.stop();
  });

  it('refuses a database migrated by a newer Steward, naming both schema versions', async () => {
    const path = join(freshDir(), 'future.db');
    await realDatabase(path);
    const db = new Database(path);
    db.prepare("INSERT INTO steward_migrations (version, name, applied_at) VALUES (99, 'future', 0)").run();
    db.close();
    await expectRefused(
      path,
      /its schema is version 99, newer than this Steward knows \(\d+\); upgrade Steward to use it/,
    );
  });

  it.skipIf(READ_ONLY === null)(
    `refuses a read-only directory (made read-only with ${READ_ONLY?.name ?? 'nothing: no honest way here'}), for a new file and an existing one`,
    async () => {
      const method = READ_ONLY as NonNullable<typeof READ_ONLY>;
      const dir = freshDir();
      const existing = join(dir, 'jobs.db');
      await realDatabase(existing);
      method.lock(dir);
      try {
        const notWritable = new RegExp(
          `its directory ${JSON.stringify(dir)} is not writable \\((EPERM|EACCES|EROFS)\\), and SQLite must create files there`,
        );
        await expectRefused(join(dir, 'new.db'), notWritable);
        await expectRefused(existing, notWritable);
      } finally {
        method.unlock(dir);
      }
      // Writable again, the same file opens and its jobs are all there.
      const steward = createSteward({ store: `sqlite:${existing}`, jobs, logger: false, run: false });
      expect(await steward.queueSize()).toBe(500);
      await steward.stop();
    },
  );

  it('says when the directory does not exist, and creates it not', async () => {
    const dir = freshDir();
    const path = join(dir, 'missing', 'jobs.db');
    const steward = createSteward({ store: `sqlite:${path}`, jobs, logger: false });
    await expect(steward.start()).rejects.toThrow(
      `Cannot open the SQLite store ${JSON.stringify(path)}: its directory does not exist; create it first`,
    );
    await steward.stop();
    expect(readdirSync(dir)).toEqual([]);
  });
});

describe('createSteward and openStore refusing a malformed store URL', () => {
  const cases: readonly [string, string][] = [
    [
      'sqlite:',
      'to be `sqlite:<path>` with a file path (e.g. `sqlite:./steward.db`, or `sqlite:/abs/path.db`), got `"sqlite:"`',
    ],
    [
      'sqlite://x',
      'to be `sqlite:<path>` with a file path (e.g. `sqlite:./steward.db`, or `sqlite:/abs/path.db`), got `"sqlite://x"`',
    ],
    [
      'nosuch:foo',
      'a store URL (`memory:`, `sqlite:<path>` or `postgres://<connection>`), got `"nosuch:foo"`',
    ],
    ['sqlite', 'a store URL (`memory:`, `sqlite:<path>` or `postgres://<connection>`), got `"sqlite"`'],
  ];
  it.each(cases)('refuses %j naming it and the accepted forms', (url, expected) => {
    // Thrown at once, before anything touches the disk.
    expect(() => openStore(url)).toThrow(expected);
    expect(() => createSteward({ store: url, jobs })).toThrow(expected);
    expect(() => createSteward({ store: url, jobs })).toThrow(TypeError);
  });

  it('refuses an empty URL', () => {
    expect(() => openStore('')).toThrow(
      /^Expected `store` to be a Store or a store URL \(.*\), got `""` \(string\)$/,
    );
    expect(() => createSteward({ store: '', jobs })).toThrow(
      /^Expected `store` to be a store URL \(`memory:`, `sqlite:.\/file.db`, `postgres:\/\/…`\) or a Store, got `""` \(string\)$/,
    );
  });
});
