/**
 * The metrics object on its own: telemetry events injected into a hub it is attached to,
 * so counts, durations, errors and times are exactly what the test says they are.
 */
import { describe, expect, it } from 'vitest';
import { Telemetry } from '../../src/queue/instrument.js';
import { bucketBounds, bucketOf, RunTimes } from '../../src/queue/metrics-histogram.js';
import { createMetrics } from '../../src/queue/metrics.js';
import type { InFlight } from '../../src/queue/metrics-state.js';
import type { JobRecord, JobState } from '../../src/index.js';
import { ManualClock } from '../../src/testing/clock.js';

let seq = 0;

/** A job record with the fields metrics read. */
function job(kind: string, over: Partial<Omit<JobRecord, 'kind'>> = {}): JobRecord {
  seq += 1;
  return {
    id: `job-${seq}`,
    kind,
    queue: 'default',
    payload: null,
    state: 'executing',
    priority: 5,
    attempt: 1,
    maxAttempts: 3,
    runAt: 0,
    insertedAt: 0,
    attemptedAt: 0,
    finishedAt: null,
    timeoutMs: null,
    dependsOn: [],
    uniqueKey: null,
    errors: [],
    result: null,
    progress: null,
    lease: null,
    cancelRequested: false,
    tags: [],
    ...over,
  };
}

function as(record: JobRecord, state: JobState, over: Partial<JobRecord> = {}): JobRecord {
  return { ...record, state, ...over };
}

/** A metrics object attached to a fresh hub; `running` is what it counts as in progress. */
function setup(opts: { clock?: ManualClock } = {}) {
  const telemetry = new Telemetry('test');
  const running: InFlight[] = [];
  const clock = opts.clock ?? new ManualClock(1_700_000_000_000);
  const metrics = createMetrics({ now: clock.now, inFlight: () => running });
  metrics.attach(telemetry);
  const ran = (record: JobRecord, durationMs: number): void => {
    telemetry.emit('job.start', { job: record, at: clock.now() });
    telemetry.emit('job.stop', {
      job: as(record, 'completed'),
      outcome: 'success',
      durationMs,
      result: null,
    });
  };
  return { telemetry, metrics, clock, running, ran };
}

describe('metrics counters', () => {
  it('add up after a mixed run: completed, retried, discarded, cancelled, released', async () => {
    const { telemetry: t, metrics, ran } = setup();
    const ok = [job('email'), job('email'), job('email')];
    const flaky = job('report', { queue: 'slow' });
    const doomed = job('report', { queue: 'slow', maxAttempts: 1 });
    const queuedCancel = job('email');
    const runningCancel = job('email');
    const handedBack = job('email');
    const fresh = [...ok, flaky, doomed, queuedCancel, runningCancel, handedBack];
    t.emit('job.insert', { jobs: fresh, duplicates: 2 });

    for (const j of ok) ran(j, 10);
    // flaky fails once (retried), then completes on attempt 2
    t.emit('job.start', { job: flaky, at: 0 });
    t.emit('job.exception', {
      job: as(flaky, 'retryable'),
      outcome: 'failure',
      durationMs: 5,
      error: new Error('try again'),
    });
    ran({ ...flaky, attempt: 2 }, 20);
    t.emit('job.start', { job: doomed, at: 0 });
    t.emit('job.exception', {
      job: as(doomed, 'discarded'),
      outcome: 'exhausted',
      durationMs: 5,
      error: new Error('gave up'),
    });
    t.emit('job.cancel', { job: as(queuedCancel, 'cancelled'), durationMs: null });
    t.emit('job.start', { job: runningCancel, at: 0 });
    t.emit('job.cancel', { job: as(runningCancel, 'cancelled'), durationMs: 3 });
    t.emit('job.start', { job: handedBack, at: 0 });
    t.emit('job.release', { job: as(handedBack, 'available', { attempt: 0 }) });

    const s = await metrics.stats();
    expect(s).toMatchObject({
      enqueued: 8, // duplicates are not new jobs
      started: 8,
      completed: 4,
      failed: 2,
      retried: 1,
      discarded: 1,
      cancelled: 2,
      released: 1,
      inProgress: 0,
    });
    // The seed's identity: every enqueued job is completed, discarded, cancelled or still queued.
    const stillQueued = 1; // the released one
    expect(s.enqueued).toBe(s.completed + s.discarded + s.cancelled + stillQueued);
    expect(s.byQueue).toEqual({
      default: expect.objectContaining({ enqueued: 6, started: 5, completed: 3, cancelled: 2, released: 1 }),
      slow: expect.objectContaining({
        enqueued: 2,
        started: 3,
        completed: 1,
        failed: 2,
        retried: 1,
        discarded: 1,
      }),
    });
    expect(s.byKind.email).toMatchObject({ enqueued: 6, completed: 3, failed: 0, avgRunMs: 10 });
    expect(s.byKind.report).toMatchObject({ enqueued: 2, completed: 1, failed: 2, avgRunMs: 20 });
    expect(s.avgRunMs).toBe(12.5);
  });

  it('counts rescued jobs that ran out of attempts as discarded, and cancel-requested ones as cancelled', async () => {
    const { telemetry: t, metrics } = setup();
    const a = job('work');
    const b = job('work');
    const c = job('work');
    t.emit('job.insert', { jobs: [a, b, c], duplicates: 0 });
    t.emit('job.rescue', {
      jobs: [as(a, 'available'), as(b, 'discarded'), as(c, 'cancelled', { cancelRequested: true })],
    });
    expect(await metrics.stats()).toMatchObject({ discarded: 1, cancelled: 1, started: 0, inProgress: 0 });
  });

  it('reads in progress from the jobs running here, per queue and per kind, so it is never negative', async () => {
    const { telemetry: t, metrics, running } = setup();
    const a = job('email');
    const b = job('render', { queue: 'cpu' });
    // Ends this node never saw start (another node's work, a queued cancel, a rescue) change nothing.
    t.emit('job.cancel', { job: as(a, 'cancelled'), durationMs: null });
    t.emit('job.rescue', { jobs: [as(b, 'available')] });
    t.emit('job.stale', { jobId: b.id });
    expect((await metrics.stats()).inProgress).toBe(0);

    running.push(a, b, { queue: 'cpu', kind: 'render' });
    const s = await metrics.stats();
    expect(s.inProgress).toBe(3);
    expect(s.byQueue.cpu?.inProgress).toBe(2);
    expect(s.byQueue.default?.inProgress).toBe(1);
    expect(s.byKind.render?.inProgress).toBe(2);
    running.length = 0;
    expect((await metrics.stats()).inProgress).toBe(0);
  });

  it('keeps the last 100 errors, newest first', async () => {
    const { telemetry: t, metrics, clock } = setup();
    for (let i = 1; i <= 150; i++) {
      const j = job(i % 2 === 0 ? 'even' : 'odd', { attempt: 2 });
      clock.advance(1);
      t.emit('job.exception', {
        job: as(j, 'retryable', {
          errors: [{ attempt: 2, at: clock.now(), name: 'Error', message: `e${i}` }],
        }),
        outcome: 'failure',
        durationMs: 1,
        error: new Error(`e${i}`),
      });
    }
    const { recentErrors } = await metrics.stats();
    expect(recentErrors).toHaveLength(100);
    expect(recentErrors.map((e) => e.message)).toEqual(Array.from({ length: 100 }, (_, i) => `e${150 - i}`));
    expect(recentErrors[0]).toEqual({
      jobId: expect.stringMatching(/^job-/),
      kind: 'even',
      queue: 'default',
      attempt: 2,
      message: 'e150',
      at: clock.now(),
    });
  });

  it('counts the same whether or not its Agent runs, and carries on after the Agent stops', async () => {
    const { metrics, ran } = setup();
    ran(job('a'), 1);
    const agent = await metrics.start();
    ran(job('a'), 1);
    expect((await metrics.stats()).completed).toBe(2);
    ran(job('a'), 1); // pending when the Agent is asked to stop
    await agent.stop();
    ran(job('a'), 1);
    expect((await metrics.stats()).completed).toBe(4);
    expect(await agent.exited).toMatchObject({ kind: 'shutdown' });
  });

  it('stops counting once detached', async () => {
    const telemetry = new Telemetry('test');
    const metrics = createMetrics();
    const detach = metrics.attach(telemetry);
    telemetry.emit('job.insert', { jobs: [job('a')], duplicates: 0 });
    detach();
    telemetry.emit('job.insert', { jobs: [job('a')], duplicates: 0 });
    expect((await metrics.stats()).enqueued).toBe(1);
  });
});

describe('metrics run times', () => {
  it('gives percentiles within 1/64 of known durations, per kind and in total', async () => {
    const { metrics, ran } = setup();
    // 1..1000 ms for kind "fast" and 1001..2000 ms for kind "slow", in a scrambled order.
    const order = Array.from({ length: 1000 }, (_, i) => (i * 7919) % 1000);
    for (const i of order) {
      ran(job('fast'), i + 1);
      ran(job('slow'), 1001 + i);
    }
    const s = await metrics.stats();
    const near = (actual: number, expected: number): void => {
      expect(Math.abs(actual - expected) / expected).toBeLessThanOrEqual(1 / 64);
    };
    expect(s.byKind.fast?.avgRunMs).toBe(500.5);
    near(s.byKind.fast!.p50RunMs, 500);
    near(s.byKind.fast!.p95RunMs, 950);
    near(s.byKind.fast!.p99RunMs, 990);
    near(s.byKind.slow!.p50RunMs, 1500);
    near(s.byKind.slow!.p99RunMs, 1990);
    // the total merges both kinds' histograms: 2000 runs of 1..2000 ms
    expect(s.avgRunMs).toBe(1000.5);
    near(s.p50RunMs, 1000);
    near(s.p95RunMs, 1900);
    near(s.p99RunMs, 1980);
    expect(s.byQueue.default?.p95RunMs).toBe(s.p95RunMs);
  });

  it('reports zeros before any run, and the exact value for a single run', async () => {
    const { metrics, ran } = setup();
    expect(await metrics.stats()).toMatchObject({ avgRunMs: 0, p50RunMs: 0, p99RunMs: 0 });
    ran(job('a'), 123.456);
    expect(await metrics.stats()).toMatchObject({ avgRunMs: 123.456, p50RunMs: 123.456, p99RunMs: 123.456 });
  });

  it('counts only completed attempts in run times (failures and snoozes are not run times)', async () => {
    const { telemetry: t, metrics, ran } = setup();
    ran(job('a'), 10);
    const j = job('a');
    t.emit('job.start', { job: j, at: 0 });
    t.emit('job.stop', { job: as(j, 'scheduled'), outcome: 'snoozed', durationMs: 5000, result: undefined });
    t.emit('job.exception', {
      job: as(j, 'retryable'),
      outcome: 'failure',
      durationMs: 9000,
      error: new Error('x'),
    });
    expect(await metrics.stats()).toMatchObject({ completed: 1, avgRunMs: 10, p99RunMs: 10 });
  });
});

describe('the log-linear histogram', () => {
  it('puts every value in a bucket that contains it, at most 1/32 of the value wide', () => {
    const bad: number[] = [];
    for (let k = 0; k < 5000; k++) {
      const ms = Math.exp((((k * 7919) % 5000) / 5000) * 20 - 6); // 0.0025 ms .. 1.2e6 ms
      const [low, high] = bucketBounds(bucketOf(ms));
      const tooWide = ms >= 0.064 && (high - low) / low > 1 / 32 + 1e-12;
      if (ms < low || ms >= high || tooWide) bad.push(ms);
    }
    expect(bad).toEqual([]);
  });

  it('keeps values past its range in the last bucket, with the exact maximum', () => {
    const h = new RunTimes();
    expect(bucketOf(1e12)).toBe(1023);
    expect(bucketOf(-5)).toBe(0);
    h.record(1e9);
    expect(h.percentile(50)).toBe(1e9);
    expect(h.mean()).toBe(1e9);
  });

  it('merges by adding counts', () => {
    const a = new RunTimes();
    const b = new RunTimes();
    for (let i = 1; i <= 100; i++) (i % 2 ? a : b).record(i);
    const all = new RunTimes();
    all.merge(a);
    all.merge(b);
    expect(all.count).toBe(100);
    expect(all.minMs).toBe(1);
    expect(all.maxMs).toBe(100);
    expect(Math.abs(all.percentile(50) - 50) / 50).toBeLessThanOrEqual(1 / 64);
  });
});

describe('the per-second series', () => {
  it('buckets started, completed, failed and enqueued by second of the clock', async () => {
    const clock = new ManualClock(1_700_000_000_000); // a whole second
    const { telemetry: t, metrics, ran } = setup({ clock });
    t.emit('job.insert', { jobs: [job('a'), job('a')], duplicates: 0 });
    ran(job('a'), 1);
    ran(job('a'), 1);
    await metrics.stats(); // a read applies what happened so far, at the time it happened
    clock.advance(999);
    ran(job('a'), 1); // still the same second
    await metrics.stats();
    clock.advance(2001); // three seconds after the first: two quiet seconds in between
    const j = job('a');
    t.emit('job.start', { job: j, at: clock.now() });
    t.emit('job.exception', {
      job: as(j, 'retryable'),
      outcome: 'failure',
      durationMs: 1,
      error: new Error('x'),
    });

    const points = await metrics.series(4);
    const base = 1_700_000_000_000;
    expect(points).toEqual([
      { at: base, enqueued: 2, started: 3, completed: 3, failed: 0, queued: null },
      { at: base + 1000, enqueued: 0, started: 0, completed: 0, failed: 0, queued: null },
      { at: base + 2000, enqueued: 0, started: 0, completed: 0, failed: 0, queued: null },
      { at: base + 3000, enqueued: 0, started: 1, completed: 0, failed: 1, queued: null },
    ]);
    clock.advance(1000);
    expect((await metrics.series(2)).map((p) => [p.at - base, p.started, p.failed])).toEqual([
      [3000, 1, 1],
      [4000, 0, 0],
    ]);
  });

  it('takes the queue depth from the monitor report of that second', async () => {
    const { telemetry: t, metrics, clock } = setup();
    const counts = {
      scheduled: 1,
      available: 4,
      waiting: 2,
      retryable: 3,
      executing: 5,
      completed: 9,
      discarded: 0,
      cancelled: 0,
    };
    const stats = await metrics.stats();
    t.emit('monitor.report', { at: clock.now(), counts, queues: { default: counts }, stats });
    const [point] = await metrics.series(1);
    expect(point?.queued).toBe(10);
  });

  it('keeps 300 seconds: a second comes round again as a fresh slot', async () => {
    const { metrics, clock, ran } = setup();
    ran(job('a'), 1);
    await metrics.stats();
    clock.advance(300_000);
    ran(job('a'), 1);
    const points = await metrics.series();
    expect(points).toHaveLength(300);
    expect(points.reduce((sum, p) => sum + p.completed, 0)).toBe(1);
    expect(points.at(-1)?.completed).toBe(1);
  });

  it('rejects a window it does not keep, naming the value', async () => {
    const { metrics } = setup();
    await expect(metrics.series(0)).rejects.toThrow(
      /Expected `seconds` to be an integer from 1 to 300, got `0`/,
    );
    await expect(metrics.series(301)).rejects.toThrow(/got `301`/);
    await expect(metrics.series(1.5)).rejects.toThrow(/got `1.5`/);
  });
});
