/**
 * A leak check for tests (graphile-worker's idea): whatever a test started — a Steward, a SQLite
 * connection, a thread pool — must be stopped by the end of that test, or it holds timers, files
 * and threads into the next one. `leakCheck()` wires it into vitest/jest-style hooks.
 */
import { liveResources } from '../runtime/internal/live.js';

/** The resources open right now (started Stewards, open SQLite stores, thread pools), by label. */
export function openResources(): string[] {
  return [...liveResources().values()].map((r) => r.label);
}

/**
 * Snapshots what is open before each test and, after it, closes what the test opened and left
 * open, then throws naming each: resources made in `beforeAll` (open before the test) are left alone.
 * @example
 * import { afterEach, beforeEach } from 'vitest';
 * leakCheck({ beforeEach, afterEach });
 */
export function leakCheck(hooks: {
  readonly beforeEach: (fn: () => void) => void;
  readonly afterEach: (fn: () => Promise<void>) => void;
}): void {
  let before = new Set<object>();
  hooks.beforeEach(() => {
    before = new Set(liveResources().keys());
  });
  hooks.afterEach(async () => {
    const leaked = [...liveResources()].filter(([resource]) => !before.has(resource));
    if (leaked.length === 0) return;
    await Promise.allSettled(leaked.map(([, r]) => r.close()));
    throw new Error(`the test left open: ${leaked.map(([, r]) => r.label).join('; ')}`);
  });
}
