import { describe, expect, it } from 'vitest';
import { JobProcessor } from '../../examples/drill3-job-processor.js';
import { captureReports } from '../../src/testing/index.js';

describe('drill 3: a job processor on a TaskSupervisor', () => {
  it('runs ten jobs at once and a crashing job leaves the others alone', async () => {
    const capture = captureReports();
    const lines: string[] = [];
    const processor = JobProcessor.start({ jobMs: 30, log: (line) => lines.push(line) });
    for (let i = 1; i <= 10; i++) processor.processAsync(`job_${i}`);
    processor.processAsync('job_crash');
    // All eleven started before any finished: they run together, not in turn.
    expect(lines.filter((l) => l.startsWith('Processing job'))).toHaveLength(11);
    expect(lines.some((l) => l.startsWith('Job complete'))).toBe(false);

    await processor.onIdle();
    await processor.stop();
    capture.dispose();

    expect([...processor.results].sort()).toEqual(
      Array.from({ length: 10 }, (_, i) => `Result for job_${i + 1}`).sort(),
    );
    expect(processor.crashes.map((c) => [c.data, c.reason.message])).toEqual([
      ['job_crash', 'job job_crash failed'],
    ]);
    expect(capture.reports.filter((r) => r.event === 'child.crashed')).toHaveLength(1);
  });

  it('aborts jobs still running when stopped', async () => {
    const processor = JobProcessor.start({ jobMs: 60_000, log: () => {} });
    const task = processor.processAsync('job_long');
    await processor.stop(100);
    expect(task.signal.aborted).toBe(true);
    expect(processor.results).toEqual([]);
  });
});
