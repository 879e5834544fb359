/**
 * `createSteward`: the job system's facade. It owns the telemetry hub, the metrics, the
 * registry of running jobs, and a supervision tree of the parts that do the work:
 *
 *   steward (one_for_one)
 *   ├─ store       opens the store (and closes it, when made from a URL)
 *   ├─ metrics     an Agent fed by telemetry
 *   ├─ threads     thread pools of `thread` job kinds (when there are any)
 *   ├─ heartbeat   renews this node's leases
 *   ├─ queue:<q>   one producer per queue (fetch, start, drain on stop)
 *   ├─ scheduler   stages due jobs
 *   ├─ lifeline    rescues expired leases
 *   ├─ pruner      deletes old finished jobs
 *   └─ monitor     periodic report
 *
 * Children stop in reverse order, so producers drain while the heartbeat still runs and
 * the store closes last. Enqueueing, cancelling and reading live in facade-ops.ts.
 */
import { StoppedError, TaskTimeoutError, coerceError } from '../runtime/errors.js';
import { delay } from '../runtime/internal/deferred.js';
import { SHUTDOWN } from '../runtime/process.js';
import type { ExitReason, Process } from '../runtime/process.js';
import { closed, opened } from '../runtime/internal/live.js';
import { report } from '../runtime/report.js';
import { Supervisor } from '../runtime/supervisor.js';
import type { ChildSpec } from '../runtime/supervisor.js';
import { assertTimeout } from '../runtime/validate.js';
import { openStore } from '../store/open.js';
import type { JobFilter, JobRecord, Store, StoreEvent } from '../store/types.js';
import { JobCancelledError } from './errors.js';
import { Completer } from './completer.js';
import type { ExecutorDeps } from './executor.js';
import { heartbeatSpec } from './heartbeat.js';
import { Telemetry, instrumentStore } from './instrument.js';
import { lifelineSpec } from './lifeline.js';
import { attachLogger, systemLogger } from './logger.js';
import { createMetrics } from './metrics.js';
import type { Metrics } from './metrics.js';
import { monitorSink, monitorSpec } from './monitor.js';
import { Operations } from './operations.js';
import { normalizeOptions } from './options.js';
import type { Settings } from './options.js';
import { Producer } from './producer.js';
import type { ProducerDeps } from './producer.js';
import { prunerSpec } from './pruner.js';
import { Running } from './running.js';
import { Scheduler } from './scheduler.js';
import { ThreadPools, poolSizes } from './threads.js';
import type { TelemetryEvents } from './telemetry.js';
import type { EnqueueOptions, MetricsPoint, Steward, StewardOptions, StewardStats } from './types.js';
import type { Logger } from 'pino';

/** Default grace period of `stop()`: running jobs get this long to finish before they are handed back. */
export const DEFAULT_GRACE_MS = 10_000;

/**
 * Creates the job system (not started: call `start()`). `store` is a URL or a Store; a
 * Store object you pass is opened but never closed by Steward (you own it).
 * @example
 * const steward = createSteward({
 *   store: 'memory:',
 *   jobs: { email: async ({ to }, { signal }) => send(to, { signal }) },
 *   queues: { default: { concurrency: 5 } },
 * });
 * await steward.start();
 * const job = await steward.enqueue('email', { to: 'ada@example.com' }, { priority: Priority.high });
 * await steward.stop({ graceMs: 5000 });
 */
export function createSteward(options: StewardOptions): Steward {
  return new StewardSystem(normalizeOptions(options));
}

type Phase = 'new' | 'starting' | 'running' | 'stopping' | 'stopped';

class StewardSystem implements Steward {
  readonly store: Store;
  readonly #raw: Store;
  readonly #ownsStore: boolean;
  readonly #settings: Settings;
  readonly #telemetry = new Telemetry('steward');
  readonly #metrics: Metrics;
  readonly #logger: Logger | null;
  readonly #running = new Running();
  readonly #producers = new Map<string, Producer>();
  readonly #paused = new Map<string, boolean>();
  readonly #scheduler: Scheduler;
  readonly #ops: Operations;
  #threads: ThreadPools | null = null;
  #tree: Supervisor | null = null;
  #phase: Phase = 'new';
  #opening: Promise<void> | null = null;
  #starting: Promise<void> | null = null;
  #stopping: Promise<void> | null = null;
  #unsubscribe: () => void = noop;

  constructor(settings: Settings) {
    this.#settings = settings;
    this.#ownsStore = typeof settings.store === 'string';
    this.#raw = openStore(settings.store);
    this.store = instrumentStore(this.#raw, this.#telemetry);
    this.#metrics = createMetrics({
      now: () => this.store.now(),
      countJobs: async () => {
        await this.#ready();
        return this.store.countJobs();
      },
      defaultMetrics: settings.metrics.defaultMetrics,
      // A job is in progress while its handler runs: from job.start until its outcome is written
      // (the phase turns 'recording' before the end event), so reads agree with the events.
      inFlight: () => inFlight(this.#running),
    });
    this.#metrics.attach(this.#telemetry);
    this.#logger = systemLogger(settings.logger, settings.node);
    if (this.#logger) attachLogger(this.#telemetry, this.#logger);
    this.#scheduler = new Scheduler({
      store: this.store,
      telemetry: this.#telemetry,
      pollIntervalMs: settings.pollIntervalMs,
      onStaged: () => this.#dispatchAll(),
    });
    this.#ops = new Operations({
      store: this.store,
      telemetry: this.#telemetry,
      kinds: settings.kinds,
      queues: new Set(settings.queues.keys()),
      running: this.#running,
      ready: () => this.#ready(),
      wakeQueue: (queue, runAt) => this.#wake(queue, runAt),
    });
  }

  /** The supervision tree's children (empty before `start`). */
  get supervisor(): Steward['supervisor'] {
    return {
      whichChildren: () =>
        (this.#tree?.whichChildren() ?? []).map(({ id, status, restarts }) => ({ id, status, restarts })),
    };
  }

  start(): Promise<void> {
    if (this.#phase === 'stopping' || this.#phase === 'stopped') {
      return Promise.reject(new StoppedError('steward'));
    }
    this.#starting ??= this.#start();
    return this.#starting;
  }

  async #start(): Promise<void> {
    this.#phase = 'starting';
    opened(this, 'a started Steward (call stop())', () => this.stop({ graceMs: 0 }));
    try {
      await this.#open();
      this.#unsubscribe = this.store.subscribe((event) => this.#onStoreEvent(event));
      await this.#loadPauseState();
      this.#tree = await Supervisor.start(this.#children(), {
        name: 'steward',
        strategy: 'one_for_one',
        // Generous: a store outage should make loops restart with backoff, not end the node.
        maxRestarts: 100,
        maxSeconds: 30,
        backoff: { initialMs: 20, maxMs: 2000 },
      });
    } catch (err) {
      this.#unsubscribe();
      this.#phase = 'stopped';
      closed(this);
      throw err;
    }
    void this.#tree.exited.then((reason) => this.#onTreeExit(reason));
    this.#phase = 'running';
    this.#logger?.info(
      { queues: [...this.#settings.queues.keys()], run: this.#settings.run },
      'steward started',
    );
  }

  stop(opts: { readonly graceMs?: number } = {}): Promise<void> {
    const graceMs = opts.graceMs ?? DEFAULT_GRACE_MS;
    assertTimeout('graceMs', graceMs);
    this.#stopping ??= this.#stop(graceMs);
    return this.#stopping;
  }

  async #stop(graceMs: number): Promise<void> {
    if (this.#starting) await this.#starting.catch(noop);
    this.#phase = 'stopping';
    // The watchman: every queue stops fetching and drains at once, within one grace period.
    await Promise.all([...this.#producers.values()].map((p) => p.stop(graceMs)));
    if (this.#tree) await this.#tree.stop();
    else if (this.#ownsStore && this.#opening) await this.#raw.close();
    this.#unsubscribe();
    this.#phase = 'stopped';
    closed(this);
    this.#logger?.info('steward stopped');
  }

  enqueue(kind: string, payload: unknown, opts?: EnqueueOptions): Promise<JobRecord> {
    return this.#ops.enqueue(kind, payload, opts);
  }

  enqueueMany(
    jobs: readonly { readonly kind: string; readonly payload: unknown; readonly opts?: EnqueueOptions }[],
  ): Promise<JobRecord[]> {
    return this.#ops.enqueueMany(jobs);
  }

  submit(data: { readonly type: string } & Record<string, unknown>, priority?: number): Promise<JobRecord> {
    return this.#ops.submit(data, priority);
  }

  async getJob(id: string): Promise<JobRecord | null> {
    await this.#ready();
    return this.store.getJob(id);
  }

  async listJobs(filter?: JobFilter): Promise<JobRecord[]> {
    await this.#ready();
    return this.store.listJobs(filter);
  }

  cancelJob(id: string): Promise<JobRecord | null> {
    return this.#ops.cancelJobs([id]).then((jobs) => jobs[0] ?? null);
  }

  cancelJobs(ids: readonly string[]): Promise<(JobRecord | null)[]> {
    return this.#ops.cancelJobs(ids);
  }

  async retryJob(id: string): Promise<JobRecord | null> {
    const [changed] = await this.#ops.retryJobs([id]);
    return changed ?? this.store.getJob(id);
  }

  retryJobs(ids: readonly string[]): Promise<JobRecord[]> {
    return this.#ops.retryJobs(ids);
  }

  async deleteJob(id: string): Promise<boolean> {
    return (await this.#ops.deleteJobs([id])) === 1;
  }

  deleteJobs(ids: readonly string[]): Promise<number> {
    return this.#ops.deleteJobs(ids);
  }

  async pauseQueue(queue: string): Promise<void> {
    await this.#ops.pauseQueue(queue);
    this.#setPaused(queue, true);
  }

  async resumeQueue(queue: string): Promise<void> {
    await this.#ops.resumeQueue(queue);
    this.#setPaused(queue, false);
  }

  stats(): Promise<StewardStats> {
    return this.#metrics.stats();
  }

  queueSize(queue?: string): Promise<number> {
    return this.#ops.queueSize(queue);
  }

  metrics(): Promise<string> {
    return this.#metrics.prometheus();
  }

  metricsSeries(opts: { readonly seconds?: number } = {}): Promise<readonly MetricsPoint[]> {
    return this.#metrics.series(opts.seconds);
  }

  on<K extends keyof TelemetryEvents>(event: K, listener: (payload: TelemetryEvents[K]) => void): () => void {
    return this.#telemetry.on(event, listener);
  }

  async drain(opts: { readonly timeoutMs?: number; readonly scheduled?: boolean } = {}): Promise<void> {
    const timeoutMs = opts.timeoutMs ?? 30_000;
    const scheduled = opts.scheduled ?? true;
    assertTimeout('timeoutMs', timeoutMs);
    await this.#ready();
    const deadline = Date.now() + timeoutMs;
    const served = this.#settings.run && this.#phase === 'running' ? new Set(this.#producers.keys()) : null;
    for (;;) {
      if (await this.#ops.isDrained(served, () => this.#dispatchAll(), scheduled)) return;
      if (Date.now() >= deadline) throw new TaskTimeoutError(timeoutMs, 'drain');
      await delay(5);
    }
  }

  // ---- the tree ----

  #children(): ChildSpec[] {
    const s = this.#settings;
    const children: ChildSpec[] = [
      { id: 'store', start: () => this.#storeProcess() },
      { id: 'metrics', start: () => this.#metrics.start() },
    ];
    if (s.run) {
      const deps = this.#producerDeps();
      if ([...s.kinds.values()].some((k) => k.thread)) {
        const sizes = poolSizes(s.kinds.values(), (q) => s.queues.get(q)?.concurrency ?? 1);
        children.push({ id: 'threads', start: () => (this.#threads = new ThreadPools(sizes)) });
      }
      children.push(heartbeatSpec({ store: this.store, running: this.#running, leaseMs: s.leaseMs }));
      for (const spec of s.queues.values()) {
        children.push({
          id: `queue:${spec.name}`,
          // The producer bounds its own stop by the grace period; the tree waits for it.
          shutdown: Infinity,
          start: () => {
            const producer = new Producer(spec, this.#paused.get(spec.name) ?? false, deps);
            this.#producers.set(spec.name, producer);
            return producer;
          },
        });
      }
      children.push(Supervisor.worker('scheduler', (signal) => this.#scheduler.run(signal)));
      children.push(
        lifelineSpec({
          store: this.store,
          telemetry: this.#telemetry,
          leaseMs: s.leaseMs,
          onRescued: () => this.#dispatchAll(),
        }),
      );
      if (s.prune) children.push(prunerSpec({ store: this.store, telemetry: this.#telemetry, ...s.prune }));
    }
    children.push(
      monitorSpec({
        store: this.store,
        telemetry: this.#telemetry,
        metrics: this.#metrics,
        intervalMs: s.monitor.intervalMs,
        log: monitorSink(s.monitor.log, this.#logger),
      }),
    );
    return children;
  }

  #producerDeps(): ProducerDeps {
    const s = this.#settings;
    const executor: ExecutorDeps = {
      store: this.store,
      telemetry: this.#telemetry,
      completer: new Completer(this.store, this.#telemetry),
      kinds: s.kinds,
      threads: {
        // Resolved at call time: the pools are a child of the tree, started after this is built.
        run: (thread, payload, signal) => {
          if (!this.#threads) return Promise.reject(new StoppedError('thread pools'));
          return this.#threads.run(thread, payload, signal);
        },
      },
      wake: (runAt) => this.#scheduler.wake(runAt),
    };
    return {
      ...executor,
      running: this.#running,
      node: s.node,
      leaseMs: s.leaseMs,
      pollIntervalMs: s.pollIntervalMs,
    };
  }

  /** The store as a child: opened at start; closed at stop only when Steward made it from a URL. */
  async #storeProcess(): Promise<Process> {
    await this.#open();
    let resolve: (reason: ExitReason) => void = noop;
    const exited = new Promise<ExitReason>((r) => (resolve = r));
    const raw = this.#raw;
    const owns = this.#ownsStore;
    return {
      name: `store:${raw.kind}`,
      exited,
      async stop() {
        if (owns) await raw.close();
        resolve(SHUTDOWN);
      },
    };
  }

  #onTreeExit(reason: ExitReason): void {
    if (reason.kind !== 'error') return;
    report({ source: 'steward', name: 'steward', event: 'steward.crashed', reason: reason.error });
    this.#phase = 'stopped';
    this.#unsubscribe();
  }

  // ---- wiring ----

  #open(): Promise<void> {
    this.#opening ??= this.#raw.open();
    return this.#opening;
  }

  /** Opens the store on first use, so a client can enqueue before (or without) `start`. */
  async #ready(): Promise<void> {
    if (this.#phase === 'stopped' && this.#ownsStore) throw new StoppedError('steward');
    await this.#open();
  }

  async #loadPauseState(): Promise<void> {
    const known = new Map((await this.store.listQueues()).map((q) => [q.name, q.paused]));
    for (const spec of this.#settings.queues.values()) {
      if (spec.paused && !known.get(spec.name)) await this.store.pauseQueue(spec.name);
      this.#paused.set(spec.name, spec.paused || (known.get(spec.name) ?? false));
    }
  }

  #onStoreEvent(event: StoreEvent): void {
    try {
      switch (event.type) {
        case 'inserted':
          this.#wake(event.queue, event.runAt);
          return;
        case 'cancel_requested':
          // Abort at once rather than at the next heartbeat.
          this.#running.get(event.id)?.abort(new JobCancelledError(event.id));
          return;
        case 'cascade_cancelled':
          // Dependants cancelled with their parent: no worker saw them end, so report them here.
          this.#ops.reportCascade(event.ids).catch((err: unknown) =>
            report({
              source: 'steward',
              name: 'steward',
              event: 'store_event.failed',
              reason: coerceError(err),
            }),
          );
          return;
        case 'queue_paused':
          this.#setPaused(event.queue, true);
          return;
        case 'queue_resumed':
          this.#setPaused(event.queue, false);
          return;
      }
    } catch (err) {
      report({ source: 'steward', name: 'steward', event: 'store_event.failed', reason: coerceError(err) });
    }
  }

  /** Jobs of `queue` became available (or will at `runAt`): wake its producer or the scheduler. */
  #wake(queue: string, runAt: number): void {
    if (runAt <= this.store.now()) this.#producers.get(queue)?.scheduleDispatch();
    else this.#scheduler.wake(runAt);
  }

  #setPaused(queue: string, paused: boolean): void {
    this.#paused.set(queue, paused);
    this.#producers.get(queue)?.setPaused(paused);
  }

  #dispatchAll(): void {
    for (const producer of this.#producers.values()) producer.scheduleDispatch();
  }
}

function noop(): void {}

function* inFlight(running: Running): Generator<JobRecord> {
  for (const execution of running.all()) if (execution.phase === 'running') yield execution.job;
}
