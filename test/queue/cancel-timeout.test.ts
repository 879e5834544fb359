import { describe, expect, it } from 'vitest';
import { JobCancelledError, JobTimeoutError, defineJob } from '../../src/index.js';
import { waitFor } from '../../src/testing/index.js';
import { deferred, sleep, startSteward } from './helpers.js';

describe('per-job timeout', () => {
  it('aborts the signal and fails the attempt with JobTimeoutError', async () => {
    let reason: unknown;
    const steward = await startSteward({
      jobs: {
        slow: defineJob({
          timeoutMs: 30,
          maxAttempts: 1,
          handler: async (_p, { signal }) => {
            await new Promise<void>((resolve) => signal.addEventListener('abort', () => resolve()));
            reason = signal.reason;
            return 'too late';
          },
        }),
      },
    });
    const { id } = await steward.enqueue('slow', null);
    await steward.drain();
    const job = await steward.getJob(id);
    expect(job?.state).toBe('discarded');
    expect(job?.errors).toMatchObject([
      { name: 'JobTimeoutError', message: `job ${id} did not finish within 30 ms` },
    ]);
    expect(reason).toBeInstanceOf(JobTimeoutError);
    expect(job?.result).toBeNull();
  });

  it('lets a per-enqueue timeout override the kind default', async () => {
    const steward = await startSteward({
      jobs: {
        slow: defineJob({
          timeoutMs: 60_000,
          maxAttempts: 1,
          handler: (_p, { signal }) => sleep(10_000, signal),
        }),
      },
    });
    const { id, timeoutMs } = await steward.enqueue('slow', null, { timeoutMs: 20 });
    expect(timeoutMs).toBe(20);
    await steward.drain();
    expect((await steward.getJob(id))?.errors[0]?.name).toBe('JobTimeoutError');
  });
});

describe('cancellation', () => {
  it('cancels a queued job at once: it never runs', async () => {
    let ran = false;
    const steward = await startSteward({
      queues: { default: { paused: true } },
      jobs: { work: () => void (ran = true) },
    });
    const cancels: (number | null)[] = [];
    steward.on('job.cancel', (e) => cancels.push(e.durationMs));
    const { id } = await steward.enqueue('work', null);
    const cancelled = await steward.cancelJob(id);
    expect(cancelled?.state).toBe('cancelled');
    await steward.resumeQueue('default');
    await steward.drain();
    expect(ran).toBe(false);
    expect(cancels).toEqual([null]);
    expect(await steward.cancelJob('no-such-id')).toBeNull();
  });

  it('aborts a running job: it ends cancelled even though its handler then returns a value', async () => {
    const started = deferred();
    let sawAbort: unknown;
    const steward = await startSteward({
      jobs: {
        stubborn: async (_p, { signal }) => {
          started.resolve();
          await new Promise<void>((resolve) => signal.addEventListener('abort', () => resolve()));
          sawAbort = signal.reason;
          return 'finished anyway';
        },
      },
    });
    const events: string[] = [];
    steward.on('job.stop', () => events.push('stop'));
    steward.on('job.cancel', (e) => events.push(`cancel:${e.durationMs === null ? 'queued' : 'running'}`));
    const { id } = await steward.enqueue('stubborn', null);
    await started.promise;
    const job = await steward.cancelJob(id);
    expect(job?.state).toBe('cancelled');
    expect(job?.result).toBeNull();
    expect(job?.errors).toMatchObject([{ name: 'JobCancelledError' }]);
    expect(sawAbort).toBeInstanceOf(JobCancelledError);
    await steward.drain();
    expect(events).toEqual(['cancel:running']);
  });

  it('ends a running job cancelled at once even if its handler ignores the signal', async () => {
    const started = deferred();
    const steward = await startSteward({
      jobs: {
        deaf: async () => {
          started.resolve();
          await sleep(60_000);
        },
      },
    });
    const { id } = await steward.enqueue('deaf', null);
    await started.promise;
    const job = await steward.cancelJob(id);
    expect(job?.state).toBe('cancelled');
    await steward.drain({ timeoutMs: 1000 });
  });

  it('sees a cancel requested through the store by another client', async () => {
    const started = deferred();
    const steward = await startSteward({
      jobs: {
        wait: (_p, { signal }) =>
          new Promise((_r, reject) => signal.addEventListener('abort', () => reject(signal.reason))),
      },
    });
    steward.on('job.start', () => started.resolve());
    const { id } = await steward.enqueue('wait', null);
    await started.promise;
    expect(await steward.store.cancelJobs([id])).toEqual(['cancelling']);
    const job = await waitFor(async () => {
      const j = await steward.getJob(id);
      return j?.state === 'cancelled' ? j : null;
    });
    expect(job.errors[0]?.name).toBe('JobCancelledError');
  });

  it('leaves a finished job unchanged', async () => {
    const steward = await startSteward({ jobs: { quick: () => 1 } });
    const { id } = await steward.enqueue('quick', null);
    await steward.drain();
    const [job] = await steward.cancelJobs([id]);
    expect(job?.state).toBe('completed');
  });
});
