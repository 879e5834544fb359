/**
 * Telemetry in one place: the hub every part of the job system emits to, and the Store
 * wrapper that times every store call (Oban wraps every engine call in one span, so all
 * engines emit identical events). A listener that throws never reaches the emitter: its
 * error is reported (`telemetry.listener_failed`) and the job carries on.
 */
import { coerceError } from '../runtime/errors.js';
import { report } from '../runtime/report.js';
import { invalidArgument } from '../runtime/validate.js';
import type { Store } from '../store/types.js';
import type { TelemetryEvent, TelemetryEvents } from './telemetry.js';

/** Every telemetry event name; the `satisfies` keeps it in step with TelemetryEvents. */
const EVENT_NAMES = Object.keys({
  'job.insert': true,
  'job.start': true,
  'job.stop': true,
  'job.exception': true,
  'job.cancel': true,
  'job.release': true,
  'job.log': true,
  'job.rescue': true,
  'job.stale': true,
  'store.call': true,
  'scheduler.stage': true,
  'pruner.prune': true,
  'queue.pause': true,
  'queue.resume': true,
  'monitor.report': true,
} satisfies Record<TelemetryEvent, true>) as TelemetryEvent[];

type Listener = (payload: never) => void;

/**
 * The job system's event hub. Listener lists are copied on change, not on emit: emits
 * happen several times per job, subscriptions almost never.
 */
export class Telemetry {
  readonly #listeners = new Map<TelemetryEvent, readonly Listener[]>();
  readonly #name: string;

  /** `name` labels its reports (a listener that throws). */
  constructor(name: string) {
    this.#name = name;
  }

  /** Subscribes to an event; returns the function that unsubscribes. Unknown names throw a TypeError. */
  on<K extends TelemetryEvent>(event: K, listener: (payload: TelemetryEvents[K]) => void): () => void {
    if (!EVENT_NAMES.includes(event)) {
      throw invalidArgument('event', `a telemetry event (${EVENT_NAMES.join(', ')})`, event);
    }
    if (typeof listener !== 'function') throw invalidArgument('listener', 'a function', listener);
    const safe = (payload: TelemetryEvents[K]): void => {
      try {
        listener(payload);
      } catch (err) {
        report({
          source: 'steward',
          name: this.#name,
          event: 'telemetry.listener_failed',
          reason: coerceError(err),
          meta: { event },
        });
      }
    };
    this.#listeners.set(event, [...(this.#listeners.get(event) ?? []), safe as Listener]);
    return () => {
      const now = this.#listeners.get(event) ?? [];
      const rest = now.filter((l) => l !== safe);
      if (rest.length > 0) this.#listeners.set(event, rest);
      else this.#listeners.delete(event);
    };
  }

  /** Emits an event; never throws (each listener is guarded). */
  emit<K extends TelemetryEvent>(event: K, payload: TelemetryEvents[K]): void {
    const listeners = this.#listeners.get(event);
    if (!listeners) return;
    for (const listener of listeners) (listener as (payload: TelemetryEvents[K]) => void)(payload);
  }

  /** Whether anybody listens to `event` (lets hot paths skip building a payload). */
  has(event: TelemetryEvent): boolean {
    return this.#listeners.has(event);
  }
}

/** Every Store method; the `satisfies` makes a method added to the contract fail to compile here. */
const STORE_METHODS = Object.keys({
  open: true,
  close: true,
  now: true,
  insertJobs: true,
  fetchJobs: true,
  completeJob: true,
  completeJobs: true,
  errorJob: true,
  snoozeJob: true,
  cancelExecuting: true,
  releaseJob: true,
  cancelJobs: true,
  retryJobs: true,
  deleteJobs: true,
  heartbeat: true,
  recordProgress: true,
  rescueJobs: true,
  stageJobs: true,
  pruneJobs: true,
  getJob: true,
  listJobs: true,
  countJobs: true,
  pauseQueue: true,
  resumeQueue: true,
  listQueues: true,
  subscribe: true,
} satisfies Record<Exclude<keyof Store, 'kind' | 'capabilities'>, true>);

/** Calls not worth timing: the clock, and subscribing. */
const UNTIMED = new Set<string>(['now', 'subscribe']);

/**
 * Wraps a store so every method call emits `store.call` with its duration and error.
 * The wrapper is a Store itself, so nothing downstream knows it is there.
 */
export function instrumentStore(store: Store, telemetry: Telemetry): Store {
  const wrapped: Record<string, unknown> = { kind: store.kind, capabilities: store.capabilities };
  for (const key of STORE_METHODS) {
    const method = (store as unknown as Record<string, (...args: unknown[]) => unknown>)[key];
    if (typeof method !== 'function')
      throw invalidArgument(`store.${key}`, 'a function (the Store contract)', method);
    wrapped[key] = UNTIMED.has(key) ? method.bind(store) : timed(store, key, method, telemetry);
  }
  return Object.freeze(wrapped) as unknown as Store;
}

function timed(
  store: Store,
  name: string,
  method: (...args: unknown[]) => unknown,
  telemetry: Telemetry,
): (...args: unknown[]) => unknown {
  return function (...args: unknown[]): unknown {
    if (!telemetry.has('store.call')) return method.apply(store, args);
    const started = performance.now();
    const done = (error: Error | null): void =>
      telemetry.emit('store.call', { method: name, durationMs: performance.now() - started, error });
    let out: unknown;
    try {
      out = method.apply(store, args);
    } catch (err) {
      done(coerceError(err));
      throw err;
    }
    if (out instanceof Promise) {
      return out.then(
        (value: unknown) => {
          done(null);
          return value;
        },
        (err: unknown) => {
          done(coerceError(err));
          throw err;
        },
      );
    }
    done(null);
    return out;
  };
}
