import { describe, expect, it } from 'vitest';
import { SnoozeError, UnrecoverableError, defineJob } from '../../src/index.js';
import type { JobRecord, Steward } from '../../src/index.js';
import { waitFor } from '../../src/testing/index.js';
import { manualStore, startSteward } from './helpers.js';

/** Waits until job `id` is in `state` (checking the store), returns it. */
function until(steward: Steward, id: string, state: JobRecord['state']): Promise<JobRecord> {
  return waitFor(async () => {
    const job = await steward.getJob(id);
    return job?.state === state ? job : null;
  });
}

/** The backoff the store recorded for the latest failure: runAt − the failure's time. */
function lastWait(job: JobRecord): number {
  return job.runAt - job.errors[job.errors.length - 1]!.at;
}

describe('retries and backoff', () => {
  it('waits a fixed delay between attempts, on the store clock', async () => {
    const { clock, store } = manualStore();
    const steward = await startSteward({
      store,
      jobs: {
        flaky: defineJob({
          backoff: { type: 'fixed', delayMs: 5000 },
          maxAttempts: 3,
          handler: () => {
            throw new Error('boom');
          },
        }),
      },
    });
    const { id } = await steward.enqueue('flaky', null);
    let job = await until(steward, id, 'retryable');
    expect(job.attempt).toBe(1);
    expect(lastWait(job)).toBe(5000);
    clock.advance(4999);
    await steward.drain({ scheduled: false }); // nothing due yet: the retry must not run early
    expect((await steward.getJob(id))!.state).toBe('retryable');
    clock.advance(1);
    job = await waitFor(async () => {
      const j = await steward.getJob(id);
      return j && j.attempt === 2 && j.state === 'retryable' ? j : null;
    });
    expect(job.attemptedAt).toBe(clock.now());
    expect(lastWait(job)).toBe(5000);
  });

  it('asks a backoff function with the attempt number and the error', async () => {
    const { clock, store } = manualStore();
    const calls: [number, string][] = [];
    const steward = await startSteward({
      store,
      jobs: {
        flaky: defineJob({
          backoff: (attempt, error) => {
            calls.push([attempt, error.message]);
            return attempt * 700;
          },
          handler: (_p, { attempt }) => {
            throw new Error(`fail ${attempt}`);
          },
        }),
      },
    });
    const { id } = await steward.enqueue('flaky', null);
    const waits: number[] = [];
    for (let attempt = 1; attempt <= 3; attempt++) {
      const job = await waitFor(async () => {
        const j = await steward.getJob(id);
        return j && j.attempt === attempt && j.state === 'retryable' ? j : null;
      });
      waits.push(lastWait(job));
      clock.advance(lastWait(job));
    }
    expect(waits).toEqual([700, 1400, 2100]);
    expect(calls).toEqual([
      [1, 'fail 1'],
      [2, 'fail 2'],
      [3, 'fail 3'],
    ]);
  });

  it('backs off exponentially by default: attempt n waits 1s·2^(n−1) within its 10% jitter band [0.9w, w]', async () => {
    const { clock, store } = manualStore();
    const steward = await startSteward({
      store,
      jobs: {
        flaky: () => {
          throw new Error('boom');
        },
      },
    });
    const { id } = await steward.enqueue('flaky', null);
    for (let attempt = 1; attempt <= 4; attempt++) {
      const job = await waitFor(async () => {
        const j = await steward.getJob(id);
        return j && j.attempt === attempt && j.state === 'retryable' ? j : null;
      });
      const ideal = 1000 * 2 ** (attempt - 1);
      expect(lastWait(job)).toBeGreaterThanOrEqual(ideal * 0.9);
      expect(lastWait(job)).toBeLessThanOrEqual(ideal);
      clock.advance(lastWait(job));
    }
  });

  it('moves an exhausted job to the dead-letter queue with every error, and retries it by hand', async () => {
    let fail = true;
    const steward = await startSteward({
      jobs: {
        flaky: defineJob({
          maxAttempts: 3,
          backoff: { type: 'fixed', delayMs: 1 },
          handler: (_p, { attempt }) => {
            if (fail) throw new Error(`attempt ${attempt} failed`);
            return 'ok';
          },
        }),
      },
    });
    const exceptions: string[] = [];
    steward.on('job.exception', (e) => exceptions.push(e.outcome));
    const { id } = await steward.enqueue('flaky', null);
    const dead = await until(steward, id, 'discarded');
    expect(dead.attempt).toBe(3);
    expect(dead.errors.map((e) => [e.attempt, e.message])).toEqual([
      [1, 'attempt 1 failed'],
      [2, 'attempt 2 failed'],
      [3, 'attempt 3 failed'],
    ]);
    expect(exceptions).toEqual(['failure', 'failure', 'exhausted']);
    expect(await steward.listJobs({ state: 'discarded' })).toHaveLength(1);

    fail = false;
    const retried = await steward.retryJob(id);
    expect(retried?.state).toBe('available');
    const done = await until(steward, id, 'completed');
    expect(done.result).toBe('ok');
    expect(done.errors).toHaveLength(3); // the dead attempts' errors are kept
  });

  it('discards at once on UnrecoverableError, whatever attempts are left', async () => {
    const steward = await startSteward({
      jobs: {
        hopeless: () => {
          throw new UnrecoverableError('no such user');
        },
      },
    });
    const outcomes: string[] = [];
    steward.on('job.exception', (e) => outcomes.push(e.outcome));
    const { id } = await steward.enqueue('hopeless', null);
    const job = await until(steward, id, 'discarded');
    expect(job.attempt).toBe(1);
    expect(job.maxAttempts).toBe(20);
    expect(job.errors).toMatchObject([{ name: 'UnrecoverableError', message: 'no such user' }]);
    expect(outcomes).toEqual(['discard']);
  });

  it('wraps a non-Error throw into an Error naming the value', async () => {
    const steward = await startSteward({
      jobs: {
        odd: defineJob({
          maxAttempts: 1,
          handler: () => {
            throw 'a string';
          },
        }),
      },
    });
    const { id } = await steward.enqueue('odd', null);
    const job = await until(steward, id, 'discarded');
    expect(job.errors[0]).toMatchObject({ name: 'Error', message: 'non-Error thrown: a string' });
  });

  it('snoozes without counting the attempt', async () => {
    const { clock, store } = manualStore();
    let runs = 0;
    const steward = await startSteward({
      store,
      jobs: {
        later: (_p, { attempt }) => {
          runs += 1;
          if (runs === 1) throw new SnoozeError(60_000);
          return attempt;
        },
      },
    });
    const stops: string[] = [];
    steward.on('job.stop', (e) => stops.push(e.outcome));
    const { id } = await steward.enqueue('later', null);
    const snoozed = await until(steward, id, 'scheduled');
    expect(snoozed.runAt).toBe(clock.now() + 60_000);
    expect(snoozed.attempt).toBe(0);
    clock.advance(60_000);
    const done = await until(steward, id, 'completed');
    expect(done.result).toBe(1);
    expect(stops).toEqual(['snoozed', 'success']);
  });
});
