/**
 * The state inside the metrics Agent and how telemetry changes it. Counters are kept
 * once per (queue, kind) pair — the finest grain Prometheus exports — and the totals,
 * per-queue and per-kind figures are sums made when somebody reads them, so an event
 * touches one object. Events arrive in batches (see metrics.ts) stamped with one time.
 *
 * In progress is not counted from events: it is read from this node's registry of
 * executions when somebody asks, so it is exact and can never go negative. Events alone
 * cannot promise that: a start whose end is never emitted (the outcome's write failed) or
 * is emitted without its job (a lost lease) would leave a counter drifting, and tracking
 * every running id here would cost a hash-table insert and delete per job.
 */
import type { JobRecord } from '../store/types.js';
import { RunTimes } from './metrics-histogram.js';
import { SecondRing } from './metrics-series.js';
import type { TelemetryEvent, TelemetryEvents } from './telemetry.js';
import type { StatsCounters, StewardStats } from './types.js';

/** Upper bounds of the Prometheus duration buckets, ms (exported in seconds). */
export const DURATION_BUCKETS_MS: readonly number[] = [
  1, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10_000, 30_000, 60_000, 300_000,
];

/** Errors kept. */
export const RECENT_ERRORS = 100;

/** The counters of one (queue, kind) pair. */
export class Series {
  enqueued = 0;
  started = 0;
  completed = 0;
  failed = 0;
  retried = 0;
  discarded = 0;
  cancelled = 0;
  released = 0;
  /** Run times of completed attempts. */
  readonly runs = new RunTimes();
  /** Completed attempts per Prometheus bucket (not cumulative; the last slot is past the last bound). */
  readonly le = new Float64Array(DURATION_BUCKETS_MS.length + 1);

  /** The counters of jobs of `kind` on `queue`, all zero. */
  constructor(
    readonly queue: string,
    readonly kind: string,
  ) {}

  /** Records a completed attempt's run time. */
  ran(ms: number): void {
    this.completed += 1;
    this.runs.record(ms);
    let i = 0;
    while (i < DURATION_BUCKETS_MS.length && ms > DURATION_BUCKETS_MS[i]!) i++;
    this.le[i]! += 1;
  }
}

type ErrorEntry = StewardStats['recentErrors'][number];

/** A job executing on this node: what the in-progress figures count. */
export interface InFlight {
  readonly queue: string;
  readonly kind: string;
}

/** The counters of one (queue, kind) pair at one moment: StatsCounters' counts, before any means. */
export interface PairSnapshot extends Pick<
  StatsCounters,
  | 'enqueued'
  | 'started'
  | 'completed'
  | 'failed'
  | 'retried'
  | 'discarded'
  | 'cancelled'
  | 'released'
  | 'inProgress'
> {
  readonly queue: string;
  readonly kind: string;
  /** Total run time of completed attempts, ms. */
  readonly runSumMs: number;
  /** Completed attempts per bucket of DURATION_BUCKETS_MS (not cumulative; one more slot for the rest). */
  readonly le: readonly number[];
}

/** Everything the metrics Agent holds. */
export class MetricsState {
  readonly #byQueue = new Map<string, Map<string, Series>>();
  /** The pair the last event touched: runs of one kind are common, and this skips two lookups. */
  #last: Series | null = null;
  /** A ring of the last errors; `#errorCount` is how many were ever recorded. */
  readonly #errors: (ErrorEntry | undefined)[] = new Array<ErrorEntry | undefined>(RECENT_ERRORS);
  #errorCount = 0;
  /** The per-second series. */
  readonly ring = new SecondRing();

  /** The counters of a job's (queue, kind) pair, made on first use. */
  series(queue: string, kind: string): Series {
    const last = this.#last;
    if (last !== null && last.queue === queue && last.kind === kind) return last;
    let kinds = this.#byQueue.get(queue);
    if (kinds === undefined) this.#byQueue.set(queue, (kinds = new Map()));
    let s = kinds.get(kind);
    if (s === undefined) kinds.set(kind, (s = new Series(queue, kind)));
    this.#last = s;
    return s;
  }

  /** Every pair seen so far. */
  allSeries(): Series[] {
    const out: Series[] = [];
    for (const kinds of this.#byQueue.values()) for (const s of kinds.values()) out.push(s);
    return out;
  }

  /**
   * Applies the first `n` entries of `batch` (`[code, payload, code, payload, ...]`, codes
   * from EVENT_CODES, which happened at `at` ms), clearing each payload slot so the buffer
   * holds no job.
   */
  apply(batch: unknown[], n: number, at: number): void {
    const slot = this.ring.slot(at);
    for (let i = 0; i < n; i += 2) {
      const code = batch[i] as number;
      const payload = batch[i + 1];
      batch[i + 1] = undefined;
      // Small integers, most frequent first: a switch on them is a jump, not string compares.
      switch (code) {
        case START:
          this.#start(payload as TelemetryEvents['job.start'], slot);
          break;
        case STOP:
          this.#stop(payload as TelemetryEvents['job.stop'], slot);
          break;
        case INSERT:
          this.#insert(payload as TelemetryEvents['job.insert'], slot);
          break;
        case EXCEPTION:
          this.#exception(payload as TelemetryEvents['job.exception'], slot, at);
          break;
        case CANCEL: {
          const { job } = payload as TelemetryEvents['job.cancel'];
          this.series(job.queue, job.kind).cancelled += 1;
          break;
        }
        case RELEASE: {
          const { job } = payload as TelemetryEvents['job.release'];
          this.series(job.queue, job.kind).released += 1;
          break;
        }
        case RESCUE:
          for (const job of (payload as TelemetryEvents['job.rescue']).jobs) this.#rescued(job);
          break;
        case REPORT: {
          const { counts } = payload as TelemetryEvents['monitor.report'];
          this.ring.queued[slot] = counts.scheduled + counts.available + counts.waiting + counts.retryable;
          break;
        }
      }
    }
  }

  #insert({ jobs }: TelemetryEvents['job.insert'], slot: number): void {
    for (const job of jobs) this.series(job.queue, job.kind).enqueued += 1;
    this.ring.enqueued[slot]! += jobs.length;
  }

  #start({ job }: TelemetryEvents['job.start'], slot: number): void {
    this.series(job.queue, job.kind).started += 1;
    this.ring.started[slot]! += 1;
  }

  #stop({ job, outcome, durationMs }: TelemetryEvents['job.stop'], slot: number): void {
    if (outcome !== 'success') return;
    this.series(job.queue, job.kind).ran(durationMs);
    this.ring.completed[slot]! += 1;
  }

  #exception({ job, outcome, error }: TelemetryEvents['job.exception'], slot: number, at: number): void {
    const s = this.series(job.queue, job.kind);
    s.failed += 1;
    if (outcome === 'failure') s.retried += 1;
    else s.discarded += 1;
    this.ring.failed[slot]! += 1;
    this.#errors[this.#errorCount % RECENT_ERRORS] = {
      jobId: job.id,
      kind: job.kind,
      queue: job.queue,
      attempt: job.attempt,
      message: error.message,
      at: job.errors[job.errors.length - 1]?.at ?? at,
    };
    this.#errorCount += 1;
  }

  /** A rescued job that ran out of attempts is discarded; one whose cancel was asked for is cancelled. */
  #rescued(job: JobRecord): void {
    if (job.state === 'discarded') this.series(job.queue, job.kind).discarded += 1;
    else if (job.state === 'cancelled') this.series(job.queue, job.kind).cancelled += 1;
  }

  /** A copy of every pair's counters (in progress: the jobs of `inFlight`), for the Prometheus exporter. */
  pairs(inFlight: Iterable<InFlight>): PairSnapshot[] {
    // A running job's start was counted before its handler ran, so its pair is among these.
    const running = countRunning(inFlight);
    return this.allSeries().map((s) => ({
      queue: s.queue,
      kind: s.kind,
      enqueued: s.enqueued,
      started: s.started,
      completed: s.completed,
      failed: s.failed,
      retried: s.retried,
      discarded: s.discarded,
      cancelled: s.cancelled,
      released: s.released,
      inProgress: running.get(s.queue)?.get(s.kind) ?? 0,
      runSumMs: s.runs.sumMs,
      le: Array.from(s.le),
    }));
  }

  /** The errors kept, newest first. */
  recentErrors(): ErrorEntry[] {
    const out: ErrorEntry[] = [];
    const oldest = Math.max(0, this.#errorCount - RECENT_ERRORS);
    for (let i = this.#errorCount - 1; i >= oldest; i--) out.push(this.#errors[i % RECENT_ERRORS]!);
    return out;
  }

  /** The statistics: totals, per queue and per kind, summed from the pairs; `inFlight` are the jobs running here. */
  snapshot(inFlight: Iterable<InFlight>): StewardStats {
    const total = new Sums();
    const byQueue = new Map<string, Sums>();
    const byKind = new Map<string, Sums>();
    for (const s of this.allSeries()) {
      total.add(s);
      sumsOf(byQueue, s.queue).add(s);
      sumsOf(byKind, s.kind).add(s);
    }
    for (const job of inFlight) {
      total.running += 1;
      sumsOf(byQueue, job.queue).running += 1;
      sumsOf(byKind, job.kind).running += 1;
    }
    const counters = (map: Map<string, Sums>): Record<string, StatsCounters> =>
      Object.fromEntries([...map].map(([key, sums]) => [key, sums.counters()]));
    return {
      ...total.counters(),
      byQueue: counters(byQueue),
      byKind: counters(byKind),
      recentErrors: this.recentErrors(),
    };
  }
}

const START = 0;
const STOP = 1;
const INSERT = 2;
const EXCEPTION = 3;
const CANCEL = 4;
const RELEASE = 5;
const RESCUE = 6;
const REPORT = 7;

/** The telemetry events the metrics count, and the code each is buffered under. */
export const EVENT_CODES = {
  'job.start': START,
  'job.stop': STOP,
  'job.insert': INSERT,
  'job.exception': EXCEPTION,
  'job.cancel': CANCEL,
  'job.release': RELEASE,
  'job.rescue': RESCUE,
  'monitor.report': REPORT,
} as const satisfies Partial<Record<TelemetryEvent, number>>;

/** One of the telemetry events the metrics count. */
export type MetricsEvent = keyof typeof EVENT_CODES;

/** Running jobs by queue, then kind. */
function countRunning(inFlight: Iterable<InFlight>): Map<string, Map<string, number>> {
  const out = new Map<string, Map<string, number>>();
  for (const { queue, kind } of inFlight) {
    let kinds = out.get(queue);
    if (kinds === undefined) out.set(queue, (kinds = new Map()));
    kinds.set(kind, (kinds.get(kind) ?? 0) + 1);
  }
  return out;
}

function sumsOf(map: Map<string, Sums>, key: string): Sums {
  let sums = map.get(key);
  if (sums === undefined) map.set(key, (sums = new Sums()));
  return sums;
}

/** Counters and run times summed over several pairs. */
class Sums {
  readonly #c = {
    enqueued: 0,
    started: 0,
    completed: 0,
    failed: 0,
    retried: 0,
    discarded: 0,
    cancelled: 0,
    released: 0,
  };
  readonly #runs = new RunTimes();
  /** Jobs of this group running now. */
  running = 0;

  add(s: Series): void {
    const c = this.#c;
    c.enqueued += s.enqueued;
    c.started += s.started;
    c.completed += s.completed;
    c.failed += s.failed;
    c.retried += s.retried;
    c.discarded += s.discarded;
    c.cancelled += s.cancelled;
    c.released += s.released;
    this.#runs.merge(s.runs);
  }

  counters(): StatsCounters {
    const runs = this.#runs;
    return {
      ...this.#c,
      inProgress: this.running,
      avgRunMs: runs.mean(),
      p50RunMs: runs.percentile(50),
      p95RunMs: runs.percentile(95),
      p99RunMs: runs.percentile(99),
    };
  }
}
