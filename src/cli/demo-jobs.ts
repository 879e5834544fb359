/**
 * The demo's job kinds and the jobs of one run. The kinds are the seed capstone's `compute`,
 * `io` and `network` (sleeping 100, 200 and 300 ms, divided by `speed`), plus `flaky` (fails its
 * first one or two attempts, then succeeds: retries) and `broken` (always fails: the dead-letter
 * queue). Each kind's schema requires the field its handler reads: the seed submits
 * `%{type, data}` to all three kinds, so its io and network jobs (two thirds) fail for lack of
 * `path` and `url`; here a job without its data is refused at enqueue instead.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { Priority, defineJob } from '../index.js';
import type { AnyJobDefinition, StandardSchemaV1 } from '../index.js';

/** The queue every demo job goes to, so the demo's workers never touch anyone else's jobs. */
export const DEMO_QUEUE = 'demo';
/** The tag every demo job carries (with `run:<id>` and `phase:<name>`), so a rerun finds them. */
export const DEMO_TAG = 'demo';
/** The seed's sleeps per job type, ms. */
export const SEED_SLEEP_MS = Object.freeze({ compute: 100, io: 200, network: 300 } as const);
/** The seed's job types. */
export type SeedType = keyof typeof SEED_SLEEP_MS;
/** Every demo job kind. */
export type DemoKind = SeedType | 'flaky' | 'broken';
/** The kind that is meant to end in the dead-letter queue. */
export const BROKEN_KIND: DemoKind = 'broken';
/** The seed's `JobQueue.Retry` allows 3 attempts; `flaky` needs up to 3 and gets slack for a rescue. */
export const MAX_ATTEMPTS: Readonly<Record<DemoKind, number>> = Object.freeze({
  compute: 3,
  io: 3,
  network: 3,
  flaky: 5,
  broken: 3,
});
/** The wait between attempts at speed 1, ms (short, so retries show within the run). */
export const RETRY_BACKOFF_MS = 50;
/** What `broken` throws: the seed's `perform_job(%{type: :error})` message. */
export const BROKEN_MESSAGE = 'Intentional job failure';

const SEED_TYPES: readonly SeedType[] = ['compute', 'io', 'network'];
const LEVELS: readonly number[] = [
  Priority.critical,
  Priority.high,
  Priority.normal,
  Priority.low,
  Priority.background,
];

type FieldType = 'number' | 'string';

/**
 * A Standard Schema requiring each named field with its type (other fields pass through), so a
 * kind's handler never sees a payload without its data. Hand-made: no validator at run time.
 */
export function requireFields<T>(spec: { readonly [K in keyof T]: FieldType }): StandardSchemaV1<unknown, T> {
  return {
    '~standard': {
      version: 1,
      vendor: 'steward-demo',
      validate(value) {
        if (typeof value !== 'object' || value === null || Array.isArray(value)) {
          return { issues: [{ message: `expected an object with ${Object.keys(spec).join(', ')}` }] };
        }
        const record = value as Record<string, unknown>;
        const issues = Object.entries<FieldType>(spec)
          .filter(
            ([key, type]) =>
              typeof record[key] !== type || (type === 'number' && !isFiniteNumber(record[key])),
          )
          .map(([key, type]) => ({
            message: `expected a ${type}, got ${JSON.stringify(record[key])}`,
            path: [key],
          }));
        return issues.length > 0 ? { issues } : { value: value as T };
      },
    },
  };
}

function isFiniteNumber(value: unknown): boolean {
  return typeof value === 'number' && Number.isFinite(value);
}

/** Steps of the Collatz sequence from `n` to 1: a small real computation for `compute`. */
export function collatzSteps(n: number): number {
  let steps = 0;
  for (let x = Math.max(1, Math.floor(Math.abs(n))); x !== 1; steps++) x = x % 2 === 0 ? x / 2 : 3 * x + 1;
  return steps;
}

/**
 * The demo's job kinds, sleeping the seed's times divided by `speed` (the tests run 100× faster).
 * Every sleep takes the job's signal, so a cancel, a lost lease or a shutdown stops it at once.
 */
export function demoJobs(speed: number): Record<DemoKind, AnyJobDefinition> {
  const ms = (base: number): number => base / speed;
  const common = (kind: DemoKind) => ({
    queue: DEMO_QUEUE,
    maxAttempts: MAX_ATTEMPTS[kind],
    backoff: { type: 'fixed', delayMs: Math.max(1, Math.round(ms(RETRY_BACKOFF_MS))) } as const,
  });
  return {
    compute: defineJob({
      ...common('compute'),
      schema: requireFields<{ n: number }>({ n: 'number' }),
      handler: async ({ n }, { signal }) => {
        const result = { doubled: n * 2, collatzSteps: collatzSteps(n) };
        await sleep(ms(SEED_SLEEP_MS.compute), undefined, { signal });
        return result;
      },
    }),
    io: defineJob({
      ...common('io'),
      schema: requireFields<{ path: string }>({ path: 'string' }),
      handler: async ({ path }, { signal }) => {
        await sleep(ms(SEED_SLEEP_MS.io), undefined, { signal });
        return `processed ${path}`;
      },
    }),
    network: defineJob({
      ...common('network'),
      schema: requireFields<{ url: string }>({ url: 'string' }),
      handler: async ({ url }, { signal }) => {
        await sleep(ms(SEED_SLEEP_MS.network), undefined, { signal });
        return `fetched ${url}`;
      },
    }),
    flaky: defineJob({
      ...common('flaky'),
      schema: requireFields<{ n: number; failures: number }>({ n: 'number', failures: 'number' }),
      handler: async ({ n, failures }, { attempt, signal }) => {
        await sleep(ms(SEED_SLEEP_MS.compute), undefined, { signal });
        if (attempt <= failures) throw new Error(`flaky #${n}: transient failure ${attempt} of ${failures}`);
        return { n, succeededOnAttempt: attempt };
      },
    }),
    broken: defineJob({
      ...common('broken'),
      schema: requireFields<{ n: number }>({ n: 'number' }),
      handler: async (_payload, { signal }) => {
        await sleep(ms(SEED_SLEEP_MS.compute), undefined, { signal });
        throw new Error(BROKEN_MESSAGE);
      },
    }),
  };
}

/** One job to enqueue. */
export interface PlannedJob {
  readonly kind: DemoKind;
  readonly payload: Readonly<Record<string, number | string>>;
  readonly priority: number;
}

/** The seed's job data for a type: what its handler needs (the seed's own `%{data: i}` lacked it). */
export function seedPayload(type: SeedType, i: number): Readonly<Record<string, number | string>> {
  switch (type) {
    case 'compute':
      return { n: i };
    case 'io':
      return { path: `/var/data/file-${i}.csv` };
    case 'network':
      return { url: `https://api.example.com/items/${i}` };
  }
}

/**
 * The seed's testing scenario: `count` jobs of random priority (1, 3, 5, 7, 9) and type, then
 * `failing` jobs that fail: half (rounded up) `flaky`, failing 1 or 2 times, the rest `broken`.
 */
export function scenarioJobs(
  count: number,
  failing: number,
  random: () => number = Math.random,
): PlannedJob[] {
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)] as T;
  const jobs: PlannedJob[] = [];
  for (let i = 1; i <= count; i++) {
    const type = pick(SEED_TYPES);
    jobs.push({ kind: type, payload: seedPayload(type, i), priority: pick(LEVELS) });
  }
  const { flaky, broken } = failingSplit(failing);
  for (let i = 1; i <= flaky; i++) {
    jobs.push({ kind: 'flaky', payload: { n: i, failures: 1 + ((i - 1) % 2) }, priority: pick(LEVELS) });
  }
  for (let i = 1; i <= broken; i++) jobs.push({ kind: 'broken', payload: { n: i }, priority: pick(LEVELS) });
  return jobs;
}

/** How many of `failing` jobs are `flaky` and how many `broken`. */
export function failingSplit(failing: number): { readonly flaky: number; readonly broken: number } {
  const broken = Math.floor(failing / 2);
  return { flaky: failing - broken, broken };
}
