/**
 * A small typed event emitter. Unlike node:events, a listener that throws never
 * reaches the emitter (graphile-worker's `safeEmit`): a broken metrics hook must not
 * break the supervisor or job that emitted the event.
 */
import { coerceError } from '../errors.js';

/** Maps event names to their payload types. */
export type EventMap = { [event: string]: unknown };

/** A typed emitter whose `emit` never throws. */
export class Emitter<E extends EventMap> {
  readonly #listeners = new Map<keyof E, Set<(payload: never) => void>>();

  /** Adds a listener; returns the function that removes it. */
  on<K extends keyof E>(event: K, listener: (payload: E[K]) => void): () => void {
    let set = this.#listeners.get(event);
    if (!set) this.#listeners.set(event, (set = new Set()));
    set.add(listener as (payload: never) => void);
    return () => this.off(event, listener);
  }

  /** Removes a listener. */
  off<K extends keyof E>(event: K, listener: (payload: E[K]) => void): void {
    this.#listeners.get(event)?.delete(listener as (payload: never) => void);
  }

  /** Calls every listener of `event`; errors are written to stderr, never thrown. */
  emit<K extends keyof E>(event: K, payload: E[K]): void {
    const set = this.#listeners.get(event);
    if (!set) return;
    for (const listener of [...set]) {
      try {
        (listener as (payload: E[K]) => void)(payload);
      } catch (err) {
        process.stderr.write(
          `[steward] listener for "${String(event)}" threw: ${coerceError(err).message}\n`,
        );
      }
    }
  }

  /** How many listeners `event` has. */
  listenerCount(event: keyof E): number {
    return this.#listeners.get(event)?.size ?? 0;
  }
}
