/**
 * The parts of a demo run that touch the store: finding an earlier run's unfinished jobs,
 * enqueueing a fresh run (the scenario in one batch, the stress test from concurrent
 * submitters one job at a time, as the seed's do), and watching until nothing is left.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { JobRecord, JobState, Steward } from '../index.js';
import { DEMO_QUEUE, DEMO_TAG } from './demo-jobs.js';
import type { PlannedJob } from './demo-jobs.js';
import type { LiveSnapshot, LiveView } from './demo-live.js';

/** States a job of a killed or interrupted run can be left in. */
export const UNFINISHED: readonly JobState[] = [
  'scheduled',
  'available',
  'waiting',
  'executing',
  'retryable',
];

/** The tags of a demo job of run `runId` in `phase`. */
export function demoTags(runId: string, phase: 'scenario' | 'stress'): string[] {
  return [DEMO_TAG, `run:${runId}`, `phase:${phase}`];
}

/** The run ids (from `run:<id>` tags) of some jobs, in first-seen order. */
export function runsOf(jobs: readonly JobRecord[]): string[] {
  const runs = new Set<string>();
  for (const job of jobs) for (const tag of job.tags) if (tag.startsWith('run:')) runs.add(tag.slice(4));
  return [...runs];
}

/** Every demo job not yet final (an earlier run killed or interrupted), oldest first. */
export async function findUnfinished(steward: Steward): Promise<JobRecord[]> {
  const found: JobRecord[] = [];
  let after: string | undefined;
  for (;;) {
    const page = await steward.listJobs({
      queue: DEMO_QUEUE,
      state: UNFINISHED,
      limit: 1000,
      ...(after === undefined ? {} : { after }),
    });
    for (const job of page) if (job.tags.includes(DEMO_TAG)) found.push(job);
    if (page.length < 1000) return found;
    after = page[page.length - 1]?.id;
  }
}

/** Enqueues the scenario's jobs in one atomic batch: a kill leaves all of them or none. */
export async function enqueueScenario(
  steward: Steward,
  jobs: readonly PlannedJob[],
  tags: readonly string[],
): Promise<string[]> {
  const records = await steward.enqueueMany(
    jobs.map((j) => ({ kind: j.kind, payload: j.payload, opts: { priority: j.priority, tags } })),
  );
  return records.map((r) => r.id);
}

/**
 * The seed's stress test: `submitters` concurrent submitters, each enqueueing `perSubmitter`
 * compute jobs one at a time while the workers run. Stops early when `signal` aborts;
 * `onInserted` hears of each job as it is stored.
 */
export async function stressTest(
  steward: Steward,
  submitters: number,
  perSubmitter: number,
  tags: readonly string[],
  signal: AbortSignal,
  onInserted: (id: string) => void,
): Promise<void> {
  // No yielding of our own: each enqueue resolves after its group commit, which waits for a turn
  // of the event loop, so the workers' timers run between inserts and the 10 submitters' inserts
  // of one turn share a commit.
  await Promise.all(
    Array.from({ length: submitters }, async () => {
      for (let i = 1; i <= perSubmitter && !signal.aborted; i++) {
        const job = await steward.enqueue('compute', { n: i }, { tags });
        onInserted(job.id);
      }
    }),
  );
}

/** What `watch` reads and feeds. */
export interface WatchDeps {
  readonly steward: Steward;
  readonly view: LiveView;
  /** The run's total, and how many of its jobs are stored so far. */
  readonly total: () => number;
  readonly inserted: () => number;
  /** Whether every job of the run has been enqueued (the stress submitters are done). */
  readonly allInserted: () => boolean;
  /** A failure of the submitters, rethrown here so the run ends with it. */
  readonly failed: () => unknown;
  readonly signal: AbortSignal;
  readonly startedAt: number;
  /** How often to look, ms. @default 100 */
  readonly tickMs?: number;
}

/**
 * Watches the demo queue until every job of the run is enqueued and final (`done`) or the
 * signal aborts (`interrupted`), feeding the live view a snapshot every tick. Finished jobs are
 * the stored ones less the demo queue's unfinished count: it includes jobs rescued or discarded
 * by the store itself, which no event of this process reports.
 */
export async function watch(d: WatchDeps): Promise<{ outcome: 'done' | 'interrupted'; last: LiveSnapshot }> {
  const samples: { at: number; finished: number }[] = [];
  for (;;) {
    const failure = d.failed();
    if (failure !== undefined) throw failure;
    const [counts, stats] = await Promise.all([d.steward.store.countJobs(), d.steward.stats()]);
    const byState = counts[DEMO_QUEUE] ?? {};
    const unfinished = UNFINISHED.reduce((sum, state) => sum + (byState[state] ?? 0), 0);
    const now = performance.now();
    const total = d.total();
    const finished = Math.min(total, Math.max(0, d.inserted() - unfinished));
    samples.push({ at: now, finished });
    while (samples.length > 2 && now - (samples[0]?.at ?? now) > 2000) samples.shift();
    const first = samples[0] ?? { at: now, finished };
    const snapshot: LiveSnapshot = {
      elapsedMs: now - d.startedAt,
      total,
      finished,
      completed: stats.completed,
      retried: stats.retried,
      dead: stats.discarded,
      running: stats.inProgress,
      perSecond: now > first.at ? ((finished - first.finished) * 1000) / (now - first.at) : 0,
    };
    if (d.allInserted() && unfinished === 0) return { outcome: 'done', last: snapshot };
    if (d.signal.aborted) return { outcome: 'interrupted', last: snapshot };
    d.view.update(snapshot);
    await sleep(d.tickMs ?? 100, undefined, { signal: d.signal }).catch(() => {});
  }
}
