/**
 * The pruner: deletes finished jobs older than their state's retention age, in bounded batches,
 * so the store does not grow without end. Each final state keeps its own age (Oban Pro's
 * DynamicPruner, BullMQ's removeOnComplete / removeOnFail): completed jobs are rarely looked at
 * again, while the dead-letter queue (discarded) is kept longest, for inspection and retry.
 */
import { Supervisor } from '../runtime/supervisor.js';
import type { ChildSpec } from '../runtime/supervisor.js';
import { invalidArgument } from '../runtime/validate.js';
import type { JobState, Store } from '../store/types.js';
import { checkKeys } from './backoff.js';
import type { Telemetry } from './instrument.js';
import type { StewardOptions } from './types.js';

const DAY_MS = 86_400_000;

/** Retention ages by state when nothing is said: what a BullMQ or Oban user would expect to find. */
const DEFAULT_RETENTION: Readonly<Record<PrunedState, number>> = {
  completed: DAY_MS,
  cancelled: 7 * DAY_MS,
  discarded: 30 * DAY_MS,
};

/** The final states the pruner deletes. */
type PrunedState = 'completed' | 'cancelled' | 'discarded';
const PRUNED_STATES: readonly PrunedState[] = ['completed', 'cancelled', 'discarded'];

/** The pruner's settings, defaults applied: states of equal age share one delete per tick. */
export interface PruneSettings {
  readonly ages: readonly { readonly states: readonly JobState[]; readonly maxAgeMs: number }[];
  readonly intervalMs: number;
  /** Most jobs one delete removes. */
  readonly limit: number;
}

/** What the pruner needs. */
export interface PrunerDeps extends PruneSettings {
  readonly store: Store;
  readonly telemetry: Telemetry;
}

/**
 * Prunes once: one delete per group of states of equal age, each of at most `limit` jobs (oldest
 * first), so no delete holds the store for long and a backlog of one state does not starve the
 * others. Returns how many jobs were deleted.
 */
export async function prune({ store, telemetry, ages, limit }: PrunerDeps): Promise<number> {
  const now = store.now();
  let pruned = 0;
  for (const { states, maxAgeMs } of ages) {
    pruned += await store.pruneJobs({ before: Math.max(0, now - maxAgeMs), states, limit });
  }
  if (pruned > 0) telemetry.emit('pruner.prune', { pruned });
  return pruned;
}

/** The pruner's child spec. */
export function prunerSpec(deps: PrunerDeps): ChildSpec {
  return Supervisor.periodic('pruner', () => prune(deps), deps.intervalMs);
}

const PRUNE_KEYS = ['completed', 'cancelled', 'discarded', 'maxAgeMs', 'intervalMs', 'limit'];
const EXPECTED = 'an object `{ completed, cancelled, discarded, maxAgeMs, intervalMs, limit }` or false';

/** Validates the `prune` option and applies the defaults (null: pruning is off). */
export function pruneSettings(value: StewardOptions['prune']): PruneSettings | null {
  if (value === false) return null;
  const p = value ?? {};
  if (typeof p !== 'object' || p === null || Array.isArray(p)) throw invalidArgument('prune', EXPECTED, p);
  checkKeys('prune', p, PRUNE_KEYS);
  const all = p.maxAgeMs === undefined ? undefined : positiveMs('prune.maxAgeMs', p.maxAgeMs);
  const byAge = new Map<number, JobState[]>();
  for (const state of PRUNED_STATES) {
    const given = p[state];
    if (given === false) continue; // kept forever
    const age =
      given === undefined ? (all ?? DEFAULT_RETENTION[state]) : positiveMs(`prune.${state}`, given, true);
    const states = byAge.get(age) ?? [];
    if (states.length === 0) byAge.set(age, states);
    states.push(state);
  }
  const limit = p.limit ?? 10_000;
  if (typeof limit !== 'number' || !Number.isSafeInteger(limit) || limit < 1) {
    throw invalidArgument('prune.limit', 'a positive integer (the most jobs one delete removes)', limit);
  }
  return {
    ages: [...byAge].map(([maxAgeMs, states]) => ({ states, maxAgeMs })),
    intervalMs: positiveMs('prune.intervalMs', p.intervalMs ?? 60_000),
    limit,
  };
}

function positiveMs(name: string, value: unknown, orFalse = false): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) {
    const expected = 'a positive finite number of milliseconds';
    throw invalidArgument(name, orFalse ? `${expected}, or false (keep forever)` : expected, value);
  }
  // Store times are whole ms: an age of 1.5 ms means "older than 2 ms ago", never a fraction.
  return Math.ceil(value);
}
