import { describe, expect, it } from 'vitest';
import { backoffDelay } from '../../src/queue/backoff.js';
import { captureReports } from '../../src/testing/index.js';

const boom = new Error('boom');

describe('backoffDelay', () => {
  it('doubles from the base and takes off at most the jitter share', () => {
    const exp = { type: 'exponential', baseMs: 1000, maxMs: 3_600_000, jitter: 0.1 } as const;
    expect([1, 2, 3, 4].map((n) => backoffDelay(exp, n, boom, () => 0))).toEqual([1000, 2000, 4000, 8000]);
    expect([1, 2, 3, 4].map((n) => backoffDelay(exp, n, boom, () => 1))).toEqual([900, 1800, 3600, 7200]);
    expect(backoffDelay(exp, 30, boom, () => 0)).toBe(3_600_000);
    expect(backoffDelay({ type: 'exponential', jitter: 1 }, 3, boom, () => 1)).toBe(0); // full jitter
  });

  it('waits a fixed delay, or what the function says', () => {
    expect(backoffDelay({ type: 'fixed', delayMs: 250 }, 7, boom)).toBe(250);
    expect(backoffDelay((n, e) => n * 10 + e.message.length, 3, boom)).toBe(34);
  });

  it('falls back to the default, and reports, when the function throws or answers nonsense', () => {
    const capture = captureReports();
    try {
      const broken = (): number => {
        throw new Error('bad backoff');
      };
      expect(backoffDelay(broken, 1, boom, () => 0)).toBe(1000);
      expect(
        backoffDelay(
          () => Number.NaN,
          2,
          boom,
          () => 0,
        ),
      ).toBe(2000);
      expect(capture.reports.map((r) => r.event)).toEqual(['backoff.failed', 'backoff.failed']);
    } finally {
      capture.dispose();
    }
  });
});
