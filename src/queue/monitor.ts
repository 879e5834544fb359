/**
 * The monitor, the seed's `JobQueue.Monitor`: every interval it counts jobs by state,
 * emits `monitor.report`, and (when asked) logs one line of queue sizes and stats.
 * A placeholder the metrics work extends; the supervision tree only needs its child spec.
 */
import { Supervisor } from '../runtime/supervisor.js';
import type { ChildSpec } from '../runtime/supervisor.js';
import { JOB_STATES } from '../store/types.js';
import type { JobState, Store } from '../store/types.js';
import type { Telemetry } from './instrument.js';
import type { Metrics } from './metrics.js';

/** What the monitor needs. */
export interface MonitorDeps {
  readonly store: Store;
  readonly telemetry: Telemetry;
  readonly metrics: Metrics;
  readonly intervalMs: number;
  /** Where report lines go; null: nowhere (the event is still emitted). */
  readonly log: ((line: string) => void) | null;
}

/** Counts jobs by state over every queue. */
export async function countByState(store: Store): Promise<Record<JobState, number>> {
  const counts = Object.fromEntries(JOB_STATES.map((s) => [s, 0])) as Record<JobState, number>;
  for (const byState of Object.values(await store.countJobs())) {
    for (const [state, n] of Object.entries(byState) as [JobState, number][]) counts[state] += n;
  }
  return counts;
}

/** One monitor tick. */
export async function monitorTick({ store, telemetry, metrics, log }: MonitorDeps): Promise<void> {
  const counts = await countByState(store);
  const at = store.now();
  telemetry.emit('monitor.report', { at, counts });
  if (!log) return;
  const s = await metrics.stats();
  const queued = counts.scheduled + counts.available + counts.waiting + counts.retryable;
  log(
    `[steward] ${new Date(at).toISOString()} queued=${queued} executing=${counts.executing} ` +
      `enqueued=${s.enqueued} completed=${s.completed} failed=${s.failed} discarded=${s.discarded} ` +
      `cancelled=${s.cancelled} inProgress=${s.inProgress} avgRunMs=${s.avgRunMs.toFixed(1)}`,
  );
}

/** The monitor's child spec. */
export function monitorSpec(deps: MonitorDeps): ChildSpec {
  return Supervisor.periodic('monitor', () => monitorTick(deps), deps.intervalMs);
}
