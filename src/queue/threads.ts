/**
 * The thread pools of `thread` job kinds: one runtime ThreadPool per worker module,
 * started on first use. A job's signal is handed to the pool, so cancelling or timing
 * out a thread job terminates its thread: CPU-bound work really stops.
 */
import { deferred } from '../runtime/internal/deferred.js';
import { SHUTDOWN } from '../runtime/process.js';
import type { ExitReason, Process } from '../runtime/process.js';
import { ThreadPool } from '../runtime/thread-pool.js';

/** Runs a thread kind's function: what the executor needs of the pools. */
export interface ThreadRunner {
  run(
    thread: { readonly module: string | URL; readonly fn: string },
    payload: unknown,
    signal: AbortSignal,
  ): Promise<unknown>;
}

/** The pools of one Steward; a Process so it sits in the supervision tree and stops with it. */
export class ThreadPools implements Process, ThreadRunner {
  readonly name = 'threads';
  readonly #pools = new Map<string, ThreadPool>();
  readonly #exit = deferred<ExitReason>();
  readonly #sizes: ReadonlyMap<string, number>;

  /**
   * `sizes`: threads per module, keyed by `String(module)`. Steward sizes each pool to the
   * concurrency of the queues using it, so the queue is the only limit and a job never
   * waits inside the pool (where its timeout would tick without it running).
   */
  constructor(sizes: ReadonlyMap<string, number>) {
    this.#sizes = sizes;
  }

  /** Resolves once every pool has stopped. */
  get exited(): Promise<ExitReason> {
    return this.#exit.promise;
  }

  /** Runs `thread.fn(payload)` on a thread of `thread.module`; `signal` aborting kills the thread. */
  run(
    thread: { readonly module: string | URL; readonly fn: string },
    payload: unknown,
    signal: AbortSignal,
  ): Promise<unknown> {
    const key = String(thread.module);
    let pool = this.#pools.get(key);
    if (!pool) {
      const size = this.#sizes.get(key);
      pool = ThreadPool.start({
        filename: thread.module,
        name: `steward-threads:${key}`,
        ...(size === undefined ? {} : { size }),
      });
      this.#pools.set(key, pool);
    }
    return pool.run(thread.fn, payload, { signal });
  }

  /** Stops every pool, letting calls finish within `graceMs`, then terminating threads. */
  async stop(graceMs = 1000): Promise<void> {
    const pools = [...this.#pools.values()];
    this.#pools.clear();
    await Promise.all(pools.map((pool) => pool.stop(graceMs)));
    this.#exit.resolve(SHUTDOWN);
  }
}

/** Threads each worker module needs: the summed concurrency of the queues whose kinds use it. */
export function poolSizes(
  kinds: Iterable<{ readonly queue: string; readonly thread: { readonly module: string | URL } | null }>,
  concurrency: (queue: string) => number,
): Map<string, number> {
  const queuesOf = new Map<string, Set<string>>();
  for (const kind of kinds) {
    if (!kind.thread) continue;
    const key = String(kind.thread.module);
    let queues = queuesOf.get(key);
    if (!queues) queuesOf.set(key, (queues = new Set()));
    queues.add(kind.queue);
  }
  return new Map(
    [...queuesOf].map(([key, queues]) => [key, [...queues].reduce((n, q) => n + concurrency(q), 0)]),
  );
}
