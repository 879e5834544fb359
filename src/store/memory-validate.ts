/**
 * Cheap checks at the memory store's boundary. The queue layer validates too, but a store must
 * never store garbage, so every input is checked here (errors name the value and what was
 * expected) and JSON values are copied and deep-frozen on the way in: a caller that mutates its
 * payload after `insertJobs` cannot reach the stored job.
 */
import { describeValue, invalidArgument } from '../runtime/validate.js';
import { JOB_STATES } from './types.js';
import type { FetchRequest, JobError, JobInsert, JobState, Json, LeaseRef, UniqueSpec } from './types.js';

const MAX_JSON_DEPTH = 256;

/** Checks `value` is JSON (plain objects, arrays, finite numbers, strings, booleans, null) and returns a deep-frozen copy. */
export function freezeJson(name: string, value: unknown): Json {
  return copyJson(name, value, value, '', 0);
}

function copyJson(name: string, whole: unknown, value: unknown, path: string, depth: number): Json {
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return value;
    case 'number':
      if (Number.isFinite(value)) return value;
      break;
    case 'object': {
      if (value === null) return null;
      if (depth >= MAX_JSON_DEPTH) {
        throw new TypeError(
          `Expected \`${name}\` to be JSON nested at most ${MAX_JSON_DEPTH} deep (is it cyclic?), got ${describeValue(whole)}`,
        );
      }
      if (Array.isArray(value)) {
        const out: Json[] = new Array<Json>(value.length);
        // An index loop so holes are seen (as undefined) and rejected.
        for (let i = 0; i < value.length; i++) {
          out[i] = copyJson(name, whole, value[i], `${path}[${i}]`, depth + 1);
        }
        return Object.freeze(out) as Json;
      }
      const proto: unknown = Object.getPrototypeOf(value);
      if (proto !== Object.prototype && proto !== null) break;
      const out: { [key: string]: Json } = {};
      for (const key of Object.keys(value)) {
        out[key] = copyJson(
          name,
          whole,
          (value as Record<string, unknown>)[key],
          `${path}.${key}`,
          depth + 1,
        );
      }
      return Object.freeze(out);
    }
  }
  const where = path === '' ? '' : ` (at ${path}: ${describeValue(value)})`;
  throw new TypeError(
    `Expected \`${name}\` to be a JSON value (plain objects, arrays, finite numbers, strings, booleans, null), got ${describeValue(whole)}${where}`,
  );
}

/** Checks an integer time or duration in ms within [min, Number.MAX_SAFE_INTEGER]. */
export function assertIntegerMs(name: string, value: unknown, min: number): asserts value is number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < min) {
    const what = min === 0 ? 'a non-negative integer' : min === 1 ? 'a positive integer' : 'an integer';
    throw invalidArgument(name, `${what} number of milliseconds`, value);
  }
}

function assertString(name: string, value: unknown, nonEmpty = true): asserts value is string {
  if (typeof value !== 'string' || (nonEmpty && value.length === 0)) {
    throw invalidArgument(name, nonEmpty ? 'a non-empty string' : 'a string', value);
  }
}

/** Checks a priority: an integer from 0 (most urgent) to 9. */
export function assertPriority(name: string, value: unknown): asserts value is number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0 || value > 9) {
    throw invalidArgument(name, 'an integer from 0 (most urgent) to 9', value);
  }
}

/** Checks a known job state name. */
export function assertState(name: string, value: unknown): asserts value is JobState {
  if (typeof value !== 'string' || !(JOB_STATES as readonly string[]).includes(value)) {
    throw invalidArgument(name, `one of ${JOB_STATES.map((s) => `"${s}"`).join(', ')}`, value);
  }
}

/** Checks a list of known state names and returns it frozen. */
export function checkStates(name: string, value: unknown): readonly JobState[] {
  if (!Array.isArray(value)) throw invalidArgument(name, 'an array of job states', value);
  value.forEach((s, i) => assertState(`${name}[${i}]`, s));
  return Object.freeze([...(value as JobState[])]);
}

function assertStringList(name: string, value: unknown): readonly string[] {
  if (!Array.isArray(value)) throw invalidArgument(name, 'an array of strings', value);
  for (let i = 0; i < value.length; i++) assertString(`${name}[${i}]`, value[i] as unknown, false);
  return Object.freeze([...(value as string[])]);
}

/** A JobInsert after checking: payload and lists copied and frozen, unique checked. */
export interface CheckedInsert {
  readonly kind: string;
  readonly queue: string;
  readonly payload: Json;
  readonly priority: number;
  readonly maxAttempts: number;
  readonly runAt: number;
  readonly timeoutMs: number | null;
  /** Existing ids, or refs into the batch. */
  readonly parentIds: readonly string[];
  readonly parentRefs: readonly string[];
  readonly ref: string | undefined;
  readonly unique: UniqueSpec | null;
  readonly tags: readonly string[];
}

/** Checks one insert of a batch (`at` is its index, used in messages). */
export function checkInsert(job: unknown, at: number): CheckedInsert {
  const p = `jobs[${at}]`;
  if (typeof job !== 'object' || job === null) throw invalidArgument(p, 'a job insert object', job);
  const j = job as Partial<Record<keyof JobInsert, unknown>>;
  assertString(`${p}.kind`, j.kind);
  assertString(`${p}.queue`, j.queue);
  assertPriority(`${p}.priority`, j.priority);
  if (typeof j.maxAttempts !== 'number' || !Number.isInteger(j.maxAttempts) || j.maxAttempts < 1) {
    throw invalidArgument(`${p}.maxAttempts`, 'an integer of at least 1', j.maxAttempts);
  }
  assertIntegerMs(`${p}.runAt`, j.runAt, 0);
  if (j.timeoutMs !== null) assertIntegerMs(`${p}.timeoutMs`, j.timeoutMs, 1);
  if (j.ref !== undefined) assertString(`${p}.ref`, j.ref);
  if (!Array.isArray(j.dependsOn)) {
    throw invalidArgument(`${p}.dependsOn`, 'an array of job ids or { ref } objects', j.dependsOn);
  }
  const parentIds: string[] = [];
  const parentRefs: string[] = [];
  for (let i = 0; i < j.dependsOn.length; i++) {
    const d: unknown = j.dependsOn[i];
    if (typeof d === 'string' && d.length > 0) {
      if (!parentIds.includes(d)) parentIds.push(d);
    } else if (typeof d === 'object' && d !== null && typeof (d as { ref?: unknown }).ref === 'string') {
      const ref = (d as { ref: string }).ref;
      if (!parentRefs.includes(ref)) parentRefs.push(ref);
    } else {
      throw invalidArgument(`${p}.dependsOn[${i}]`, 'a job id or a { ref: string } object', d);
    }
  }
  let unique: UniqueSpec | null = null;
  if (j.unique !== null) {
    const u = j.unique as Partial<Record<keyof UniqueSpec, unknown>> | undefined;
    if (typeof u !== 'object' || u === null) {
      throw invalidArgument(`${p}.unique`, 'null or { key, periodMs, states }', u);
    }
    assertString(`${p}.unique.key`, u.key, false);
    if (u.periodMs !== null) assertIntegerMs(`${p}.unique.periodMs`, u.periodMs, 0);
    const states = checkStates(`${p}.unique.states`, u.states);
    unique = Object.freeze({ key: u.key, periodMs: u.periodMs as number | null, states });
  }
  return {
    kind: j.kind,
    queue: j.queue,
    payload: freezeJson(`${p}.payload`, j.payload),
    priority: j.priority,
    maxAttempts: j.maxAttempts,
    runAt: j.runAt,
    timeoutMs: j.timeoutMs as number | null,
    parentIds,
    parentRefs,
    ref: j.ref as string | undefined,
    unique,
    tags: assertStringList(`${p}.tags`, j.tags),
  };
}

/** Checks a fetch request. */
export function checkFetch(r: FetchRequest): void {
  if (typeof r !== 'object' || r === null) throw invalidArgument('request', 'a fetch request object', r);
  assertString('request.queue', r.queue);
  if (typeof r.demand !== 'number' || !Number.isInteger(r.demand) || r.demand < 0) {
    throw invalidArgument('request.demand', 'a non-negative integer', r.demand);
  }
  assertString('request.owner', r.owner, false);
  assertIntegerMs('request.leaseMs', r.leaseMs, 1);
  if (r.rateLimit !== undefined) {
    const { limit, windowMs } = r.rateLimit;
    if (typeof limit !== 'number' || !Number.isInteger(limit) || limit < 1) {
      throw invalidArgument('request.rateLimit.limit', 'a positive integer', limit);
    }
    assertIntegerMs('request.rateLimit.windowMs', windowMs, 1);
  }
}

/** Checks a lease reference. */
export function checkLease(lease: LeaseRef, name = 'lease'): void {
  if (typeof lease !== 'object' || lease === null)
    throw invalidArgument(name, 'a { id, token } object', lease);
  assertString(`${name}.id`, lease.id, false);
  if (typeof lease.token !== 'number' || !Number.isInteger(lease.token)) {
    throw invalidArgument(`${name}.token`, 'an integer lease token', lease.token);
  }
}

/** Checks a job error and returns a frozen copy. */
export function checkJobError(name: string, e: JobError): JobError {
  if (typeof e !== 'object' || e === null) throw invalidArgument(name, 'a job error object', e);
  if (typeof e.attempt !== 'number' || !Number.isInteger(e.attempt) || e.attempt < 0) {
    throw invalidArgument(`${name}.attempt`, 'a non-negative integer', e.attempt);
  }
  assertIntegerMs(`${name}.at`, e.at, 0);
  assertString(`${name}.name`, e.name, false);
  assertString(`${name}.message`, e.message, false);
  if (e.stack !== undefined) assertString(`${name}.stack`, e.stack, false);
  const out: JobError = { attempt: e.attempt, at: e.at, name: e.name, message: e.message };
  return Object.freeze(e.stack === undefined ? out : { ...out, stack: e.stack });
}

/** Checks a list of ids. */
export function checkIds(name: string, ids: unknown): readonly string[] {
  if (!Array.isArray(ids)) throw invalidArgument(name, 'an array of job ids', ids);
  for (let i = 0; i < ids.length; i++) assertString(`${name}[${i}]`, ids[i] as unknown, false);
  return ids as string[];
}
