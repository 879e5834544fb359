import { describe, expect, it } from 'vitest';
import { TaskTimeoutError } from '../../src/runtime/errors.js';
import { report } from '../../src/runtime/report.js';
import { captureReports, seededRandom, waitFor } from '../../src/testing/index.js';

describe('captureReports', () => {
  it('collects reports until disposed', () => {
    const capture = captureReports();
    report({ source: 'test', name: 'a', event: 'one' });
    capture.dispose();
    const again = captureReports(); // keeps stderr quiet for the report after dispose
    report({ source: 'test', name: 'a', event: 'two' });
    again.dispose();
    expect(capture.reports.map((r) => r.event)).toEqual(['one']);
    expect(again.reports.map((r) => r.event)).toEqual(['two']);
  });
});

describe('waitFor', () => {
  it('resolves with the first truthy value', async () => {
    let n = 0;
    await expect(waitFor(() => (++n >= 3 ? n : 0), { interval: 1 })).resolves.toBe(3);
  });

  it('rejects with TaskTimeoutError when the condition never holds', async () => {
    await expect(waitFor(() => false, { timeout: 20, interval: 1 })).rejects.toBeInstanceOf(TaskTimeoutError);
  });

  it('names a bad timeout', async () => {
    await expect(waitFor(() => true, { timeout: -1 })).rejects.toThrow(
      'Expected `timeout` to be a non-negative finite number, got `-1` (number)',
    );
  });
});

describe('seededRandom', () => {
  it('repeats its sequence for a seed, differs between seeds, and stays in [0, 1)', () => {
    const draw = (seed: number): number[] => Array.from({ length: 1000 }, seededRandom(seed));
    const a = draw(42);
    expect(draw(42)).toEqual(a);
    expect(draw(43)).not.toEqual(a);
    expect(a.every((x) => x >= 0 && x < 1)).toBe(true);
    expect(new Set(a).size).toBeGreaterThan(990);
  });
});
