/**
 * Argument checks shared by the runtime. Every message names the option, what was
 * expected and the value actually given, so a bad call explains itself
 * (p-queue's style: "Expected `timeout` to be ... got `-1` (number)").
 */

/**
 * Renders a value for an error message: its printed form and its type. Faithful where JSON
 * misprints (NaN, Infinity, -0, bigints as `1n`, `undefined` and holes inside arrays, symbols,
 * functions, Dates); capped at 80 characters.
 */
export function describeValue(value: unknown): string {
  let shown = show(value, 0);
  if (shown.length > 80) shown = `${shown.slice(0, 77)}...`;
  const type = value === null ? 'null' : Array.isArray(value) ? 'array' : typeof value;
  return `\`${shown}\` (${type})`;
}

function show(value: unknown, depth: number): string {
  switch (typeof value) {
    case 'string':
      return JSON.stringify(value);
    case 'number':
      return Object.is(value, -0) ? '-0' : String(value);
    case 'bigint':
      return `${value}n`;
    case 'function':
      return `[function ${value.name || 'anonymous'}]`;
    case 'symbol':
    case 'boolean':
    case 'undefined':
      return String(value);
  }
  if (value === null) return 'null';
  if (depth > 3) return Array.isArray(value) ? '[...]' : '{...}';
  if (Array.isArray(value)) {
    // An index loop so holes print as undefined rather than vanishing.
    const parts: string[] = [];
    for (let i = 0; i < value.length && i < 20; i++) parts.push(show(value[i], depth + 1));
    if (value.length > 20) parts.push('...');
    return `[${parts.join(',')}]`;
  }
  if (value instanceof Date)
    return `Date(${Number.isNaN(value.getTime()) ? 'invalid' : value.toISOString()})`;
  const proto: unknown = Object.getPrototypeOf(value);
  if (proto !== Object.prototype && proto !== null) {
    // A class's own toString (pattern variables print as `$1`) beats `[object Name]`.
    const { toString } = value as { toString?: unknown };
    if (typeof toString === 'function' && toString !== Object.prototype.toString) return String(value);
    const ctor = (value as { constructor?: { name?: unknown } }).constructor;
    return `[object ${typeof ctor?.name === 'string' && ctor.name ? ctor.name : 'Object'}]`;
  }
  const entries = Object.entries(value as Record<string, unknown>)
    .slice(0, 20)
    .map(([k, v]) => `${JSON.stringify(k)}:${show(v, depth + 1)}`);
  return `{${entries.join(',')}}`;
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
