/**
 * The pruner: deletes finished jobs (completed, discarded, cancelled) older than the
 * retention age, in bounded batches, so the store does not grow without end.
 */
import { Supervisor } from '../runtime/supervisor.js';
import type { ChildSpec } from '../runtime/supervisor.js';
import { FINAL_STATES } from '../store/types.js';
import type { Store } from '../store/types.js';
import type { Telemetry } from './instrument.js';

/** Most jobs deleted per tick, so one prune never holds the store for long. */
const PRUNE_BATCH = 10_000;

/** What the pruner needs. */
export interface PrunerDeps {
  readonly store: Store;
  readonly telemetry: Telemetry;
  /** Finished jobs older than this are deleted, ms. */
  readonly maxAgeMs: number;
  readonly intervalMs: number;
}

/** Prunes once; returns how many jobs were deleted. */
export async function prune({ store, telemetry, maxAgeMs }: PrunerDeps): Promise<number> {
  const pruned = await store.pruneJobs({
    before: store.now() - maxAgeMs,
    states: FINAL_STATES,
    limit: PRUNE_BATCH,
  });
  if (pruned > 0) telemetry.emit('pruner.prune', { pruned });
  return pruned;
}

/** The pruner's child spec. */
export function prunerSpec(deps: PrunerDeps): ChildSpec {
  return Supervisor.periodic('pruner', () => prune(deps), deps.intervalMs);
}
