/**
 * Shared plumbing of the Store conformance suite: the per-test store context, builders for
 * inserts, leases and errors, and small assertions. Only conformance-*.ts files use it.
 */
import { afterEach, beforeEach, expect } from 'vitest';
import type { JobError, JobInsert, JobRecord, LeaseRef, Store, StoreEvent } from '../../src/store/types.js';
import { seededRandom } from '../../src/testing/index.js';
import { jobInsert } from '../fixtures/job-insert.js';

/** The clock a conformance run controls; `ManualClock` from steward/testing is one. */
export interface ManualClockLike {
  now(): number;
  advance(ms: number): unknown;
  set(ms: number): unknown;
}

/** What a store factory gives the suite: a fresh, empty store on a manual clock. */
export interface StoreFixture {
  readonly store: Store;
  readonly clock: ManualClockLike;
  readonly cleanup?: () => Promise<void>;
}

/** Makes a fresh, empty store (not yet opened) whose clock is the returned manual clock. */
export type StoreFactory = () => Promise<StoreFixture>;

/** The current test's store and clock (valid inside tests only). */
export interface Ctx {
  readonly store: Store;
  readonly clock: ManualClockLike;
  /** Events the store delivered since the test began. */
  readonly events: StoreEvent[];
}

/** The default queue of the suite's jobs. */
export const Q = 'default';

/** Registers beforeEach/afterEach that open a fresh store per test and close it after. */
export function useStore(make: StoreFactory): Ctx {
  let fixture: StoreFixture | undefined;
  let events: StoreEvent[] = [];
  let unsubscribe: (() => void) | undefined;
  beforeEach(async () => {
    fixture = await make();
    await fixture.store.open();
    events = [];
    unsubscribe = fixture.store.subscribe((e) => events.push(e));
  });
  afterEach(async () => {
    const f = fixture;
    fixture = undefined;
    unsubscribe?.();
    if (f === undefined) return;
    await f.store.close();
    await f.cleanup?.();
  });
  const current = (): StoreFixture => {
    if (fixture === undefined) throw new Error('the store fixture is only available inside a test');
    return fixture;
  };
  return {
    get store() {
      return current().store;
    },
    get clock() {
      return current().clock;
    },
    get events() {
      return events;
    },
  };
}

/** A complete JobInsert with the queue layer's usual defaults, runAt = now. */
export function jobAt(ctx: Ctx, over: Partial<JobInsert> = {}): JobInsert {
  return jobInsert({ kind: 'noop', queue: Q, payload: { n: 1 }, runAt: ctx.clock.now(), ...over });
}

/** Inserts one job per override (one batch) and returns the new records, in order. */
export async function insert(ctx: Ctx, ...overs: Partial<JobInsert>[]): Promise<JobRecord[]> {
  const results = await ctx.store.insertJobs(overs.map((o) => jobAt(ctx, o)));
  for (const r of results) expect(r.duplicate).toBe(false);
  return results.map((r) => r.job);
}

/** Inserts one job and returns it. */
export async function insertOne(ctx: Ctx, over: Partial<JobInsert> = {}): Promise<JobRecord> {
  const [job] = await insert(ctx, over);
  return job as JobRecord;
}

/** Fetches from a queue with a 30 s lease as worker `owner`. */
export function fetch(
  ctx: Ctx,
  demand: number,
  queue = Q,
  owner = 'w1',
  leaseMs = 30_000,
): Promise<JobRecord[]> {
  return ctx.store.fetchJobs({ queue, demand, owner, leaseMs });
}

/** Inserts a job and fetches it: returns the executing record. */
export async function running(ctx: Ctx, over: Partial<JobInsert> = {}, leaseMs = 30_000): Promise<JobRecord> {
  const job = await insertOne(ctx, { queue: 'solo', ...over });
  const [got] = await fetch(ctx, 1, job.queue, 'w1', leaseMs);
  expect(got?.id).toBe(job.id);
  return got as JobRecord;
}

/** The lease reference of an executing record. */
export function leaseOf(job: JobRecord): LeaseRef {
  if (job.lease === null) throw new Error(`job ${job.id} holds no lease (state ${job.state})`);
  return { id: job.id, token: job.lease.token };
}

/** A JobError for `job`'s current attempt. */
export function errorFor(ctx: Ctx, job: JobRecord, message = 'boom'): JobError {
  return { attempt: job.attempt, at: ctx.clock.now(), name: 'Error', message };
}

/** The stored record (failing when it is gone). */
export async function get(ctx: Ctx, id: string): Promise<JobRecord> {
  const job = await ctx.store.getJob(id);
  if (job === null) throw new Error(`job ${id} is not stored`);
  return job;
}

/** The stored states of `ids`, in order. */
export async function statesOf(ctx: Ctx, ids: readonly string[]): Promise<string[]> {
  return Promise.all(ids.map(async (id) => (await ctx.store.getJob(id))?.state ?? 'gone'));
}

/** Compares ids in insertion order: numeric strings numerically, anything else as strings. */
export function compareIds(a: string, b: string): number {
  if (/^\d+$/.test(a) && /^\d+$/.test(b)) {
    const x = BigInt(a);
    const y = BigInt(b);
    return x < y ? -1 : x > y ? 1 : 0;
  }
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Fetches everything available on `queue` in chunks of `chunk`; returns the records in fetch order. */
export async function drainQueue(ctx: Ctx, queue = Q, chunk = 10): Promise<JobRecord[]> {
  const out: JobRecord[] = [];
  for (;;) {
    const got = await fetch(ctx, chunk, queue);
    if (got.length === 0) return out;
    out.push(...got);
  }
}

/** Resolves once `predicate` holds, checking on each macrotask (events may arrive asynchronously). */
export async function eventually(predicate: () => boolean, what: string, timeoutMs = 2000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 1));
  }
}

/** A seeded PRNG, so "random" conformance cases reproduce. */
export const rng = seededRandom;
