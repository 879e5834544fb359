import { describe, expect, it } from 'vitest';
import { ShutdownError, StoppedError, createMemoryStore, createSteward } from '../../src/index.js';
import { deferred, sleep, startSteward } from './helpers.js';

describe('graceful shutdown', () => {
  it('lets running jobs finish within the grace period and hands the rest back to the store', async () => {
    const store = createMemoryStore();
    const quickStarted = deferred();
    const slowStarted = deferred();
    let slowReason: unknown;
    const steward = await startSteward({
      store,
      queues: { default: { concurrency: 2 } },
      jobs: {
        quick: async () => {
          quickStarted.resolve();
          await sleep(30);
          return 'done';
        },
        slow: async (_p, { signal }) => {
          slowStarted.resolve();
          await sleep(60_000, signal);
          slowReason = signal.reason;
          return 'never stored';
        },
      },
    });
    const released: string[] = [];
    steward.on('job.release', (e) => released.push(e.job.id));
    const quick = await steward.enqueue('quick', null);
    const slow = await steward.enqueue('slow', null);
    await Promise.all([quickStarted.promise, slowStarted.promise]);
    await steward.stop({ graceMs: 200 });

    expect((await store.getJob(quick.id))?.state).toBe('completed');
    const handedBack = await store.getJob(slow.id);
    expect(handedBack).toMatchObject({ state: 'available', attempt: 0, lease: null, errors: [] });
    expect(slowReason).toBeInstanceOf(ShutdownError);
    expect(released).toEqual([slow.id]);
    expect((await steward.stats()).inProgress).toBe(0);

    // Another worker on the same store picks the handed-back job up.
    const next = await startSteward({ store, jobs: { quick: () => null, slow: () => 'second worker' } });
    await next.drain();
    expect((await store.getJob(slow.id))?.result).toBe('second worker');
  });

  it('stops fetching: jobs enqueued after stop stay queued', async () => {
    const store = createMemoryStore();
    let ran = 0;
    const steward = await startSteward({ store, jobs: { work: () => void ran++ } });
    await steward.stop();
    const client = await startSteward({ store, run: false, jobs: { work: () => null } });
    await client.enqueue('work', null);
    await sleep(120); // a couple of poll intervals of the stopped steward
    expect(ran).toBe(0);
    expect(await client.queueSize()).toBe(1);
    expect(steward.supervisor.whichChildren().every((c) => c.status === 'stopped')).toBe(true);
  });

  it('closes a store it opened from a URL; later calls reject with StoppedError', async () => {
    const steward = createSteward({ store: 'memory:', jobs: { work: () => null } });
    await steward.start();
    await steward.enqueue('work', null);
    await steward.drain();
    await steward.stop();
    await steward.stop(); // idempotent
    await expect(steward.enqueue('work', null)).rejects.toBeInstanceOf(StoppedError);
    await expect(steward.start()).rejects.toBeInstanceOf(StoppedError);
  });
});
