/** Argument checks and small predicates shared by Task and TaskSupervisor. */
import { assertTimeout, invalidArgument } from '../validate.js';

/** Validates Task options (`name`, `timeout`, `signal`); shared by Task and TaskSupervisor. */
export function validateTaskOptions(
  opts: unknown,
): asserts opts is { name?: string; timeout?: number; signal?: AbortSignal } {
  if (typeof opts !== 'object' || opts === null) throw invalidArgument('opts', 'an options object', opts);
  const { name, timeout, signal } = opts as Record<string, unknown>;
  if (name !== undefined && (typeof name !== 'string' || name === '')) {
    throw invalidArgument('name', 'a non-empty string', name);
  }
  if (timeout !== undefined) assertTimeout('timeout', timeout);
  if (signal !== undefined && !(signal instanceof AbortSignal)) {
    throw invalidArgument('signal', 'an AbortSignal', signal);
  }
}

/** Whether `await` would wait for this value (it has a callable `then`). */
export function isThenable(value: unknown): value is PromiseLike<unknown> {
  return (
    (typeof value === 'object' || typeof value === 'function') &&
    value !== null &&
    typeof (value as { then?: unknown }).then === 'function'
  );
}
