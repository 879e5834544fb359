/**
 * Drill 2 — a non-awaited task: a periodic metrics reporter, supervised. Where the
 * seed loops forever with Process.sleep, ours is a `Supervisor.periodic` child: the
 * Supervisor restarts it when a report crashes, and `stop()` ends it gracefully —
 * a report in progress finishes, and no timer is left behind.
 *
 * Run: npx tsx examples/drill2-metrics-reporter.ts
 */
import { Supervisor } from '../src/runtime/index.js';
import { isMain } from './support/is-main.js';

/** One report: the seed's memory, process count and timestamp, in Node's terms. */
export interface SystemMetrics {
  /** Resident set size, bytes (the seed's :erlang.memory(:total)). */
  readonly memory: number;
  /** Active handles and requests keeping the event loop busy (the closest thing to a process count). */
  readonly activeResources: number;
  /** Seconds since the epoch. */
  readonly timestamp: number;
}

/** Reads the metrics the reporter prints. */
export function collectMetrics(): SystemMetrics {
  return {
    memory: process.memoryUsage().rss,
    activeResources: process.getActiveResourcesInfo().length,
    timestamp: Math.floor(Date.now() / 1000),
  };
}

/** Options for {@link startReporter}. */
export interface ReporterOptions {
  /** Between two reports, in ms. @default 5000 */
  intervalMs?: number;
  /** Where a report goes. @default console.log */
  sink?: (metrics: SystemMetrics) => void;
  /** Collects a report; replaceable so a test can make it crash. @default collectMetrics */
  collect?: () => SystemMetrics;
}

/** Starts a supervision tree whose one child reports metrics every `intervalMs`. */
export function startReporter(opts: ReporterOptions = {}): Promise<Supervisor> {
  const {
    intervalMs = 5000,
    sink = (m) => console.log('System Metrics', m),
    collect = collectMetrics,
  } = opts;
  return Supervisor.start(
    [Supervisor.periodic('metrics_reporter', () => sink(collect()), intervalMs, { runImmediately: true })],
    { name: 'drill2', strategy: 'one_for_one' },
  );
}

/** Runs the reporter for a few intervals, crashes one report on purpose, then stops. */
export async function main(intervalMs = 500): Promise<void> {
  let reports = 0;
  const tree = await startReporter({
    intervalMs,
    collect: () => {
      reports += 1;
      if (reports === 3) throw new Error('report 3 crashes on purpose');
      return collectMetrics();
    },
  });
  tree.on('child.restarted', ({ id }) => console.log(`supervisor restarted ${id} after its crash`));
  await new Promise((resolve) => setTimeout(resolve, intervalMs * 5));
  await tree.stop();
  console.log(`stopped gracefully after ${reports} reports`);
}

if (isMain(import.meta.url)) await main();
