/**
 * Metrics, the seed's `JobQueue.Metrics`: counters kept in an Agent and fed from
 * telemetry, so every update is applied one at a time and a reader never sees half of
 * one. `createSteward` only uses the `Metrics` interface.
 *
 * Hot path: a telemetry listener only appends `(event, payload)` to a pending batch; one
 * Agent cast per microtask applies the whole batch, stamped with a single clock read
 * (taken at the batch's first event). Every read flushes the batch first, so a reader
 * always sees every event emitted before its call. The state lives outside the Agent,
 * so a restarted metrics child carries on counting from where it was. In progress is
 * read from the node's registry of executions instead (see metrics-state.ts).
 */
import { Agent } from '../runtime/agent.js';
import type { ExitReason, Process } from '../runtime/process.js';
import { invalidArgument } from '../runtime/validate.js';
import type { JobCounts } from '../store/types.js';
import { EVENT_CODES, MetricsState } from './metrics-state.js';
import type { InFlight, MetricsEvent } from './metrics-state.js';
import { SERIES_SECONDS } from './metrics-series.js';
import { PrometheusExporter } from './prometheus.js';
import type { TelemetryEvent, TelemetryEvents } from './telemetry.js';
import type { MetricsPoint, StewardStats } from './types.js';

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
  /** The last `seconds` seconds (1..300, default 300) of activity, oldest first. */
  series(seconds?: number): Promise<MetricsPoint[]>;
  /** The statistics in Prometheus text exposition format. */
  prometheus(): Promise<string>;
  /** Starts the process that holds the counters (the supervision tree's `metrics` child). */
  start(): Promise<Process>;
}

/** Options of `createMetrics`. */
export interface MetricsOptions {
  /** The clock the per-second series buckets by (Steward passes the store's). @default Date.now */
  readonly now?: () => number;
  /** Job counts by queue and state, read at scrape time (the store's `countJobs`). @default none */
  readonly countJobs?: () => Promise<JobCounts>;
  /** Also export prom-client's default process metrics. @default false */
  readonly defaultMetrics?: boolean;
  /** The jobs executing on this node now (Steward passes its registry's): the in-progress figures. @default none */
  readonly inFlight?: () => Iterable<InFlight>;
}

/** Buffer entries (two per event): past this a batch is applied at once, so a long synchronous burst stays bounded. */
const MAX_PENDING = 8192;

/** Agent-held metrics fed by telemetry. */
class AgentMetrics implements Metrics {
  readonly #state = new MetricsState();
  readonly #now: () => number;
  readonly #countJobs: () => Promise<JobCounts>;
  readonly #defaultMetrics: boolean;
  readonly #inFlight: () => Iterable<InFlight>;
  #agent: Agent<MetricsState> | null = null;
  #exporter: PrometheusExporter | null = null;
  /**
   * `[event, payload, event, payload, ...]` not yet applied: a fixed buffer written by
   * index and reused, so counting an event allocates nothing. `#pendingAt` is when the
   * first of them happened.
   */
  #buffer: unknown[] = new Array<unknown>(MAX_PENDING);
  #pending = 0;
  #pendingAt = 0;
  #scheduled = false;
  readonly #flushTask = (): void => {
    this.#scheduled = false;
    this.#flush();
  };

  constructor(opts: MetricsOptions) {
    this.#now = opts.now ?? Date.now;
    this.#countJobs = opts.countJobs ?? (() => Promise.resolve({}));
    this.#defaultMetrics = opts.defaultMetrics ?? false;
    this.#inFlight = opts.inFlight ?? (() => []);
  }

  attach(telemetry: TelemetrySource): () => void {
    const offs = (Object.keys(EVENT_CODES) as MetricsEvent[]).map((event) => {
      const code = EVENT_CODES[event];
      return telemetry.on(event, (payload: unknown) => this.#push(code, payload));
    });
    return () => {
      for (const off of offs) off();
    };
  }

  #push(code: number, payload: unknown): void {
    const n = this.#pending;
    if (n === 0) {
      this.#pendingAt = this.#now();
      if (!this.#scheduled) {
        this.#scheduled = true;
        queueMicrotask(this.#flushTask);
      }
    }
    const buffer = this.#buffer;
    buffer[n] = code;
    buffer[n + 1] = payload;
    this.#pending = n + 2;
    if (n + 2 >= MAX_PENDING) this.#flush();
  }

  /** Applies the pending batch through the Agent (or directly, when it is not running). */
  #flush(): void {
    const n = this.#pending;
    if (n === 0) return;
    const buffer = this.#buffer;
    const at = this.#pendingAt;
    this.#pending = 0;
    const agent = this.#agent;
    if (agent === null) {
      this.#state.apply(buffer, n, at); // not started (or stopped): nothing can interleave
      return;
    }
    let applied = false;
    agent.cast((state) => {
      state.apply(buffer, n, at);
      applied = true;
      return state;
    });
    // An idle Agent applies a cast on the spot; if it queued this one, the buffer is the
    // queued call's until it runs, so new events get a fresh one.
    if (!applied) this.#buffer = new Array<unknown>(MAX_PENDING);
  }

  /** Runs `fn` on the state after every event so far. */
  #read<R>(fn: (state: MetricsState) => R): Promise<R> {
    this.#flush();
    const agent = this.#agent;
    return agent === null ? Promise.resolve(fn(this.#state)) : agent.get(fn);
  }

  stats(): Promise<StewardStats> {
    return this.#read((state) => state.snapshot(this.#inFlight()));
  }

  series(seconds: number = SERIES_SECONDS): Promise<MetricsPoint[]> {
    if (!Number.isInteger(seconds) || seconds < 1 || seconds > SERIES_SECONDS) {
      return Promise.reject(invalidArgument('seconds', `an integer from 1 to ${SERIES_SECONDS}`, seconds));
    }
    return this.#read((state) => state.ring.points(this.#now(), seconds));
  }

  async prometheus(): Promise<string> {
    const [pairs, counts] = await Promise.all([
      this.#read((state) => state.pairs(this.#inFlight())),
      this.#countJobs(),
    ]);
    this.#exporter ??= new PrometheusExporter({ defaultMetrics: this.#defaultMetrics });
    return this.#exporter.render({ pairs, counts });
  }

  async start(): Promise<Process> {
    const agent = await Agent.start(() => this.#state, { name: 'steward-metrics' });
    this.#agent = agent;
    const detach = (): void => {
      if (this.#agent === agent) this.#agent = null;
    };
    return {
      name: agent.name,
      exited: agent.exited.then((reason: ExitReason) => {
        detach();
        return reason;
      }),
      // Detach before stopping: events that arrive meanwhile (jobs released by the
      // shutdown) go straight to the state instead of being refused by a stopping Agent.
      stop: (graceMs?: number) => {
        this.#flush();
        detach();
        return agent.stop(graceMs);
      },
    };
  }
}

/** Creates the metrics of one Steward. */
export function createMetrics(opts: MetricsOptions = {}): Metrics {
  return new AgentMetrics(opts);
}
