import { describe, expect, it } from 'vitest';
import { createMemoryStore } from '../../src/index.js';
import type { Store } from '../../src/index.js';
import { captureReports, waitFor } from '../../src/testing/index.js';
import { deferred, manualStore, startSteward } from './helpers.js';

describe('telemetry', () => {
  it('emits the lifecycle of a job in order, with durations, results and errors', async () => {
    const steward = await startSteward({
      jobs: {
        ok: () => ({ answer: 42 }),
        bad: { maxAttempts: 1, handler: () => Promise.reject(new Error('nope')) },
      },
    });
    const events: string[] = [];
    let result: unknown;
    let error: unknown;
    steward.on('job.insert', (e) => events.push(`insert:${e.jobs.map((j) => j.kind).join()}`));
    steward.on('job.start', (e) => events.push(`start:${e.job.kind}:${e.job.attempt}`));
    steward.on('job.stop', (e) => {
      events.push(`stop:${e.job.kind}:${e.outcome}:${e.job.state}`);
      result = e.result;
      expect(e.durationMs).toBeGreaterThanOrEqual(0);
    });
    steward.on('job.exception', (e) => {
      events.push(`exception:${e.job.kind}:${e.outcome}:${e.job.state}`);
      error = e.error;
    });
    await steward.enqueue('ok', null);
    await steward.drain();
    await steward.enqueue('bad', null);
    await steward.drain();
    expect(events).toEqual([
      'insert:ok',
      'start:ok:1',
      'stop:ok:success:completed',
      'insert:bad',
      'start:bad:1',
      'exception:bad:exhausted:discarded',
    ]);
    expect(result).toEqual({ answer: 42 });
    expect(error).toBeInstanceOf(Error);
    expect((error as Error).message).toBe('nope');
  });

  it('times every store call in one place', async () => {
    const steward = await startSteward({ jobs: { ok: () => null } });
    const calls = new Set<string>();
    steward.on('store.call', (e) => {
      calls.add(e.method);
      expect(e.error).toBeNull();
    });
    await steward.enqueue('ok', null);
    await steward.drain();
    expect([...calls]).toEqual(
      expect.arrayContaining(['insertJobs', 'fetchJobs', 'completeJobs', 'countJobs']),
    );
  });

  it('keeps a job running when a listener throws, and reports the listener', async () => {
    const capture = captureReports();
    try {
      const steward = await startSteward({ jobs: { ok: () => 'fine' } });
      steward.on('job.start', () => {
        throw new Error('broken listener');
      });
      steward.on('job.stop', () => {
        throw new Error('broken listener');
      });
      const { id } = await steward.enqueue('ok', null);
      await steward.drain();
      expect((await steward.getJob(id))?.state).toBe('completed');
      const failed = capture.reports.filter((r) => r.event === 'telemetry.listener_failed');
      expect(failed.map((r) => r.meta?.event)).toEqual(['job.start', 'job.stop']);
      expect(failed[0]?.reason?.message).toBe('broken listener');
    } finally {
      capture.dispose();
    }
  });

  it('rejects an unknown event name', async () => {
    const steward = await startSteward({ run: false, jobs: {} });
    expect(() => steward.on('job.finish' as 'job.stop', () => {})).toThrow(
      /Expected `event` to be a telemetry event \(job.insert, .*\), got `"job.finish"` \(string\)/,
    );
  });

  it('carries handler logs and progress', async () => {
    const steward = await startSteward({
      jobs: {
        chatty: async (_p, ctx) => {
          ctx.log.info('halfway', { step: 1 });
          await ctx.progress({ done: 50 });
          expect((await ctx.job.id) && (await steward.getJob(ctx.job.id))?.progress).toEqual({ done: 50 });
          return ctx.attempt;
        },
      },
    });
    const logs: unknown[] = [];
    steward.on('job.log', (e) => logs.push([e.level, e.message, e.fields, e.job.kind]));
    const { id } = await steward.enqueue('chatty', null);
    await steward.drain();
    expect(logs).toEqual([['info', 'halfway', { step: 1 }, 'chatty']]);
    expect((await steward.getJob(id))?.result).toBe(1);
  });

  it('emits pause and resume events, and a paused queue fetches nothing', async () => {
    let ran = 0;
    const steward = await startSteward({ jobs: { work: () => void ran++ } });
    const events: string[] = [];
    steward.on('queue.pause', (e) => events.push(`pause:${e.queue}`));
    steward.on('queue.resume', (e) => events.push(`resume:${e.queue}`));
    await steward.pauseQueue('default');
    await steward.enqueue('work', null);
    await steward.drain(); // available jobs of a paused queue do not hold drain up
    expect(ran).toBe(0);
    await steward.resumeQueue('default');
    await steward.drain();
    expect(ran).toBe(1);
    expect(events).toEqual(['pause:default', 'resume:default']);
  });

  it('runs the monitor on its interval', async () => {
    const lines: string[] = [];
    const steward = await startSteward({
      monitor: { intervalMs: 20, log: (line) => lines.push(line) },
      queues: { default: { paused: true } },
      jobs: { work: () => null },
    });
    await steward.enqueue('work', null);
    const report = deferred<Record<string, number>>();
    steward.on('monitor.report', (e) => report.resolve(e.counts));
    expect(await report.promise).toMatchObject({ available: 1, completed: 0 });
    await waitFor(() => lines.length > 0);
    expect(lines[0]).toMatch(/queued=1 executing=0 enqueued=1/);
  });
});

describe('leases', () => {
  it('rescues a job whose worker vanished, and runs it here', async () => {
    const { clock, store } = manualStore();
    // A worker elsewhere took the job and died holding it.
    const client = await startSteward({ store, run: false, jobs: { work: () => null } });
    const { id } = await client.enqueue('work', null);
    await store.fetchJobs({ queue: 'default', demand: 1, owner: 'dead-node', leaseMs: 60 });
    const steward = await startSteward({ store, leaseMs: 60, jobs: { work: () => 'rescued' } });
    const rescued: string[] = [];
    steward.on('job.rescue', (e) => rescued.push(...e.jobs.map((j) => j.id)));
    clock.advance(60);
    const job = await waitFor(async () => {
      const j = await steward.getJob(id);
      return j?.state === 'completed' ? j : null;
    });
    expect(rescued).toEqual([id]);
    expect(job.result).toBe('rescued');
    expect(job.errors.map((e) => e.name)).toEqual(['LeaseExpiredError']);
  });

  it('drops the outcome of an attempt whose lease was lost, and aborts its handler', async () => {
    const { clock, store } = manualStore();
    const firstRun = deferred();
    let runs = 0;
    let firstReason: unknown;
    const steward = await startSteward({
      store,
      leaseMs: 60,
      jobs: {
        work: async (_p, { signal }) => {
          runs += 1;
          if (runs > 1) return 'second';
          firstRun.resolve();
          await new Promise<void>((resolve) => signal.addEventListener('abort', () => resolve()));
          firstReason = signal.reason;
          return 'first';
        },
      },
    });
    const stale: string[] = [];
    steward.on('job.stale', (e) => stale.push(e.jobId));
    const { id } = await steward.enqueue('work', null);
    await firstRun.promise;
    // The lease runs out (the clock jumps past it) and the job is rescued from under the worker.
    clock.advance(61);
    await (steward.store as Store).rescueJobs();
    const job = await waitFor(async () => {
      const j = await steward.getJob(id);
      return j?.state === 'completed' ? j : null;
    });
    expect(job.result).toBe('second');
    await waitFor(() => stale.length > 0); // the next heartbeat tells the first attempt it lost the lease
    expect(stale).toEqual([id]);
    expect((firstReason as Error).name).toBe('LeaseLostError');
  });
});

describe('supervision', () => {
  it('is an inspectable supervision tree', async () => {
    const steward = await startSteward({ queues: { mail: {} }, jobs: { work: () => null } });
    expect(steward.supervisor.whichChildren().map((c) => `${c.id}:${c.status}`)).toEqual([
      'store:running',
      'metrics:running',
      'heartbeat:running',
      'queue:mail:running',
      'queue:default:running',
      'scheduler:running',
      'lifeline:running',
      'pruner:running',
      'monitor:running',
    ]);
  });

  it('restarts a crashed scheduler, and staging carries on', async () => {
    const base = createMemoryStore();
    let failNext = false;
    const store = new Proxy(base, {
      get(target, key) {
        if (key === 'stageJobs') {
          return async (limit: number) => {
            if (failNext) {
              failNext = false;
              throw new Error('disk on fire');
            }
            return target.stageJobs(limit);
          };
        }
        const value: unknown = Reflect.get(target, key);
        return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
      },
    });
    const capture = captureReports();
    try {
      const ran: string[] = [];
      const steward = await startSteward({
        store,
        jobs: { later: (p: { n: number }) => void ran.push(`job ${p.n}`) },
      });
      failNext = true;
      await steward.enqueue('later', { n: 1 }, { delayMs: 20 });
      await waitFor(() => ran.length === 1);
      const scheduler = steward.supervisor.whichChildren().find((c) => c.id === 'scheduler');
      expect(scheduler).toMatchObject({ status: 'running', restarts: 1 });
      const crash = capture.reports.find((r) => r.event === 'child.crashed');
      expect(crash).toMatchObject({ meta: { id: 'scheduler' } });
      expect(crash?.reason?.message).toBe('disk on fire');
      await steward.enqueue('later', { n: 2 }, { delayMs: 20 });
      await waitFor(() => ran.length === 2);
    } finally {
      capture.dispose();
    }
  });
});
