/**
 * The Store conformance suite: THE executable spec of the Store contract. Every backend's test
 * file calls `describeStore(name, make)` (wired in by import, never by setup-file magic), and must
 * pass it unchanged; backend extras live in that backend's own test file.
 *
 * `make` returns a fresh, empty, unopened store whose clock is the returned manual clock (time
 * moves only when a test moves it), plus an optional cleanup (drop the database, delete the file).
 * The suite opens the store before each test and closes it after.
 *
 * @example
 * describeStore('memory', async () => {
 *   const clock = new ManualClock();
 *   return { store: createMemoryStore({ clock: clock.now }), clock };
 * });
 */
import { describe } from 'vitest';
import { describeBatch } from './conformance-batch.js';
import { describeFetch } from './conformance-fetch.js';
import { describeGraph } from './conformance-graph.js';
import type { StoreFactory } from './conformance-helpers.js';
import { useStore } from './conformance-helpers.js';
import { describeInsert } from './conformance-insert.js';
import { describeLease } from './conformance-lease.js';
import { describeMaintenance } from './conformance-maintenance.js';
import { describeReads } from './conformance-reads.js';

export type { ManualClockLike, StoreFactory, StoreFixture } from './conformance-helpers.js';

/** Registers the whole conformance suite for one store. */
export function describeStore(name: string, make: StoreFactory): void {
  describe(`Store conformance: ${name}`, () => {
    const ctx = useStore(make);
    describeInsert(ctx);
    describeFetch(ctx);
    describeLease(ctx);
    describeBatch(ctx);
    describeGraph(ctx);
    describeMaintenance(ctx);
    describeReads(ctx);
  });
}
