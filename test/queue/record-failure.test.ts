/**
 * When the store fails to record an outcome: the slot frees at once, the failure is reported
 * (job.record_failed), and the job — still executing in the store under a lease nobody renews —
 * is rescued by the lifeline and runs again: at-least-once, nothing lost.
 */
import { describe, expect, it } from 'vitest';
import { createMemoryStore } from '../../src/index.js';
import type { Completion, Store } from '../../src/index.js';
import { captureReports, waitFor } from '../../src/testing/index.js';
import { startSteward } from './helpers.js';

/** A memory store whose first `failures` completeJobs calls reject, changing nothing. */
function failingCompletions(failures: number): { store: Store; calls: () => number } {
  const inner = createMemoryStore();
  let calls = 0;
  const store = new Proxy(inner, {
    get(target, prop, receiver) {
      if (prop === 'completeJobs') {
        return (completions: readonly Completion[]) => {
          calls++;
          if (failures-- > 0) return Promise.reject(new Error('disk on fire'));
          return target.completeJobs(completions);
        };
      }
      const value: unknown = Reflect.get(target, prop, receiver);
      return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
    },
  });
  return { store, calls: () => calls };
}

describe('a success the store fails to record', () => {
  it('is reported, frees its slot, and runs again once its lease runs out', async () => {
    const capture = captureReports();
    try {
      const { store, calls } = failingCompletions(1);
      let runs = 0;
      const steward = await startSteward({
        store,
        leaseMs: 200,
        logger: false,
        queues: { default: { concurrency: 5 } },
        jobs: { work: () => ++runs },
      });
      const jobs = await steward.enqueueMany([1, 2, 3].map((n) => ({ kind: 'work', payload: { n } })));
      await waitFor(async () => (await steward.listJobs({ state: 'completed' })).length === 3, {
        timeout: 10_000,
      });
      const failed = capture.reports.filter((r) => r.event === 'job.record_failed');
      expect(failed.map((r) => r.meta?.jobId).sort()).toEqual(jobs.map((j) => j.id).sort());
      expect(failed.every((r) => r.meta?.outcome === 'success' && r.reason?.message === 'disk on fire')).toBe(
        true,
      );
      expect(calls()).toBeGreaterThanOrEqual(2);
      // Each ran twice: the attempt whose outcome was lost, and the one after the rescue.
      expect(runs).toBe(6);
      for (const job of await steward.listJobs({ state: 'completed' })) {
        expect(job.attempt).toBe(2);
        expect(job.errors.map((e) => e.name)).toEqual(['LeaseExpiredError']);
      }
    } finally {
      capture.dispose();
    }
  });
});
