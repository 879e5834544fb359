import { describe, expect, it } from 'vitest';
import { createMemoryStore } from '../../src/index.js';
import type { Store } from '../../src/index.js';
import { waitFor } from '../../src/testing/index.js';
import { deferred, manualStore, startSteward } from './helpers.js';

describe('reads, deletes and counts', () => {
  it('lists jobs by state, queue and kind, counts the queued ones and deletes finished ones', async () => {
    const steward = await startSteward({
      queues: { mail: { paused: true } },
      jobs: { email: { queue: 'mail', handler: () => null }, ping: () => 'pong' },
    });
    const emails = await steward.enqueueMany([1, 2, 3].map((n) => ({ kind: 'email', payload: n })));
    const ping = await steward.enqueue('ping', null);
    await steward.drain();
    expect((await steward.listJobs({ queue: 'mail' })).map((j) => j.id)).toEqual(emails.map((j) => j.id));
    expect((await steward.listJobs({ state: 'completed' })).map((j) => j.id)).toEqual([ping.id]);
    expect(await steward.listJobs({ kind: 'email', limit: 2 })).toHaveLength(2);
    expect(await steward.queueSize()).toBe(3);
    expect(await steward.queueSize('mail')).toBe(3);
    expect(await steward.queueSize('default')).toBe(0);
    expect(await steward.deleteJob(ping.id)).toBe(true);
    expect(await steward.getJob(ping.id)).toBeNull();
    expect(await steward.deleteJob(ping.id)).toBe(false);
    expect(await steward.deleteJobs(emails.map((j) => j.id))).toBe(3);
    expect(await steward.queueSize()).toBe(0);
  });

  it('rejects bad ids and queue names with the value in the message', async () => {
    const steward = await startSteward({ run: false, jobs: { a: () => null } });
    await expect(steward.cancelJobs('1' as never)).rejects.toThrow(
      'Expected `ids` to be an array of job ids (strings), got `"1"` (string)',
    );
    await expect(steward.pauseQueue('')).rejects.toThrow(
      'Expected `queue` to be a non-empty queue name, got `""` (string)',
    );
  });
});

describe('heartbeat', () => {
  it('aborts a running job whose cancel it learns from its heartbeat (no store event needed)', async () => {
    const base = createMemoryStore();
    // A store whose events never say `cancel_requested`, as if the cancel came from a process that cannot notify.
    const store = new Proxy(base, {
      get(target, key) {
        if (key === 'subscribe') {
          return (listener: Parameters<Store['subscribe']>[0]) =>
            target.subscribe((event) => {
              if (event.type !== 'cancel_requested') listener(event);
            });
        }
        const value: unknown = Reflect.get(target, key);
        return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
      },
    });
    const started = deferred();
    const steward = await startSteward({
      store,
      leaseMs: 60,
      jobs: {
        wait: (_p, { signal }) =>
          new Promise((_resolve, reject) => {
            started.resolve();
            signal.addEventListener('abort', () => reject(signal.reason as Error));
          }),
      },
    });
    const { id } = await steward.enqueue('wait', null);
    await started.promise;
    expect(await base.cancelJobs([id])).toEqual(['cancelling']);
    const job = await waitFor(async () => {
      const j = await steward.getJob(id);
      return j?.state === 'cancelled' ? j : null;
    });
    expect(job.errors[0]?.name).toBe('JobCancelledError');
  });

  it('leases a job for 30 s by default (the issue: 30 s or less), from when it was taken', async () => {
    const { store } = manualStore();
    const release = deferred();
    const started = deferred();
    const steward = await startSteward({
      store,
      jobs: {
        wait: () => {
          started.resolve();
          return release.promise;
        },
      },
    });
    const { id } = await steward.enqueue('wait', null);
    await started.promise;
    const job = (await steward.getJob(id))!;
    expect((job.lease?.expiresAt ?? 0) - (job.attemptedAt ?? 0)).toBe(30_000);
    release.resolve();
    await steward.drain();
  });

  it('keeps renewing the lease of a long job, so it is never rescued while it runs', async () => {
    const { clock, store } = manualStore();
    const release = deferred();
    const started = deferred();
    const long = (): Promise<string> => {
      started.resolve();
      return release.promise.then(() => 'done');
    };
    const steward = await startSteward({ store, leaseMs: 60, jobs: { long } });
    const rescued: string[] = [];
    steward.on('job.rescue', (e) => rescued.push(...e.jobs.map((j) => j.id)));
    const { id } = await steward.enqueue('long', null);
    await started.promise;
    for (let i = 0; i < 5; i++) {
      const before = (await steward.getJob(id))!.lease!.expiresAt;
      clock.advance(30);
      // The heartbeat (every 20 ms) pushes the lease to now + 60.
      await waitFor(async () => (await steward.getJob(id))!.lease!.expiresAt > before);
    }
    release.resolve();
    await steward.drain();
    expect((await steward.getJob(id))?.result).toBe('done');
    expect(rescued).toEqual([]);
  });
});

describe('pruner', () => {
  it('deletes finished jobs older than the retention age', async () => {
    const { clock, store } = manualStore();
    const steward = await startSteward({
      store,
      prune: { maxAgeMs: 60_000, intervalMs: 20 },
      jobs: { work: () => null },
    });
    const pruned = deferred<number>();
    steward.on('pruner.prune', (e) => pruned.resolve(e.pruned));
    const old = await steward.enqueue('work', 1);
    await steward.drain();
    clock.advance(30_000);
    const young = await steward.enqueue('work', 2);
    await steward.drain();
    clock.advance(30_001);
    expect(await pruned.promise).toBe(1);
    expect(await steward.getJob(old.id)).toBeNull();
    expect((await steward.getJob(young.id))?.state).toBe('completed');
  });
});
