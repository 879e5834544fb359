/**
 * The monitor, the seed's `JobQueue.Monitor`: a periodic child of the supervision tree
 * that, every interval, counts jobs by queue and state (one `countJobs` call), takes the
 * statistics, emits `monitor.report`, and — when asked — logs it as one line. The metrics
 * read the report too: it gives the per-second series its queue depth.
 */
import type { Logger } from 'pino';
import { coerceError } from '../runtime/errors.js';
import { report as reportCrash } from '../runtime/report.js';
import { Supervisor } from '../runtime/supervisor.js';
import type { ChildSpec } from '../runtime/supervisor.js';
import { JOB_STATES } from '../store/types.js';
import type { JobState, Store } from '../store/types.js';
import type { Telemetry } from './instrument.js';
import type { Metrics } from './metrics.js';
import type { TelemetryEvents } from './telemetry.js';

/** One report: what `monitor.report` carries. */
export type MonitorReport = TelemetryEvents['monitor.report'];

/** Where a report line goes. */
export type MonitorSink = (line: string, report: MonitorReport) => void;

/** What the monitor needs. */
export interface MonitorDeps {
  readonly store: Store;
  readonly telemetry: Telemetry;
  readonly metrics: Metrics;
  readonly intervalMs: number;
  /** Where report lines go; null: nowhere (the event is still emitted). */
  readonly log: MonitorSink | null;
}

/**
 * The sink for the `monitor.log` option: a function gets the line; true writes it to the
 * logger at info with the report's figures as fields (forced on for the monitor even when
 * the logger's level is higher: you asked for it), or to stdout when there is no logger.
 */
export function monitorSink(
  log: boolean | ((line: string) => void),
  logger: Logger | null,
): MonitorSink | null {
  if (typeof log === 'function') return (line) => log(line);
  if (!log) return null;
  if (logger === null) return (line) => console.log(line);
  const child = logger.child(
    { component: 'monitor' },
    logger.isLevelEnabled('info') ? {} : { level: 'info' },
  );
  return (line, { counts, queues, stats }) => {
    const { byQueue: _q, byKind: _k, recentErrors: _e, ...totals } = stats;
    child.info({ counts, queues, stats: totals }, line);
  };
}

/** Sums per-queue counts into counts by state over every queue. */
export function totalByState(
  queues: Readonly<Record<string, Readonly<Partial<Record<JobState, number>>>>>,
): Record<JobState, number> {
  const counts = Object.fromEntries(JOB_STATES.map((s) => [s, 0])) as Record<JobState, number>;
  for (const byState of Object.values(queues)) {
    for (const state of JOB_STATES) counts[state] += byState[state] ?? 0;
  }
  return counts;
}

/** Jobs not yet final in `counts`. */
function queuedOf(counts: Readonly<Partial<Record<JobState, number>>>): number {
  return (counts.scheduled ?? 0) + (counts.available ?? 0) + (counts.waiting ?? 0) + (counts.retryable ?? 0);
}

/** The report as one line: totals, then each queue's queued and executing jobs. */
export function formatReport({ at, counts, queues, stats: s }: MonitorReport): string {
  const perQueue = Object.keys(queues)
    .sort()
    .map((q) => `${q}[queued=${queuedOf(queues[q]!)} executing=${queues[q]!.executing ?? 0}]`);
  return (
    `[steward] ${new Date(at).toISOString()} queued=${queuedOf(counts)} executing=${counts.executing} ` +
    `enqueued=${s.enqueued} completed=${s.completed} failed=${s.failed} retried=${s.retried} ` +
    `discarded=${s.discarded} cancelled=${s.cancelled} inProgress=${s.inProgress} ` +
    `avgRunMs=${s.avgRunMs.toFixed(1)} p95RunMs=${s.p95RunMs.toFixed(1)}` +
    (perQueue.length > 0 ? ` | ${perQueue.join(' ')}` : '')
  );
}

/** One monitor tick: count, report, log. */
export async function monitorTick({ store, telemetry, metrics, log }: MonitorDeps): Promise<MonitorReport> {
  const [queues, stats] = await Promise.all([store.countJobs(), metrics.stats()]);
  const report: MonitorReport = { at: store.now(), counts: totalByState(queues), queues, stats };
  telemetry.emit('monitor.report', report);
  if (log) {
    try {
      log(formatReport(report), report);
    } catch (err) {
      // A broken log function is reported, not allowed to crash-loop the monitor.
      reportCrash({
        source: 'steward',
        name: 'monitor',
        event: 'monitor.log_failed',
        reason: coerceError(err),
      });
    }
  }
  return report;
}

/** The monitor's child spec: a tick every `intervalMs` (a failing tick crashes it; the tree restarts it). */
export function monitorSpec(deps: MonitorDeps): ChildSpec {
  return Supervisor.periodic('monitor', () => monitorTick(deps), deps.intervalMs);
}
