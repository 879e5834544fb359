/**
 * The demo's end: the seed's final `JobQueue.stats()` and `JobQueue.queue_size()`, taken from
 * `steward.stats()`, plus an account of every job of the run read back from the store — so the
 * verdict rests on what the store holds, not on counters that a crash or a rescue could skew.
 */
import type { JobRecord, JobState, Steward, StewardStats } from '../index.js';
import { BROKEN_KIND } from './demo-jobs.js';
import { count } from './demo-live.js';

/** Jobs by where they ended. `queued`: not final yet (only after an interrupt). */
export interface JobTally {
  total: number;
  completed: number;
  discarded: number;
  cancelled: number;
  queued: number;
}

/** A discarded job: the dead-letter queue's entry, with every attempt's error. */
export interface DeadLetter {
  readonly id: string;
  readonly kind: string;
  readonly attempts: number;
  readonly errors: readonly string[];
}

/** What `runDemo` reports (printed, or as JSON with --json). */
export interface DemoSummary {
  /** `fresh`: this run enqueued its jobs; `resume`: it finished an earlier run's. */
  readonly mode: 'fresh' | 'resume';
  /** The run ids (`run:<id>` tags) the jobs belong to. */
  readonly runs: readonly string[];
  readonly store: string;
  readonly concurrency: number;
  readonly speed: number;
  /** Every job of this run by final state, in all and per kind: total = completed + discarded + cancelled + queued. */
  readonly jobs: JobTally & { readonly byKind: Readonly<Record<string, JobTally>> };
  /** Broken jobs are expected to end discarded; every other job completed. */
  readonly expected: { readonly completed: number; readonly discarded: number };
  /** Jobs that ended in another final state than expected (the first 20). */
  readonly unexpected: readonly { readonly id: string; readonly kind: string; readonly state: JobState }[];
  readonly unexpectedCount: number;
  /** Jobs of the plan never enqueued: the stress test's submitters were stopped by an interrupt. */
  readonly notSubmitted: number;
  /** Jobs of this run no longer in the store (deleted by hand meanwhile): should be 0. */
  readonly missing: number;
  /** This run's dead letters (the first 20 listed). */
  readonly deadLetters: { readonly count: number; readonly jobs: readonly DeadLetter[] };
  /** The seed's final `JobQueue.stats()`: this process's counters (attempts, not jobs, for started/failed). */
  readonly stats: Omit<StewardStats, 'byQueue' | 'byKind' | 'recentErrors'> & {
    readonly recentErrors: readonly {
      readonly jobId: string;
      readonly kind: string;
      readonly attempt: number;
      readonly message: string;
    }[];
  };
  /** The seed's final `JobQueue.queue_size()`: jobs of the demo queue not final yet. */
  readonly queueSize: number;
  readonly wallMs: number;
  /** Jobs of this run finished per second of wall time. */
  readonly jobsPerSecond: number;
  /** Stopped by Ctrl-C (or the caller's signal) before the end. */
  readonly interrupted: boolean;
  /** Every job ended as expected and nothing is left (false when interrupted). */
  readonly ok: boolean;
}

/** Facts of the run the summary needs besides the store. */
export interface RunFacts {
  readonly mode: 'fresh' | 'resume';
  readonly runs: readonly string[];
  readonly store: string;
  readonly concurrency: number;
  readonly speed: number;
  readonly ids: readonly string[];
  /** Jobs planned but never enqueued (an interrupt stopped the submitters). */
  readonly notSubmitted: number;
  readonly wallMs: number;
  readonly interrupted: boolean;
  readonly queue: string;
}

const LISTED = 20;

/** Reads back every job of the run and the stats, and builds the summary. */
export async function buildSummary(steward: Steward, facts: RunFacts): Promise<DemoSummary> {
  const jobs = await readJobs(steward, facts.ids);
  const tally = emptyTally();
  const byKind: Record<string, JobTally> = {};
  const unexpected: { id: string; kind: string; state: JobState }[] = [];
  const dead: DeadLetter[] = [];
  let deadCount = 0;
  let brokenJobs = 0;
  for (const job of jobs) {
    const where = bucket(job.state);
    tally.total++;
    tally[where]++;
    const kindTally = (byKind[job.kind] ??= emptyTally());
    kindTally.total++;
    kindTally[where]++;
    if (job.kind === BROKEN_KIND) brokenJobs++;
    if (job.state === 'discarded') {
      deadCount++;
      if (dead.length < LISTED) {
        dead.push({
          id: job.id,
          kind: job.kind,
          attempts: job.attempt,
          errors: job.errors.map((e) => e.message),
        });
      }
    }
    const expected: JobState = job.kind === BROKEN_KIND ? 'discarded' : 'completed';
    if (where !== 'queued' && job.state !== expected)
      unexpected.push({ id: job.id, kind: job.kind, state: job.state });
  }
  const stats = await steward.stats();
  const queueSize = await steward.queueSize(facts.queue);
  const { byQueue: _q, byKind: _k, recentErrors, ...counters } = stats;
  const finished = tally.completed + tally.discarded + tally.cancelled;
  return {
    mode: facts.mode,
    runs: facts.runs,
    store: facts.store,
    concurrency: facts.concurrency,
    speed: facts.speed,
    jobs: { ...tally, byKind },
    expected: { completed: tally.total - brokenJobs, discarded: brokenJobs },
    unexpected: unexpected.slice(0, LISTED),
    unexpectedCount: unexpected.length,
    notSubmitted: facts.notSubmitted,
    missing: facts.ids.length - jobs.length,
    deadLetters: { count: deadCount, jobs: dead },
    stats: {
      ...counters,
      recentErrors: recentErrors
        .slice(0, 10)
        .map(({ jobId, kind, attempt, message }) => ({ jobId, kind, attempt, message })),
    },
    queueSize,
    wallMs: facts.wallMs,
    jobsPerSecond: facts.wallMs > 0 ? (finished * 1000) / facts.wallMs : 0,
    interrupted: facts.interrupted,
    ok:
      !facts.interrupted &&
      unexpected.length === 0 &&
      facts.ids.length === jobs.length &&
      tally.queued === 0 &&
      queueSize === 0,
  };
}

/** The summary as the lines the demo prints at the end. */
export function summaryLines(s: DemoSummary): string[] {
  const st = s.stats;
  const ms = (v: number): string => `${v.toFixed(v < 10 ? 1 : 0)} ms`;
  const lines = [
    '',
    `final stats: enqueued ${count(st.enqueued)} · started ${count(st.started)} · completed ${count(st.completed)}` +
      ` · failed ${count(st.failed)} (${count(st.retried)} retried) · discarded ${count(st.discarded)}` +
      ` · cancelled ${count(st.cancelled)} · in progress ${count(st.inProgress)}`,
    `average time ${ms(st.avgRunMs)} (p50 ${ms(st.p50RunMs)} · p95 ${ms(st.p95RunMs)} · p99 ${ms(st.p99RunMs)})`,
  ];
  if (st.recentErrors.length > 0) {
    const shown = st.recentErrors
      .slice(0, 3)
      .map((e) => `${e.kind} #${e.jobId} attempt ${e.attempt}: ${e.message}`);
    lines.push(`recent errors: ${shown.join('; ')}`);
  }
  lines.push(deadLetterLine(s));
  lines.push(`queue size: ${count(s.queueSize)}`);
  const j = s.jobs;
  lines.push(
    `jobs of this run: ${count(j.total)} = ${count(j.completed)} completed + ${count(j.discarded)} discarded` +
      ` + ${count(j.cancelled)} cancelled + ${count(j.queued)} queued` +
      (s.missing > 0 ? ` (and ${count(s.missing)} missing: deleted meanwhile)` : ''),
  );
  lines.push(`wall time ${(s.wallMs / 1000).toFixed(1)} s · ${count(s.jobsPerSecond)} jobs/s`);
  lines.push(verdictLine(s));
  return lines;
}

function deadLetterLine(s: DemoSummary): string {
  const d = s.deadLetters;
  if (d.count === 0) return 'dead letters: 0';
  const byKind = new Map<string, number>();
  for (const job of d.jobs) byKind.set(job.kind, (byKind.get(job.kind) ?? 0) + 1);
  const kinds = [...byKind].map(([kind, n]) => `${kind} ×${n}`).join(', ');
  const kept = d.jobs.every((job) => job.errors.length === job.attempts)
    ? ", every attempt's error kept"
    : '';
  return `dead letters: ${count(d.count)} (${kinds}${d.count > d.jobs.length ? ', …' : ''}${kept})`;
}

function verdictLine(s: DemoSummary): string {
  if (s.interrupted) {
    const never = s.notSubmitted > 0 ? `; ${count(s.notSubmitted)} stress jobs were never submitted` : '';
    return `interrupted: ${count(s.jobs.queued)} jobs of this run are not finished${never}`;
  }
  if (s.ok) {
    return s.expected.discarded === 0
      ? 'ok: every job completed'
      : `ok: every job completed, except the ${plural(s.expected.discarded, 'broken one')}, discarded as expected`;
  }
  const wrong = s.unexpected.map((u) => `${u.kind} #${u.id} ${u.state}`).join(', ');
  const gone = s.missing > 0 ? `; ${count(s.missing)} missing` : '';
  const left =
    s.jobs.queued + s.queueSize > 0 ? `; ${count(Math.max(s.jobs.queued, s.queueSize))} still queued` : '';
  return `NOT OK: ${count(s.unexpectedCount)} jobs did not end as expected${wrong ? ` (${wrong})` : ''}${left}${gone}`;
}

/** `1 broken one`, `2 broken ones`. */
function plural(n: number, noun: string): string {
  return `${count(n)} ${noun}${n === 1 ? '' : 's'}`;
}

function bucket(state: JobState): Exclude<keyof JobTally, 'total'> {
  return state === 'completed' || state === 'discarded' || state === 'cancelled' ? state : 'queued';
}

function emptyTally(): JobTally {
  return { total: 0, completed: 0, discarded: 0, cancelled: 0, queued: 0 };
}

/** Reads the jobs by id, a chunk at a time (a missing one, deleted by hand meanwhile, is skipped). */
async function readJobs(steward: Steward, ids: readonly string[]): Promise<JobRecord[]> {
  const out: JobRecord[] = [];
  for (let i = 0; i < ids.length; i += 500) {
    const chunk = await Promise.all(ids.slice(i, i + 500).map((id) => steward.getJob(id)));
    for (const job of chunk) if (job) out.push(job);
  }
  return out;
}
