import { afterEach, describe, expect, it, vi } from 'vitest';
import { collectMetrics, startReporter, type SystemMetrics } from '../../examples/drill2-metrics-reporter.js';
import { captureReports } from '../../src/testing/index.js';

afterEach(() => {
  vi.useRealTimers();
});

describe('drill 2: a supervised periodic metrics reporter', () => {
  it('reports memory, active resources and a timestamp', () => {
    const m = collectMetrics();
    expect(m.memory).toBeGreaterThan(0);
    expect(m.activeResources).toBeGreaterThanOrEqual(0);
    expect(m.timestamp).toBe(Math.floor(Date.now() / 1000));
  });

  it('reports on its interval, is restarted after a crash, and stops leaving no timer', async () => {
    vi.useFakeTimers();
    const capture = captureReports();
    const seen: SystemMetrics[] = [];
    let calls = 0;
    const tree = await startReporter({
      intervalMs: 1000,
      sink: (m) => seen.push(m),
      collect: () => {
        calls++;
        if (calls === 3) throw new Error('crash on purpose');
        return collectMetrics();
      },
    });
    const restarted: string[] = [];
    tree.on('child.restarted', ({ id }) => restarted.push(id));

    await vi.advanceTimersByTimeAsync(0); // the immediate first report
    expect(seen).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(1000);
    expect(seen).toHaveLength(2);
    await vi.advanceTimersByTimeAsync(1000); // the third report crashes; the child restarts after its backoff
    await vi.advanceTimersByTimeAsync(100);
    expect(restarted).toEqual(['metrics_reporter']);
    expect(seen).toHaveLength(3); // the restarted child reports at once
    expect(tree.whichChildren()).toMatchObject([{ id: 'metrics_reporter', status: 'running', restarts: 1 }]);

    const stopping = tree.stop();
    await vi.runAllTimersAsync();
    await stopping;
    capture.dispose();
    expect(vi.getTimerCount()).toBe(0);
    expect(capture.reports.map((r) => r.event)).toEqual(['child.crashed']);
    expect(await tree.exited).toEqual({ kind: 'shutdown' });
  });
});
