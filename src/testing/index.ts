/**
 * Helpers for testing code built on Steward: capture the runtime's crash reports
 * and wait for a condition without guessing at sleeps.
 */
import { onReport, type RuntimeReport } from '../runtime/report.js';
import { assertNonNegative, assertFunction } from '../runtime/validate.js';
import { TaskTimeoutError } from '../runtime/errors.js';

/** The reports captured so far, and the function that stops capturing. */
export interface ReportCapture {
  /** Every report received since the capture began, oldest first. */
  readonly reports: RuntimeReport[];
  /** Stops capturing (the list stays readable). */
  dispose(): void;
}

/**
 * Captures the runtime's reports (crashes, abandoned children, unobserved task errors)
 * instead of printing them, so a test can assert on them.
 * @example
 * const capture = captureReports();
 * try { ... } finally { capture.dispose(); }
 * expect(capture.reports.map((r) => r.event)).toContain('child.crashed');
 */
export function captureReports(): ReportCapture {
  const reports: RuntimeReport[] = [];
  const dispose = onReport((r) => reports.push(r));
  return { reports, dispose };
}

/** Options for {@link waitFor}. */
export interface WaitForOptions {
  /** Give up after this many ms. @default 5000 */
  timeout?: number;
  /** How often to check, in ms. @default 5 */
  interval?: number;
}

/**
 * Resolves once `predicate` returns a truthy value (which it resolves with), checking
 * every `interval` ms; rejects with a TaskTimeoutError after `timeout` ms. Use it for
 * conditions that have no event to await.
 */
export async function waitFor<T>(
  predicate: () => T | Promise<T>,
  opts: WaitForOptions = {},
): Promise<NonNullable<T>> {
  assertFunction('predicate', predicate);
  const timeout = opts.timeout ?? 5000;
  const interval = opts.interval ?? 5;
  assertNonNegative('timeout', timeout);
  assertNonNegative('interval', interval);
  const deadline = Date.now() + timeout;
  for (;;) {
    const value = await predicate();
    if (value) return value as NonNullable<T>;
    if (Date.now() >= deadline) throw new TaskTimeoutError(timeout, 'waitFor condition');
    await new Promise((resolve) => setTimeout(resolve, interval));
  }
}

export { ManualClock } from './clock.js';
export { leakCheck, openResources } from './leaks.js';
export { seededRandom } from './random.js';
