/**
 * The lifeline: rescues jobs whose lease ran out (their worker died or hung) — back to
 * available, or discarded when out of attempts — every leaseMs / 2, so a job is never
 * stuck in `executing` for much longer than its lease.
 */
import { Supervisor } from '../runtime/supervisor.js';
import type { ChildSpec } from '../runtime/supervisor.js';
import type { Store } from '../store/types.js';
import type { Telemetry } from './instrument.js';

/** What the lifeline needs. */
export interface LifelineDeps {
  readonly store: Store;
  readonly telemetry: Telemetry;
  readonly leaseMs: number;
  /** Called after jobs were rescued, so producers fetch them. */
  readonly onRescued: () => void;
}

/** Rescues expired leases once. */
export async function rescue({ store, telemetry, onRescued }: LifelineDeps): Promise<void> {
  const jobs = await store.rescueJobs();
  if (jobs.length === 0) return;
  telemetry.emit('job.rescue', { jobs });
  onRescued();
}

/** The lifeline's child spec (it also runs once at start, to pick up what a previous run left behind). */
export function lifelineSpec(deps: LifelineDeps): ChildSpec {
  return Supervisor.periodic('lifeline', () => rescue(deps), Math.max(1, Math.floor(deps.leaseMs / 2)), {
    runImmediately: true,
  });
}
