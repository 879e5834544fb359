/**
 * `steward stats`: what the store knows — jobs per queue and state, paused queues, recent errors,
 * mean run time of recent completions — in the shape of the seed's final `JobQueue.stats()` block.
 *
 * Not `Steward.stats()`: its counters (enqueued, started, failed attempts, percentiles) are kept by
 * the process that runs the jobs, so in this short-lived process they would all be zero. A
 * running node prints them with `steward start --monitor <ms>`.
 */
import { Command } from 'commander';
import { FINAL_STATES, JOB_STATES } from '../../index.js';
import type { JobCounts, JobRecord, JobState, Store } from '../../index.js';
import { excerpt, json, numberTable, relative } from '../format.js';
import type { Cli } from '../io.js';
import { withStore } from '../store.js';

/** Completed jobs the mean run time is taken over (the newest ones still stored). */
const RUN_TIME_SAMPLE = 1000;
/** Failed jobs searched for recent errors, and errors shown (the seed keeps 10). */
const ERROR_SAMPLE = 100;
const ERRORS_SHOWN = 10;

/** The store's view of the system, as `stats --json` prints it. */
export interface StoreStats {
  readonly store: string;
  /** Per queue: whether it is paused, its jobs per state, and how many are not final yet. */
  readonly queues: Record<
    string,
    { paused: boolean; counts: Record<JobState, number>; queued: number; total: number }
  >;
  /** Every queue together. */
  readonly counts: Record<JobState, number>;
  /** Jobs not final yet (the seed's queue_size). */
  readonly queued: number;
  /** Jobs stored (the seed's enqueued, less what was pruned). */
  readonly total: number;
  /** Mean run time (finished − last attempt started) of the newest completed jobs, ms; null: none. */
  readonly avgRunMs: number | null;
  /** How many completed jobs that mean is over. */
  readonly avgRunSample: number;
  /** The newest errors of jobs now retryable or discarded, newest first. */
  readonly recentErrors: {
    jobId: string;
    kind: string;
    queue: string;
    attempt: number;
    message: string;
    at: number;
  }[];
}

/** `steward stats`: queue sizes and the seed's stats block, from the store. */
export function statsCommand(cli: Cli): Command {
  return new Command('stats')
    .description("show jobs per queue and state, and the seed's stats block, from what the store holds")
    .option('--json', 'print the figures as JSON')
    .addHelpText(
      'after',
      `
Every figure comes from the store, so it covers every worker sharing it. Live per-process counters
(attempts started and failed, run-time percentiles) are kept by the process that runs the jobs:
see them with "steward start --monitor <ms>".

Examples:
  $ steward stats
  $ steward stats --json | jq .queued`,
    )
    .action(async (opts: { json?: boolean }, cmd: Command) => {
      await withStore(cmd, cli.io, { mustExist: true }, async (store, where) => {
        const stats = await storeStats(store, where.url);
        cli.io.stdout(opts.json ? json(stats) : renderStats(stats, store.now()));
      });
    });
}

/** Zero for every state. */
export function zeroCounts(): Record<JobState, number> {
  return Object.fromEntries(JOB_STATES.map((s) => [s, 0])) as Record<JobState, number>;
}

/** Per-queue counts with every state present, plus the totals, from `countJobs`. */
export function fullCounts(raw: JobCounts): {
  queues: Record<string, Record<JobState, number>>;
  all: Record<JobState, number>;
} {
  const all = zeroCounts();
  const queues: Record<string, Record<JobState, number>> = {};
  for (const name of Object.keys(raw).sort()) {
    const counts = zeroCounts();
    for (const state of JOB_STATES) {
      counts[state] = raw[name]?.[state] ?? 0;
      all[state] += counts[state];
    }
    queues[name] = counts;
  }
  return { queues, all };
}

/** Jobs not final yet in `counts`. */
export function queuedOf(counts: Record<JobState, number>): number {
  return JOB_STATES.filter((s) => !FINAL_STATES.includes(s)).reduce((n, s) => n + counts[s], 0);
}

function sum(counts: Record<JobState, number>): number {
  return JOB_STATES.reduce((n, s) => n + counts[s], 0);
}

/** Reads the store's figures. */
export async function storeStats(store: Store, url: string): Promise<StoreStats> {
  const [raw, queueInfo, completed, failed] = await Promise.all([
    store.countJobs(),
    store.listQueues(),
    store.listJobs({ state: 'completed', order: 'desc', limit: RUN_TIME_SAMPLE }),
    store.listJobs({ state: ['retryable', 'discarded'], order: 'desc', limit: ERROR_SAMPLE }),
  ]);
  const { queues: byQueue, all } = fullCounts(raw);
  const paused = new Set(queueInfo.filter((q) => q.paused).map((q) => q.name));
  const queues: StoreStats['queues'] = {};
  // Paused queues without jobs still show, so a pause is visible.
  for (const name of [...new Set([...Object.keys(byQueue), ...paused])].sort()) {
    const counts = byQueue[name] ?? zeroCounts();
    queues[name] = { paused: paused.has(name), counts, queued: queuedOf(counts), total: sum(counts) };
  }
  const runs = completed.flatMap((j) =>
    j.attemptedAt !== null && j.finishedAt !== null ? [j.finishedAt - j.attemptedAt] : [],
  );
  return {
    store: url,
    queues,
    counts: all,
    queued: queuedOf(all),
    total: sum(all),
    avgRunMs: runs.length === 0 ? null : runs.reduce((a, b) => a + b, 0) / runs.length,
    avgRunSample: runs.length,
    recentErrors: recentErrors(failed),
  };
}

function recentErrors(jobs: readonly JobRecord[]): StoreStats['recentErrors'] {
  return jobs
    .flatMap((j) => {
      const e = j.errors[j.errors.length - 1];
      return e === undefined
        ? []
        : [{ jobId: j.id, kind: j.kind, queue: j.queue, attempt: e.attempt, message: e.message, at: e.at }];
    })
    .sort((a, b) => b.at - a.at)
    .slice(0, ERRORS_SHOWN);
}

/** The per-queue × per-state table (shared with `top`). */
export function countsTable(
  queues: Record<string, { paused: boolean; counts: Record<JobState, number>; total: number }>,
  all: Record<JobState, number>,
  extra?: { header: string; cell: (queue: string | null) => string },
): string {
  const names = Object.keys(queues);
  if (names.length === 0) return 'no jobs\n';
  const header = [
    'QUEUE',
    ...JOB_STATES.map((s) => s.toUpperCase()),
    'TOTAL',
    ...(extra ? [extra.header] : []),
  ];
  const row = (
    label: string,
    counts: Record<JobState, number>,
    total: number,
    queue: string | null,
  ): string[] => [
    label,
    ...JOB_STATES.map((s) => String(counts[s])),
    String(total),
    ...(extra ? [extra.cell(queue)] : []),
  ];
  const rows = names.map((n) => {
    const q = queues[n]!;
    return row(q.paused ? `${n} (paused)` : n, q.counts, q.total, n);
  });
  if (names.length > 1) rows.push(row('all', all, sum(all), null));
  return numberTable(header, rows);
}

/** The human form: the table, then the seed's block. */
export function renderStats(s: StoreStats, now: number): string {
  let out = `Store ${s.store}: jobs per queue and state\n\n`;
  out += countsTable(s.queues, s.counts);
  const completed = s.counts.completed;
  out += `\nStats (the seed's JobQueue.stats(), from the store; pruned jobs are not counted):\n`;
  out += `  enqueued     ${s.total} stored\n`;
  out += `  queue size   ${s.queued} not finished (${s.counts.available} available, ${s.counts.scheduled} scheduled, ${s.counts.retryable} retryable, ${s.counts.waiting} waiting)\n`;
  out += `  in progress  ${s.counts.executing}\n`;
  out += `  completed    ${completed}\n`;
  out += `  failed       ${s.counts.discarded} discarded (dead letters), ${s.counts.retryable} awaiting a retry\n`;
  out += `  cancelled    ${s.counts.cancelled}\n`;
  out +=
    s.avgRunMs === null
      ? `  avg run      - (no completed jobs)\n`
      : `  avg run      ${s.avgRunMs.toFixed(1)} ms (the newest ${s.avgRunSample} completed jobs)\n`;
  if (s.recentErrors.length === 0) return `${out}  recent errors: none\n`;
  out += `  recent errors (jobs now retryable or discarded, newest first):\n`;
  for (const e of s.recentErrors) {
    out += `    job ${e.jobId} ${e.kind} (${e.queue}) attempt ${e.attempt}, ${relative(e.at, now)}: ${excerpt(e.message, 70)}\n`;
  }
  return out;
}
