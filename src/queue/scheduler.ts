/**
 * The scheduler: moves scheduled and retryable jobs whose time has come to `available`
 * (`store.stageJobs`), then sleeps until the next one is due — or the poll interval,
 * whichever is sooner — woken early when a job due sooner is inserted, retried or
 * snoozed. So due jobs become available without polling every job.
 */
import { after } from '../runtime/internal/timers.js';
import type { Store } from '../store/types.js';
import type { Telemetry } from './instrument.js';

/** How many jobs one stage call moves; a full batch means more may be due, so it goes again at once. */
const STAGE_BATCH = 1000;

/** What the scheduler needs. */
export interface SchedulerDeps {
  readonly store: Store;
  readonly telemetry: Telemetry;
  /** The longest sleep, ms. */
  readonly pollIntervalMs: number;
  /** Called after jobs became available, so producers fetch them. */
  readonly onStaged: () => void;
}

/** The scheduler's state; `run` is the body of its supervised worker (restarted if it crashes). */
export class Scheduler {
  readonly #deps: SchedulerDeps;
  /** The sleep in progress: until when, and how to end it early. */
  #sleep: { readonly until: number; readonly wake: () => void } | null = null;
  /** The earliest wake asked for while not asleep (during a stage call). */
  #pendingWake = Infinity;

  /** Creates the scheduler (idle until its worker calls `run`). */
  constructor(deps: SchedulerDeps) {
    this.#deps = deps;
  }

  /** A job becomes due at `runAt` (store clock): wake before then if asleep past it. */
  wake(runAt: number): void {
    const sleep = this.#sleep;
    if (sleep) {
      if (runAt < sleep.until) sleep.wake();
    } else if (runAt < this.#pendingWake) {
      this.#pendingWake = runAt;
    }
  }

  /** Stages due jobs and sleeps, until `signal` aborts. A store error ends it with that error (a crash). */
  async run(signal: AbortSignal): Promise<void> {
    const { store, telemetry, pollIntervalMs, onStaged } = this.#deps;
    while (!signal.aborted) {
      this.#pendingWake = Infinity;
      const { staged, nextRunAt } = await store.stageJobs(STAGE_BATCH);
      if (staged > 0) {
        telemetry.emit('scheduler.stage', { staged, nextRunAt });
        onStaged();
      }
      if (staged >= STAGE_BATCH) continue;
      const now = store.now();
      let until = nextRunAt === null ? now + pollIntervalMs : Math.min(now + pollIntervalMs, nextRunAt);
      // A job reported due now but not staged (a store's rounding, a racing insert): look again shortly.
      if (until <= now) until = now + 5;
      if (this.#pendingWake < until) continue;
      await this.#sleepUntil(until, until - now, signal);
    }
  }

  #sleepUntil(until: number, ms: number, signal: AbortSignal): Promise<void> {
    return new Promise<void>((resolve) => {
      const done = (): void => {
        cancel();
        signal.removeEventListener('abort', done);
        this.#sleep = null;
        resolve();
      };
      const cancel = after(ms, done);
      signal.addEventListener('abort', done, { once: true });
      this.#sleep = { until, wake: done };
    });
  }
}
