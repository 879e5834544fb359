/**
 * Enqueue validation: everything a job is checked for before the store sees it, so bad
 * input fails with a message naming the value and what was expected, and changes nothing.
 * Payloads must be JSON (they cross processes and disks); options are checked field by
 * field, and unknown option names are rejected so a typo cannot silently do nothing.
 */
import { invalidArgument } from '../runtime/validate.js';
import type { JobInsert, JobState, Json, UniqueSpec } from '../store/types.js';
import { JOB_STATES } from '../store/types.js';
import { checkKeys } from './backoff.js';
import type { KindSpec } from './define.js';
import type { EnqueueOptions, QueueOptions, UniqueOptions } from './types.js';

const JSON_EXPECTED = 'a JSON value (null, a boolean, a string, a finite number, an array or a plain object)';

/**
 * Returns a JSON copy of `value`, or throws a TypeError naming the path of the first part
 * that is not JSON: functions, symbols, bigints, NaN and ±Infinity, `undefined` (except as
 * an object property, which JSON drops), cycles, and objects other than plain ones and arrays
 * (a Date or a Map would not come back as itself).
 */
export function toJson(name: string, value: unknown): Json {
  return copyJson(name, value, []);
}

function copyJson(path: string, value: unknown, ancestors: object[]): Json {
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return value;
    case 'number':
      if (!Number.isFinite(value)) throw invalidArgument(path, JSON_EXPECTED, value);
      return value;
    case 'object':
      break;
    default:
      throw invalidArgument(path, JSON_EXPECTED, value);
  }
  if (value === null) return null;
  if (ancestors.includes(value)) {
    throw invalidArgument(path, `${JSON_EXPECTED}, not a cycle back to one of its parents`, value);
  }
  ancestors.push(value);
  try {
    if (Array.isArray(value)) {
      const out: Json[] = new Array<Json>(value.length);
      for (let i = 0; i < value.length; i++) out[i] = copyJson(`${path}[${i}]`, value[i], ancestors);
      return out;
    }
    const proto: unknown = Object.getPrototypeOf(value);
    if (proto !== Object.prototype && proto !== null) throw invalidArgument(path, JSON_EXPECTED, value);
    const out: { [key: string]: Json } = {};
    for (const key of Object.keys(value)) {
      const field = (value as Record<string, unknown>)[key];
      if (field === undefined) continue; // JSON drops it, and an optional field left unset is common
      out[key] = copyJson(`${path}.${key}`, field, ancestors);
    }
    return out;
  } finally {
    ancestors.pop();
  }
}

/** Converts a handler's return value to the stored result: JSON.stringify's rules (Dates become strings). */
export function resultToJson(value: unknown): Json | null {
  if (value === undefined || value === null) return null;
  if (typeof value === 'string' || typeof value === 'boolean') return value;
  if (typeof value === 'number') return Number.isFinite(value) ? value : null;
  const text = JSON.stringify(value) as string | undefined;
  return text === undefined ? null : (JSON.parse(text) as Json);
}

const ENQUEUE_KEYS: readonly (keyof EnqueueOptions)[] = [
  'queue',
  'priority',
  'maxAttempts',
  'runAt',
  'delayMs',
  'timeoutMs',
  'dependsOn',
  'ref',
  'unique',
  'tags',
];

/** Checks a priority: an integer from 0 (most urgent) to 9. */
export function assertPriority(name: string, value: unknown): asserts value is number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0 || value > 9) {
    throw invalidArgument(name, 'an integer from 0 (most urgent) to 9', value);
  }
}

/** Checks a maxAttempts: a positive integer. */
export function assertMaxAttempts(name: string, value: unknown): asserts value is number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1) {
    throw invalidArgument(name, 'an integer of at least 1', value);
  }
}

/** Checks a per-attempt timeout: a positive finite number of ms. */
export function assertTimeoutMs(name: string, value: unknown): asserts value is number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) {
    throw invalidArgument(name, 'a positive finite number of milliseconds', value);
  }
}

/** Checks a queue name: a non-empty string. */
export function assertQueueName(name: string, value: unknown): asserts value is string {
  if (typeof value !== 'string' || value === '') throw invalidArgument(name, 'a non-empty queue name', value);
}

/**
 * Builds the store insert for one job from its kind's defaults and the per-enqueue options.
 * `payload` is already JSON; `where` names the options in messages (`opts`, `jobs[2].opts`);
 * `queues` are the queue names a job may go to.
 */
export function buildInsert(
  spec: KindSpec,
  payload: Json,
  opts: EnqueueOptions | undefined,
  where: string,
  now: number,
  queues: ReadonlySet<string> | null,
): JobInsert {
  const o: EnqueueOptions = opts ?? {};
  if (typeof o !== 'object' || o === null || Array.isArray(o))
    throw invalidArgument(where, 'an options object', o);
  checkKeys(where, o, ENQUEUE_KEYS);
  const queue = o.queue ?? spec.queue;
  assertQueueName(`${where}.queue`, queue);
  if (queues && !queues.has(queue)) {
    throw invalidArgument(
      `${where}.queue`,
      `a configured queue (${[...queues].map((q) => `"${q}"`).join(', ')})`,
      queue,
    );
  }
  const priority = o.priority ?? spec.priority;
  assertPriority(`${where}.priority`, priority);
  const maxAttempts = o.maxAttempts ?? spec.maxAttempts;
  assertMaxAttempts(`${where}.maxAttempts`, maxAttempts);
  const timeoutMs = o.timeoutMs ?? spec.timeoutMs;
  if (timeoutMs !== null) assertTimeoutMs(`${where}.timeoutMs`, timeoutMs);
  const tags = o.tags ?? [];
  if (!Array.isArray(tags) || !tags.every((t) => typeof t === 'string')) {
    throw invalidArgument(`${where}.tags`, 'an array of strings', tags);
  }
  if (o.ref !== undefined && (typeof o.ref !== 'string' || o.ref === '')) {
    throw invalidArgument(`${where}.ref`, 'a non-empty string', o.ref);
  }
  const insert: JobInsert = {
    kind: spec.kind,
    queue,
    payload,
    priority,
    maxAttempts,
    runAt: runAtOf(where, o, now),
    timeoutMs: timeoutMs === null ? null : Math.ceil(timeoutMs), // store times are whole ms
    dependsOn: dependsOnOf(`${where}.dependsOn`, o.dependsOn),
    unique: uniqueOf(`${where}.unique`, spec, payload, o.unique === undefined ? spec.unique : o.unique),
    tags: [...tags],
  };
  return o.ref === undefined ? insert : { ...insert, ref: o.ref };
}

function runAtOf(where: string, o: EnqueueOptions, now: number): number {
  if (o.runAt !== undefined && o.delayMs !== undefined) {
    throw invalidArgument(`${where}.delayMs`, 'absent when `runAt` is given (give one of them)', o.delayMs);
  }
  if (o.delayMs !== undefined) {
    if (typeof o.delayMs !== 'number' || !Number.isFinite(o.delayMs) || o.delayMs < 0) {
      throw invalidArgument(`${where}.delayMs`, 'a non-negative finite number of milliseconds', o.delayMs);
    }
    return now + Math.round(o.delayMs);
  }
  if (o.runAt === undefined) return now;
  const at = o.runAt instanceof Date ? o.runAt.getTime() : o.runAt;
  if (typeof at !== 'number' || !Number.isFinite(at)) {
    throw invalidArgument(`${where}.runAt`, 'a valid Date or a finite number of ms since the epoch', o.runAt);
  }
  return Math.round(at);
}

function dependsOnOf(name: string, value: unknown): JobInsert['dependsOn'] {
  if (value === undefined) return [];
  if (!Array.isArray(value)) throw invalidArgument(name, 'an array of job ids or `{ ref }` objects', value);
  return value.map((dep: unknown, i) => {
    if (typeof dep === 'string' && dep !== '') return dep;
    if (typeof dep === 'object' && dep !== null && !Array.isArray(dep)) {
      const { ref } = dep as { ref?: unknown };
      if (typeof ref === 'string' && ref !== '' && Object.keys(dep).length === 1) return { ref };
    }
    throw invalidArgument(
      `${name}[${i}]`,
      'a job id (string) or `{ ref }` naming a job of the same batch',
      dep,
    );
  });
}

const DEFAULT_UNIQUE_STATES: readonly JobState[] = [
  'scheduled',
  'available',
  'waiting',
  'executing',
  'retryable',
];

function uniqueOf(
  name: string,
  spec: KindSpec,
  payload: Json,
  value: UniqueOptions | false | undefined,
): UniqueSpec | null {
  if (value === undefined || value === false) return null;
  if (typeof value !== 'object' || value === null) throw invalidArgument(name, 'an object or false', value);
  checkKeys(name, value, ['key', 'periodMs', 'states']);
  const { key, periodMs, states } = value;
  if (key !== undefined && typeof key !== 'string') throw invalidArgument(`${name}.key`, 'a string', key);
  if (periodMs !== undefined && (typeof periodMs !== 'number' || !(periodMs > 0))) {
    throw invalidArgument(`${name}.periodMs`, 'a positive number of milliseconds (or Infinity)', periodMs);
  }
  if (states !== undefined) {
    if (!Array.isArray(states) || states.length === 0 || !states.every((s) => JOB_STATES.includes(s))) {
      throw invalidArgument(
        `${name}.states`,
        `a non-empty array of job states (${JOB_STATES.join(', ')})`,
        states,
      );
    }
  }
  // Keys are scoped to the kind: equal keys of two different kinds are different jobs.
  return {
    key: `${spec.kind}:${key ?? stableStringify(payload)}`,
    periodMs: periodMs === undefined || periodMs === Infinity ? null : periodMs,
    states: states ?? DEFAULT_UNIQUE_STATES,
  };
}

/** JSON with object keys sorted, so `{a, b}` and `{b, a}` make the same uniqueness key. */
export function stableStringify(value: Json): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value);
  if (Array.isArray(value)) return `[${value.map(stableStringify).join(',')}]`;
  const keys = Object.keys(value).sort();
  return `{${keys.map((k) => `${JSON.stringify(k)}:${stableStringify(value[k] as Json)}`).join(',')}}`;
}

const QUEUE_KEYS: readonly (keyof QueueOptions)[] = ['concurrency', 'rateLimit', 'paused'];

/** Settings of one queue with defaults applied. */
export interface QueueSpec {
  readonly name: string;
  readonly concurrency: number;
  readonly rateLimit: { readonly limit: number; readonly windowMs: number } | undefined;
  readonly paused: boolean;
}

/** Validates one queue's settings and fills in defaults. */
export function normalizeQueue(name: string, value: unknown): QueueSpec {
  const where = `queues.${name}`;
  if (value === undefined) value = {};
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw invalidArgument(where, 'a queue options object', value);
  }
  checkKeys(where, value, QUEUE_KEYS);
  const { concurrency = 10, rateLimit, paused = false } = value as QueueOptions;
  if (typeof concurrency !== 'number' || !Number.isInteger(concurrency) || concurrency < 1) {
    throw invalidArgument(`${where}.concurrency`, 'a positive integer', concurrency);
  }
  if (typeof paused !== 'boolean') throw invalidArgument(`${where}.paused`, 'a boolean', paused);
  if (rateLimit !== undefined) {
    if (typeof rateLimit !== 'object' || rateLimit === null) {
      throw invalidArgument(`${where}.rateLimit`, 'an object `{ limit, windowMs }`', rateLimit);
    }
    checkKeys(`${where}.rateLimit`, rateLimit, ['limit', 'windowMs']);
    const { limit, windowMs } = rateLimit;
    if (typeof limit !== 'number' || !Number.isInteger(limit) || limit < 1) {
      throw invalidArgument(`${where}.rateLimit.limit`, 'a positive integer', limit);
    }
    if (typeof windowMs !== 'number' || !Number.isFinite(windowMs) || windowMs <= 0) {
      throw invalidArgument(
        `${where}.rateLimit.windowMs`,
        'a positive finite number of milliseconds',
        windowMs,
      );
    }
  }
  return { name, concurrency, rateLimit: rateLimit ? { ...rateLimit } : undefined, paused };
}
