/** leakCheck: a test that leaves something open fails, naming it, and the thing is closed. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createSteward, openStore } from '../../src/index.js';
import { leakCheck, openResources } from '../../src/testing/index.js';

const dir = mkdtempSync(join(tmpdir(), 'steward-leaks-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** The hooks leakCheck registers, to run by hand around a pretend test. */
function hooks(): { before: () => void; after: () => Promise<void> } {
  let before: () => void = () => undefined;
  let after: () => Promise<void> = () => Promise.resolve();
  leakCheck({ beforeEach: (fn) => (before = fn), afterEach: (fn) => (after = fn) });
  return { before: () => before(), after: () => after() };
}

describe('leakCheck', () => {
  it('fails a test that left a Steward started and a SQLite store open, naming both, and closes them', async () => {
    const { before, after } = hooks();
    before();
    const steward = createSteward({ store: 'memory:', jobs: { noop: () => null }, logger: false });
    await steward.start();
    const store = openStore(`sqlite:${join(dir, 'left-open.db')}`);
    await store.open();
    await expect(after()).rejects.toThrow(
      /left open: a started Steward.*; an open sqlite store on .*left-open\.db/,
    );
    expect(openResources()).toEqual([]);
    await expect(store.getJob('1')).rejects.toThrow(/stopped|closed/i);
  });

  it('passes a test that stopped what it started, and leaves alone what was open before it', async () => {
    const shared = openStore(`sqlite:${join(dir, 'shared.db')}`);
    await shared.open(); // as a beforeAll would
    const { before, after } = hooks();
    before();
    const steward = createSteward({ store: 'memory:', jobs: { noop: () => null }, logger: false });
    await steward.start();
    await steward.stop();
    await expect(after()).resolves.toBeUndefined();
    expect(openResources()).toEqual([expect.stringContaining('shared.db')]);
    await shared.close();
    expect(openResources()).toEqual([]);
  });
});
