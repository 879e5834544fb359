/**
 * The SQLite store against the shared Store conformance suite, each test on a fresh database
 * file of its own (a copy of one migrated template, which spares each test the fsyncs of
 * creating and migrating a file), removed after the test.
 */
import { copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll } from 'vitest';
import { describeStore } from './conformance.js';
import { createSqliteStore } from '../../src/store/sqlite.js';
import { ManualClock } from '../../src/testing/clock.js';

const root = mkdtempSync(join(tmpdir(), 'steward-sqlite-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

let template: Promise<string> | undefined;
/** A migrated, cleanly closed database file (made once per test file). */
function migratedTemplate(): Promise<string> {
  template ??= (async () => {
    const path = join(root, 'template.db');
    const store = createSqliteStore({ path });
    await store.open();
    await store.close();
    return path;
  })();
  return template;
}

let n = 0;
describeStore('sqlite', async () => {
  const clock = new ManualClock();
  const path = join(root, `jobs-${++n}.db`);
  copyFileSync(await migratedTemplate(), path);
  return {
    store: createSqliteStore({ path, clock: clock.now }),
    clock,
    cleanup: async () => {
      for (const suffix of ['', '-wal', '-shm']) rmSync(`${path}${suffix}`, { force: true });
    },
  };
});
