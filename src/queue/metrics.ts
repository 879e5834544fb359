/**
 * Metrics, the seed's `JobQueue.Metrics`: counters kept in an Agent and fed from
 * telemetry, so every update is applied one at a time and a reader never sees half of
 * one. This is the seam the metrics work builds on: `createSteward` only uses the
 * `Metrics` interface (attach, stats, prometheus, start).
 */
import { Agent } from '../runtime/agent.js';
import type { Process } from '../runtime/process.js';
import type { JobRecord } from '../store/types.js';
import type { TelemetryEvent, TelemetryEvents } from './telemetry.js';
import type { StatsCounters, StewardStats } from './types.js';

/** Something metrics can listen to (the Telemetry hub). */
export interface TelemetrySource {
  on<K extends TelemetryEvent>(event: K, listener: (payload: TelemetryEvents[K]) => void): () => void;
}

/** The metrics of one Steward. */
export interface Metrics {
  /** Starts counting the hub's events; returns the function that stops. */
  attach(telemetry: TelemetrySource): () => void;
  /** A snapshot of the statistics. */
  stats(): Promise<StewardStats>;
  /** The statistics in Prometheus text exposition format. */
  prometheus(): Promise<string>;
  /** Starts the process that holds the counters (the supervision tree's `metrics` child). */
  start(): Promise<Process>;
}

type Counters = { -readonly [K in keyof StatsCounters]: number };

/** Run times kept for the percentiles. */
const RECENT_RUNS = 1024;
/** Errors kept, newest first. */
const RECENT_ERRORS = 100;

interface State {
  readonly total: Counters & { retried: number };
  readonly byQueue: Map<string, Counters>;
  readonly byKind: Map<string, Counters>;
  /** Jobs started here and not yet ended, so `inProgress` counts each once and never goes negative. */
  readonly inFlight: Map<string, { readonly queue: string; readonly kind: string }>;
  runMsSum: number;
  runCount: number;
  readonly recentRuns: number[];
  recentErrors: StewardStats['recentErrors'][number][];
}

function zero(): Counters {
  return { enqueued: 0, started: 0, completed: 0, failed: 0, discarded: 0, cancelled: 0, inProgress: 0 };
}

function initialState(): State {
  return {
    total: { ...zero(), retried: 0 },
    byQueue: new Map(),
    byKind: new Map(),
    inFlight: new Map(),
    runMsSum: 0,
    runCount: 0,
    recentRuns: [],
    recentErrors: [],
  };
}

/** Adds `n` to counter `field` of the total, the job's queue and its kind. */
function bump(
  state: State,
  job: { readonly queue: string; readonly kind: string },
  field: keyof Counters,
  n = 1,
): void {
  state.total[field] += n;
  scope(state.byQueue, job.queue)[field] += n;
  scope(state.byKind, job.kind)[field] += n;
}

function scope(map: Map<string, Counters>, key: string): Counters {
  let c = map.get(key);
  if (!c) map.set(key, (c = zero()));
  return c;
}

/** Forgets a job's in-flight entry, if this node started it. */
function ended(state: State, id: string): void {
  const job = state.inFlight.get(id);
  if (!job) return;
  state.inFlight.delete(id);
  bump(state, job, 'inProgress', -1);
}

/** The counters' reactions to each event. */
const reducers: { [K in TelemetryEvent]?: (state: State, payload: TelemetryEvents[K]) => void } = {
  'job.insert': (s, { jobs }) => {
    for (const job of jobs) bump(s, job, 'enqueued');
  },
  'job.start': (s, { job }) => {
    bump(s, job, 'started');
    if (!s.inFlight.has(job.id)) {
      s.inFlight.set(job.id, { queue: job.queue, kind: job.kind });
      bump(s, job, 'inProgress');
    }
  },
  'job.stop': (s, { job, outcome, durationMs }) => {
    ended(s, job.id);
    if (outcome !== 'success') return;
    bump(s, job, 'completed');
    s.runMsSum += durationMs;
    // A ring: the slot of the oldest run is overwritten.
    s.recentRuns[s.runCount % RECENT_RUNS] = durationMs;
    s.runCount += 1;
  },
  'job.exception': (s, { job, outcome, error }) => {
    ended(s, job.id);
    bump(s, job, 'failed');
    if (outcome === 'failure') s.total.retried += 1;
    else bump(s, job, 'discarded');
    const at = job.errors[job.errors.length - 1]?.at ?? Date.now();
    s.recentErrors.unshift({ jobId: job.id, kind: job.kind, message: error.message, at });
    if (s.recentErrors.length > RECENT_ERRORS) s.recentErrors.length = RECENT_ERRORS;
  },
  'job.cancel': (s, { job }) => {
    ended(s, job.id);
    bump(s, job, 'cancelled');
  },
  'job.release': (s, { job }) => ended(s, job.id),
  'job.stale': (s, { jobId }) => ended(s, jobId),
  'job.rescue': (s, { jobs }) => {
    for (const job of jobs) countRescued(s, job);
  },
};

function countRescued(s: State, job: JobRecord): void {
  ended(s, job.id);
  if (job.state === 'discarded') bump(s, job, 'discarded');
  else if (job.state === 'cancelled') bump(s, job, 'cancelled');
}

function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return 0;
  const index = Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1);
  return sorted[Math.max(0, index)]!;
}

function snapshot(s: State): StewardStats {
  const sorted = [...s.recentRuns].sort((a, b) => a - b);
  const copy = (map: Map<string, Counters>): Record<string, StatsCounters> =>
    Object.fromEntries([...map].map(([k, c]) => [k, { ...c }]));
  return {
    ...s.total,
    avgRunMs: s.runCount === 0 ? 0 : s.runMsSum / s.runCount,
    p50RunMs: percentile(sorted, 50),
    p95RunMs: percentile(sorted, 95),
    p99RunMs: percentile(sorted, 99),
    byQueue: copy(s.byQueue),
    byKind: copy(s.byKind),
    recentErrors: s.recentErrors.slice(),
  };
}

/** Agent-held metrics fed by telemetry. */
class AgentMetrics implements Metrics {
  /** The counters live outside the Agent, so a restarted metrics child carries on from them. */
  readonly #state = initialState();
  #agent: Agent<State> | null = null;

  attach(telemetry: TelemetrySource): () => void {
    const offs = (Object.keys(reducers) as TelemetryEvent[]).map((event) =>
      telemetry.on(event, (payload) => this.#apply(event, payload)),
    );
    return () => {
      for (const off of offs) off();
    };
  }

  #apply<K extends TelemetryEvent>(event: K, payload: TelemetryEvents[K]): void {
    const reduce = reducers[event] as ((state: State, payload: TelemetryEvents[K]) => void) | undefined;
    if (!reduce) return;
    const agent = this.#agent;
    if (agent) {
      agent.cast((state) => {
        reduce(state, payload);
        return state;
      });
    } else {
      reduce(this.#state, payload); // not started (or stopped): count anyway, nothing can interleave
    }
  }

  async stats(): Promise<StewardStats> {
    return this.#agent ? this.#agent.get(snapshot) : snapshot(this.#state);
  }

  async prometheus(): Promise<string> {
    return toPrometheus(await this.stats());
  }

  async start(): Promise<Process> {
    const agent = await Agent.start(() => this.#state, { name: 'steward-metrics' });
    this.#agent = agent;
    void agent.exited.then(() => {
      if (this.#agent === agent) this.#agent = null;
    });
    return agent;
  }
}

/** Creates the metrics of one Steward. */
export function createMetrics(): Metrics {
  return new AgentMetrics();
}

const COUNTERS: readonly (keyof StatsCounters)[] = [
  'enqueued',
  'started',
  'completed',
  'failed',
  'discarded',
  'cancelled',
];

function escapeLabel(value: string): string {
  return value.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"');
}

/** Renders stats as Prometheus text: counters and the in-progress gauge per queue, run-time summary. */
export function toPrometheus(stats: StewardStats): string {
  const lines: string[] = [];
  for (const field of COUNTERS) {
    const name = `steward_jobs_${field}_total`;
    lines.push(`# HELP ${name} Jobs ${field}.`, `# TYPE ${name} counter`);
    for (const [queue, c] of Object.entries(stats.byQueue)) {
      lines.push(`${name}{queue="${escapeLabel(queue)}"} ${c[field]}`);
    }
  }
  lines.push('# HELP steward_jobs_in_progress Jobs running now.', '# TYPE steward_jobs_in_progress gauge');
  for (const [queue, c] of Object.entries(stats.byQueue)) {
    lines.push(`steward_jobs_in_progress{queue="${escapeLabel(queue)}"} ${c.inProgress}`);
  }
  lines.push('# HELP steward_jobs_retried_total Failed attempts that will be retried.');
  lines.push('# TYPE steward_jobs_retried_total counter', `steward_jobs_retried_total ${stats.retried}`);
  lines.push(
    '# HELP steward_job_run_ms Run time of completed jobs, ms.',
    '# TYPE steward_job_run_ms summary',
  );
  lines.push(`steward_job_run_ms{quantile="0.5"} ${stats.p50RunMs}`);
  lines.push(`steward_job_run_ms{quantile="0.95"} ${stats.p95RunMs}`);
  lines.push(`steward_job_run_ms{quantile="0.99"} ${stats.p99RunMs}`);
  lines.push(`steward_job_run_ms_count ${stats.completed}`);
  lines.push(`steward_job_run_ms_sum ${stats.avgRunMs * stats.completed}`);
  return `${lines.join('\n')}\n`;
}
