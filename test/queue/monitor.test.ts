/**
 * The monitor: a periodic child that reports queue sizes and stats as `monitor.report`
 * and, when asked, one log line per tick. Content is asserted, never timing.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import pino from 'pino';
import { createMemoryStore, createSteward, Supervisor } from '../../src/index.js';
import { Telemetry } from '../../src/queue/instrument.js';
import { createMetrics } from '../../src/queue/metrics.js';
import { formatReport, monitorSpec, monitorTick } from '../../src/queue/monitor.js';
import type { MonitorReport } from '../../src/queue/monitor.js';
import { captureReports, waitFor } from '../../src/testing/index.js';
import { deferred, startSteward } from './helpers.js';

afterEach(() => {
  vi.useRealTimers();
  vi.restoreAllMocks();
});

/** A pino logger writing parsed JSON lines into `lines`. */
function captureLogger(level: string): { logger: pino.Logger; lines: Record<string, unknown>[] } {
  const lines: Record<string, unknown>[] = [];
  const logger = pino({ level }, { write: (line: string) => void lines.push(JSON.parse(line)) });
  return { logger, lines };
}

describe('the monitor', () => {
  it('reports queue sizes by state, per queue, with the stats, in one line per tick', async () => {
    const lines: string[] = [];
    const steward = await startSteward({
      monitor: { intervalMs: 10, log: (line) => lines.push(line) },
      queues: { default: { paused: true }, mail: {} },
      jobs: { work: () => null, send: { queue: 'mail', handler: () => 'sent' } },
    });
    await steward.enqueue('send', null);
    await steward.drain();
    await steward.enqueue('work', null);
    await steward.enqueue('work', null, { delayMs: 60_000 });
    const report = deferred<MonitorReport>();
    steward.on('monitor.report', (e) => report.resolve(e));
    const r = await report.promise;
    expect(r.counts).toMatchObject({ available: 1, scheduled: 1, completed: 1, executing: 0 });
    expect(r.queues).toEqual({ default: { available: 1, scheduled: 1 }, mail: { completed: 1 } });
    expect(r.stats).toMatchObject({ enqueued: 3, completed: 1 });
    const line = await waitFor(() => lines.find((l) => l.includes('enqueued=3')));
    expect(line).toMatch(
      /^\[steward\] \d{4}-\d\d-\d\dT.*Z queued=2 executing=0 enqueued=3 completed=1 failed=0 retried=0 discarded=0 cancelled=0 inProgress=0 avgRunMs=\d+\.\d p95RunMs=\d+\.\d \| default\[queued=2 executing=0\] mail\[queued=0 executing=0\]$/,
    );
  });

  it('ticks once per interval (fake timers) and emits without a log', async () => {
    vi.useFakeTimers();
    const store = createMemoryStore();
    await store.open();
    const telemetry = new Telemetry('test');
    const metrics = createMetrics();
    metrics.attach(telemetry);
    const reports: MonitorReport[] = [];
    telemetry.on('monitor.report', (e) => reports.push(e));
    const sup = await Supervisor.start([
      monitorSpec({ store, telemetry, metrics, intervalMs: 5000, log: null }),
    ]);
    await vi.advanceTimersByTimeAsync(4999);
    expect(reports).toHaveLength(0);
    await vi.advanceTimersByTimeAsync(1);
    expect(reports).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(10_000);
    expect(reports).toHaveLength(3);
    await sup.stop();
    await store.close();
  });

  it('formats an empty system', async () => {
    const store = createMemoryStore({ clock: () => Date.UTC(2024, 0, 2, 3, 4, 5) });
    await store.open();
    const telemetry = new Telemetry('test');
    const lines: string[] = [];
    const report = await monitorTick({
      store,
      telemetry,
      metrics: createMetrics(),
      intervalMs: 1,
      log: (line) => lines.push(line),
    });
    expect(report.queues).toEqual({});
    expect(lines).toEqual([formatReport(report)]);
    expect(lines[0]).toBe(
      '[steward] 2024-01-02T03:04:05.000Z queued=0 executing=0 enqueued=0 completed=0 failed=0 retried=0 ' +
        'discarded=0 cancelled=0 inProgress=0 avgRunMs=0.0 p95RunMs=0.0',
    );
    await store.close();
  });

  it('with log: true, writes the line to the logger at info with the figures, even above its level', async () => {
    const { logger, lines } = captureLogger('warn');
    const steward = await startSteward({
      logger,
      monitor: { intervalMs: 10, log: true },
      jobs: { work: () => null },
    });
    await steward.enqueue('work', null, { delayMs: 60_000 });
    const entry = await waitFor(() =>
      lines.find((l) => l.component === 'monitor' && String(l.msg).includes('queued=1')),
    );
    expect(entry).toMatchObject({
      level: 30,
      component: 'monitor',
      counts: expect.objectContaining({ scheduled: 1 }),
      queues: { default: { scheduled: 1 } },
      stats: expect.objectContaining({ enqueued: 1, completed: 0 }),
    });
    expect(entry.stats).not.toHaveProperty('byKind');
    expect(lines.some((l) => l.msg === 'steward started')).toBe(false); // info lines stay below warn
  });

  it('with log: true and no logger, prints the line on stdout', async () => {
    const printed: string[] = [];
    vi.spyOn(console, 'log').mockImplementation((line: string) => void printed.push(line));
    await startSteward({ logger: false, monitor: { intervalMs: 10, log: true }, jobs: { work: () => null } });
    await waitFor(() => printed.length > 0);
    expect(printed[0]).toMatch(/^\[steward\] .* queued=0 executing=0 enqueued=0/);
  });

  it('reports a log function that throws and keeps ticking', async () => {
    const capture = captureReports();
    try {
      let calls = 0;
      await startSteward({
        monitor: {
          intervalMs: 5,
          log: () => {
            calls += 1;
            throw new Error('log sink down');
          },
        },
        jobs: { work: () => null },
      });
      await waitFor(() => calls >= 3);
      const failures = capture.reports.filter((r) => r.event === 'monitor.log_failed');
      expect(failures.length).toBeGreaterThanOrEqual(2);
      expect(failures[0]?.reason?.message).toBe('log sink down');
    } finally {
      capture.dispose();
    }
  });

  it('is a child of the supervision tree, present even on an enqueue-only client', async () => {
    const client = await startSteward({ run: false, jobs: { work: () => null } });
    expect(client.supervisor.whichChildren().map((c) => c.id)).toEqual(['store', 'metrics', 'monitor']);
  });

  it('rejects bad monitor options, naming them', () => {
    expect(() => createSteward({ jobs: {}, monitor: { intervalMs: 0 } })).toThrow(
      /Expected `monitor.intervalMs` to be a positive finite number of milliseconds, got `0`/,
    );
    expect(() => createSteward({ jobs: {}, monitor: { log: 'yes' as unknown as boolean } })).toThrow(
      /Expected `monitor.log` to be a boolean or a function, got `"yes"` \(string\)/,
    );
  });
});
