/**
 * The facade's operations on jobs and queues: enqueue (validated in full before the
 * store sees anything, so bad input changes nothing), cancel, retry, delete, pause,
 * counts, and the drain check. Each wakes whoever must act on what it changed.
 */
import { invalidArgument } from '../runtime/validate.js';
import type { JobInsert, JobRecord, Store } from '../store/types.js';
import { validatePayload } from './define.js';
import type { KindSpec } from './define.js';
import { JobCancelledError } from './errors.js';
import type { Telemetry } from './instrument.js';
import type { Running } from './running.js';
import type { EnqueueOptions } from './types.js';
import { assertPriority, assertQueueName, buildInsert, toJson } from './validate.js';

/** What the operations need from the facade. */
export interface OperationsDeps {
  readonly store: Store;
  readonly telemetry: Telemetry;
  readonly kinds: ReadonlyMap<string, KindSpec>;
  /** Queues a job may be enqueued to. */
  readonly queues: ReadonlySet<string>;
  readonly running: Running;
  /** Resolves once the store is open (rejects once Steward has stopped). */
  readonly ready: () => Promise<void>;
  /** Jobs of `queue` are due at `runAt`. */
  readonly wakeQueue: (queue: string, runAt: number) => void;
}

/** One job of an `enqueueMany`. */
export interface EnqueueItem {
  readonly kind: string;
  readonly payload: unknown;
  readonly opts?: EnqueueOptions;
}

const NOT_FINAL = ['scheduled', 'available', 'waiting', 'executing', 'retryable'] as const;

/** The job and queue operations of one Steward. */
export class Operations {
  readonly #d: OperationsDeps;

  /** Binds the operations to one Steward's store, hub and registry. */
  constructor(deps: OperationsDeps) {
    this.#d = deps;
  }

  /** Validates and inserts one job; resolves with the stored job (the existing one for a unique duplicate). */
  async enqueue(kind: string, payload: unknown, opts?: EnqueueOptions): Promise<JobRecord> {
    const [job] = await this.#insert([{ kind, payload, opts }], false);
    return job!;
  }

  /** Validates every job, then inserts them all atomically (a DAG may use `{ ref }` parents). */
  async enqueueMany(items: readonly EnqueueItem[]): Promise<JobRecord[]> {
    if (!Array.isArray(items)) throw invalidArgument('jobs', 'an array of `{ kind, payload, opts }`', items);
    return this.#insert(items, true);
  }

  /** The seed's `submit(data, priority)`: the kind is `data.type`, the payload all of `data`. */
  async submit(
    data: { readonly type: string } & Record<string, unknown>,
    priority?: number,
  ): Promise<JobRecord> {
    if (typeof data !== 'object' || data === null || typeof data.type !== 'string') {
      throw invalidArgument('data', 'an object with a string `type` naming the job kind', data);
    }
    if (priority !== undefined) assertPriority('priority', priority);
    return this.enqueue(data.type, data, priority === undefined ? undefined : { priority });
  }

  async #insert(items: readonly EnqueueItem[], batch: boolean): Promise<JobRecord[]> {
    const inserts = await this.#prepare(items, batch);
    if (inserts.length === 0) return [];
    const results = await this.#d.store.insertJobs(inserts);
    const fresh = results.filter((r) => !r.duplicate).map((r) => r.job);
    const { telemetry } = this.#d;
    telemetry.emit('job.insert', { jobs: fresh, duplicates: results.length - fresh.length });
    for (const job of fresh) {
      // A parent already discarded or cancelled: the job is born cancelled.
      if (job.state === 'cancelled') telemetry.emit('job.cancel', { job, durationMs: null });
      else if (job.state === 'available' || job.state === 'scheduled')
        this.#d.wakeQueue(job.queue, job.runAt);
    }
    return results.map((r) => r.job);
  }

  async #prepare(items: readonly EnqueueItem[], batch: boolean): Promise<JobInsert[]> {
    const where = (i: number, field: string): string => (batch ? `jobs[${i}].${field}` : field);
    const prepared = items.map((item, i) => {
      if (batch && (typeof item !== 'object' || item === null)) {
        throw invalidArgument(`jobs[${i}]`, 'an object `{ kind, payload, opts }`', item);
      }
      const spec = this.#d.kinds.get(item.kind);
      if (!spec) {
        const known = [...this.#d.kinds.keys()].map((k) => `"${k}"`).join(', ') || 'none registered';
        throw invalidArgument(where(i, 'kind'), `a registered job kind (${known})`, item.kind);
      }
      if (item.payload === undefined) {
        throw invalidArgument(where(i, 'payload'), 'a JSON value (use null for "no payload")', item.payload);
      }
      return { spec, payload: toJson(where(i, 'payload'), item.payload), opts: item.opts };
    });
    // Schemas may be async; run them all before the store is touched.
    await Promise.all(
      prepared.map(({ spec, payload }) => (spec.schema ? validatePayload(spec, payload) : null)),
    );
    await this.#d.ready();
    const now = this.#d.store.now();
    const inserts = prepared.map(({ spec, payload, opts }, i) =>
      buildInsert(spec, payload, opts, where(i, 'opts'), now, this.#d.queues),
    );
    checkRefs(inserts, batch, where);
    return inserts;
  }

  /** Emits `job.cancel` for dependants a store cancelled in a cascade (they never ran, so no duration). */
  async reportCascade(ids: readonly string[]): Promise<void> {
    const { store, telemetry } = this.#d;
    for (const id of ids) {
      const job = await store.getJob(id);
      if (job?.state === 'cancelled') telemetry.emit('job.cancel', { job, durationMs: null });
    }
  }

  /** Cancels jobs: queued ones at once, running ones by aborting their signal; resolves with each job after. */
  async cancelJobs(ids: readonly string[]): Promise<(JobRecord | null)[]> {
    checkIdList(ids);
    await this.#d.ready();
    const { store, running, telemetry } = this.#d;
    const outcomes = await store.cancelJobs(ids);
    return Promise.all(
      ids.map(async (id, i) => {
        switch (outcomes[i]) {
          case 'not_found':
            return null;
          case 'cancelled': {
            const job = await store.getJob(id);
            if (job) telemetry.emit('job.cancel', { job, durationMs: null });
            return job;
          }
          case 'cancelling': {
            // Running here: abort now and wait for the executor to record it.
            const execution = running.get(id);
            if (execution) {
              execution.abort(new JobCancelledError(id));
              await execution.whenDone();
            }
            return store.getJob(id);
          }
          default:
            return store.getJob(id);
        }
      }),
    );
  }

  /** Runs finished jobs again by hand; resolves with the jobs that changed. */
  async retryJobs(ids: readonly string[]): Promise<JobRecord[]> {
    checkIdList(ids);
    await this.#d.ready();
    const jobs = await this.#d.store.retryJobs(ids);
    for (const job of jobs) this.#d.wakeQueue(job.queue, job.runAt);
    return jobs;
  }

  /** Deletes jobs that are not executing; resolves with how many were deleted. */
  async deleteJobs(ids: readonly string[]): Promise<number> {
    checkIdList(ids);
    await this.#d.ready();
    return this.#d.store.deleteJobs(ids);
  }

  /** Pauses a queue everywhere (every node sharing the store stops fetching from it). */
  async pauseQueue(queue: string): Promise<void> {
    assertQueueName('queue', queue);
    await this.#d.ready();
    await this.#d.store.pauseQueue(queue);
    this.#d.telemetry.emit('queue.pause', { queue });
  }

  /** Resumes a paused queue. */
  async resumeQueue(queue: string): Promise<void> {
    assertQueueName('queue', queue);
    await this.#d.ready();
    await this.#d.store.resumeQueue(queue);
    this.#d.telemetry.emit('queue.resume', { queue });
  }

  /** Jobs not yet final, of one queue or all. */
  async queueSize(queue?: string): Promise<number> {
    if (queue !== undefined) assertQueueName('queue', queue);
    await this.#d.ready();
    const counts = await this.#d.store.countJobs();
    let size = 0;
    for (const [name, byState] of Object.entries(counts)) {
      if (queue !== undefined && name !== queue) continue;
      for (const state of NOT_FINAL) size += byState[state] ?? 0;
    }
    return size;
  }

  /**
   * Whether nothing is left to do: nothing runs here, and no queue (of `served`, or any
   * when null) has executing jobs, available jobs (unless paused) or due ones — nor, with
   * `scheduled`, jobs scheduled or awaiting a retry later (so a drain outlasts backoffs).
   * Stages due jobs as a side effect (what the scheduler would do anyway) and calls
   * `onStaged` when it did.
   */
  async isDrained(
    served: ReadonlySet<string> | null,
    onStaged: () => void,
    scheduled = true,
  ): Promise<boolean> {
    const { store, running } = this.#d;
    if (running.size > 0) return false;
    const { staged, nextRunAt } = await store.stageJobs(1000);
    if (staged > 0) {
      onStaged();
      return false;
    }
    if (nextRunAt !== null && nextRunAt <= store.now()) return false;
    const [counts, queues] = await Promise.all([store.countJobs(), store.listQueues()]);
    const paused = new Set(queues.filter((q) => q.paused).map((q) => q.name));
    for (const [queue, byState] of Object.entries(counts)) {
      if (served && !served.has(queue)) continue;
      if ((byState.executing ?? 0) > 0) return false;
      if (paused.has(queue)) continue;
      if ((byState.available ?? 0) > 0) return false;
      if (scheduled && (byState.scheduled ?? 0) + (byState.retryable ?? 0) > 0) return false;
    }
    return running.size === 0;
  }
}

function checkIdList(ids: unknown): asserts ids is readonly string[] {
  if (!Array.isArray(ids) || !ids.every((id) => typeof id === 'string')) {
    throw invalidArgument('ids', 'an array of job ids (strings)', ids);
  }
}

/** Refs must be unique within a batch and name a job of it; a single enqueue has no batch to name. */
function checkRefs(
  inserts: readonly JobInsert[],
  batch: boolean,
  where: (i: number, f: string) => string,
): void {
  const refs = new Set<string>();
  inserts.forEach((insert, i) => {
    if (insert.ref === undefined) return;
    if (!batch)
      throw invalidArgument(
        'opts.ref',
        'absent outside `enqueueMany` (refs name jobs of one batch)',
        insert.ref,
      );
    if (refs.has(insert.ref))
      throw invalidArgument(where(i, 'opts.ref'), 'unique within the batch', insert.ref);
    refs.add(insert.ref);
  });
  inserts.forEach((insert, i) => {
    insert.dependsOn.forEach((dep, j) => {
      if (typeof dep === 'string' || refs.has(dep.ref)) return;
      const known = [...refs].map((r) => `"${r}"`).join(', ') || 'none';
      throw invalidArgument(
        where(i, `opts.dependsOn[${j}]`),
        `a job id or \`{ ref }\` naming a job of this batch (refs: ${known})`,
        dep,
      );
    });
  });
}
