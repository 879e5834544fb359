/**
 * Shared helpers of the queue tests: a Steward factory that stops everything it made
 * after each test, a hand-made Standard Schema (no validator library needed), deferreds.
 */
import { afterEach } from 'vitest';
import { createMemoryStore, createSteward } from '../../src/index.js';
import type { Steward, StewardOptions, Store, StandardSchemaV1 } from '../../src/index.js';
import { ManualClock } from '../../src/testing/clock.js';

const started: Steward[] = [];

afterEach(async () => {
  const all = started.splice(0);
  await Promise.all(all.map((s) => s.stop({ graceMs: 0 })));
});

/** Creates and starts a Steward on a fresh memory store (or the given one); stopped after the test. */
export async function startSteward(
  options: Omit<StewardOptions, 'store'> & { store?: Store | string },
): Promise<Steward> {
  const steward = createSteward({
    pollIntervalMs: 50,
    ...options,
    store: options.store ?? createMemoryStore(),
  });
  started.push(steward);
  await steward.start();
  return steward;
}

/** A memory store on a manual clock. */
export function manualStore(start = 1_700_000_000_000): { clock: ManualClock; store: Store } {
  const clock = new ManualClock(start);
  return { clock, store: createMemoryStore({ clock: clock.now }) };
}

/** A promise with its resolvers outside. */
export function deferred<T = void>(): { promise: Promise<T>; resolve: (value: T) => void } {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((r) => (resolve = r));
  return { promise, resolve };
}

/** A tiny Standard Schema: an object whose `field` must be a string. */
export function stringField<K extends string>(field: K): StandardSchemaV1<unknown, Record<K, string>> {
  return {
    '~standard': {
      version: 1,
      vendor: 'test',
      validate(value) {
        if (
          typeof value === 'object' &&
          value !== null &&
          typeof (value as Record<string, unknown>)[field] === 'string'
        ) {
          return { value: value as Record<K, string> };
        }
        return { issues: [{ message: 'expected a string', path: [field] }] };
      },
    },
  };
}

/** Resolves after `ms` of real time. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const t = setTimeout(resolve, ms);
    signal?.addEventListener('abort', () => {
      clearTimeout(t);
      resolve();
    });
  });
}
