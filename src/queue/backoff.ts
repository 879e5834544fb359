/**
 * Retry backoff: how long a failed job waits before its next attempt. Exponential with
 * jitter by default (so a burst of failures does not retry in lockstep), fixed, or the
 * user's own function.
 */
import { coerceError } from '../runtime/errors.js';
import { report } from '../runtime/report.js';
import { invalidArgument } from '../runtime/validate.js';
import type { Backoff } from './types.js';

/** The default: exponential from 1 s, capped at 1 h, with 10% jitter. */
export const DEFAULT_BACKOFF: Backoff = Object.freeze({
  type: 'exponential',
  baseMs: 1000,
  maxMs: 3_600_000,
  jitter: 0.1,
});

/**
 * The wait before the retry that follows failed attempt `attempt` (1-based), in ms:
 * exponential waits w = `baseMs · 2^(attempt−1)` capped at `maxMs`, less a random share
 * of up to `jitter` of it (a 10% jitter lands in [0.9w, w]; 1 is full jitter, [0, w]);
 * fixed waits `delayMs`; a function's answer is used as is (a bad answer or a throw is
 * reported and falls back to the default).
 */
export function backoffDelay(
  backoff: Backoff,
  attempt: number,
  error: Error,
  random: () => number = Math.random,
): number {
  if (typeof backoff === 'function') {
    let wait: unknown;
    try {
      wait = backoff(attempt, error);
    } catch (err) {
      // A broken backoff function must not lose the job: say so, and fall back to the default wait.
      report({ source: 'steward', name: 'backoff', event: 'backoff.failed', reason: coerceError(err) });
      return backoffDelay(DEFAULT_BACKOFF, attempt, error, random);
    }
    if (typeof wait !== 'number' || !Number.isFinite(wait) || wait < 0) {
      const reason = invalidArgument('the backoff function result', 'a non-negative finite number', wait);
      report({ source: 'steward', name: 'backoff', event: 'backoff.failed', reason });
      return backoffDelay(DEFAULT_BACKOFF, attempt, error, random);
    }
    return Math.round(wait);
  }
  if (backoff.type === 'fixed') return Math.round(backoff.delayMs); // store times are whole ms
  const { baseMs = 1000, maxMs = 3_600_000, jitter = 0.1 } = backoff;
  const wait = Math.min(maxMs, baseMs * 2 ** Math.max(0, attempt - 1));
  // Jitter takes a random share off the wait, so 1 is AWS's "full jitter" (anywhere in [0, wait]).
  return Math.max(0, Math.round(wait - wait * jitter * random()));
}

/** Checks a Backoff option; `name` is its path in the error message. */
export function validateBackoff(name: string, value: unknown): asserts value is Backoff {
  if (typeof value === 'function') return;
  if (typeof value !== 'object' || value === null) {
    throw invalidArgument(name, 'a backoff: {type: "exponential" | "fixed", ...} or a function', value);
  }
  const b = value as Record<string, unknown>;
  if (b.type === 'fixed') {
    checkKeys(name, b, ['type', 'delayMs']);
    nonNegative(`${name}.delayMs`, b.delayMs);
    return;
  }
  if (b.type === 'exponential') {
    checkKeys(name, b, ['type', 'baseMs', 'maxMs', 'jitter']);
    if (b.baseMs !== undefined) nonNegative(`${name}.baseMs`, b.baseMs);
    if (b.maxMs !== undefined) nonNegative(`${name}.maxMs`, b.maxMs);
    if (b.jitter !== undefined) {
      if (typeof b.jitter !== 'number' || !(b.jitter >= 0 && b.jitter <= 1)) {
        throw invalidArgument(`${name}.jitter`, 'a number from 0 to 1', b.jitter);
      }
    }
    return;
  }
  throw invalidArgument(`${name}.type`, 'one of "exponential", "fixed"', b.type);
}

function nonNegative(name: string, value: unknown): void {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
    throw invalidArgument(name, 'a non-negative finite number of milliseconds', value);
  }
}

/** Rejects option keys nobody reads, so a typo (`delay` for `delayMs`) fails loudly. */
export function checkKeys(name: string, value: object, known: readonly string[]): void {
  for (const key of Object.keys(value)) {
    if (!known.includes(key)) {
      const given = (value as Record<string, unknown>)[key];
      throw invalidArgument(
        `${name}.${key}`,
        `absent: it is not an option (known: ${known.join(', ')})`,
        given,
      );
    }
  }
}
