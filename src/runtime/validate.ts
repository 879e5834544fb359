/**
 * Argument checks shared by the runtime. Every message names the option, what was
 * expected and the value actually given, so a bad call explains itself
 * (p-queue's style: "Expected `timeout` to be ... got `-1` (number)").
 */

/** Renders a value for an error message: its printed form and its type. */
export function describeValue(value: unknown): string {
  let shown: string;
  if (typeof value === 'string') shown = JSON.stringify(value);
  else if (typeof value === 'function') shown = `[function ${value.name || 'anonymous'}]`;
  else if (typeof value === 'symbol' || typeof value === 'bigint') shown = String(value);
  else {
    try {
      shown = JSON.stringify(value) ?? String(value);
    } catch {
      shown = String(value);
    }
  }
  if (shown.length > 80) shown = `${shown.slice(0, 77)}...`;
  const type = value === null ? 'null' : Array.isArray(value) ? 'array' : typeof value;
  return `\`${shown}\` (${type})`;
}

/** Builds the TypeError thrown for a bad argument. */
export function invalidArgument(name: string, expected: string, value: unknown): TypeError {
  return new TypeError(`Expected \`${name}\` to be ${expected}, got ${describeValue(value)}`);
}

/** Checks a non-negative finite number (a duration in ms, a grace period). */
export function assertNonNegative(name: string, value: unknown): asserts value is number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
    throw invalidArgument(name, 'a non-negative finite number', value);
  }
}

/** Checks a timeout: a non-negative finite number of ms, or Infinity for "no limit". */
export function assertTimeout(name: string, value: unknown): asserts value is number {
  if (typeof value !== 'number' || Number.isNaN(value) || value < 0) {
    throw invalidArgument(name, 'a non-negative number of milliseconds (or Infinity)', value);
  }
}

/** Checks a positive integer (a concurrency, a pool size, a count). */
export function assertPositiveInteger(name: string, value: unknown): asserts value is number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1) {
    throw invalidArgument(name, 'a positive integer', value);
  }
}

/** Checks a function argument. */
export function assertFunction(name: string, value: unknown): asserts value is (...args: never[]) => unknown {
  if (typeof value !== 'function') throw invalidArgument(name, 'a function', value);
}

/** Checks a value against a closed set of string literals. */
export function assertOneOf<T extends string>(
  name: string,
  value: unknown,
  allowed: readonly T[],
): asserts value is T {
  if (typeof value !== 'string' || !(allowed as readonly string[]).includes(value)) {
    throw invalidArgument(name, `one of ${allowed.map((a) => `"${a}"`).join(', ')}`, value);
  }
}
