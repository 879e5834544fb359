/**
 * Cheap checks at the memory store's boundary. The queue layer validates too, but a store must
 * never store garbage, so every input is checked here (errors name the value and what was
 * expected) and JSON values are copied and deep-frozen on the way in: a caller that mutates its
 * payload after `insertJobs` cannot reach the stored job.
 *
 * These run once per job per call, so the passing path is kept allocation-light: names such as
 * `jobs[3].payload` are only built once a check has failed (building them eagerly cost more than
 * the checks), and a failing JSON value is walked a second time, slowly, to say where it failed.
 */
import { describeValue, invalidArgument } from '../runtime/validate.js';
import { JOB_STATES } from './types.js';
import type { FetchRequest, JobError, JobInsert, JobState, Json, LeaseRef, UniqueSpec } from './types.js';

const MAX_JSON_DEPTH = 256;

/** A shared empty list: most jobs have no tags, parents or errors, and a frozen [] is immutable. */
export const EMPTY: readonly never[] = Object.freeze([]);

/** What `copyFast` returns for a value that is not JSON (the slow walk then explains why). */
const NOT_JSON: unique symbol = Symbol('not JSON');

/** Checks `value` is JSON (plain objects, arrays, finite numbers, strings, booleans, null) and returns a deep-frozen copy. */
export function freezeJson(name: string, value: unknown): Json {
  const out = copyFast(value, 0);
  return out === NOT_JSON ? copyJson(name, value, value, '', 0) : out;
}

/** The copy `freezeJson` returns, or NOT_JSON: no paths, no messages, so the common case allocates only the copy. */
function copyFast(value: unknown, depth: number): Json | typeof NOT_JSON {
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return value;
    case 'number':
      return Number.isFinite(value) ? value : NOT_JSON;
    case 'object':
      break;
    default:
      return NOT_JSON;
  }
  if (value === null) return null;
  if (depth >= MAX_JSON_DEPTH) return NOT_JSON;
  if (Array.isArray(value)) {
    const out: Json[] = new Array<Json>(value.length);
    // An index loop so holes are seen (as undefined) and rejected.
    for (let i = 0; i < value.length; i++) {
      const v = copyFast(value[i], depth + 1);
      if (v === NOT_JSON) return NOT_JSON;
      out[i] = v;
    }
    return Object.freeze(out) as Json;
  }
  const proto: unknown = Object.getPrototypeOf(value);
  if (proto !== Object.prototype && proto !== null) return NOT_JSON;
  const out: { [key: string]: Json } = {};
  // for-in walks V8's enum cache without allocating Object.keys' array; hasOwn skips anything
  // enumerable inherited from Object.prototype, so the keys are Object.keys' keys.
  for (const key in value) {
    if (!Object.hasOwn(value, key)) continue;
    const v = copyFast((value as Record<string, unknown>)[key], depth + 1);
    if (v === NOT_JSON) return NOT_JSON;
    out[key] = v;
  }
  return Object.freeze(out);
}

/** The slow walk: the same rules as `copyFast`, throwing a message that names where `whole` failed. */
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
  if (value.length === 0) return EMPTY;
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

/**
 * Checks one insert of a batch (`at` is its index, used in messages). Each field is tested inline
 * and its name (`jobs[3].kind`) built only on failure, through the same assert helpers as before,
 * so the messages are unchanged.
 */
export function checkInsert(job: unknown, at: number): CheckedInsert {
  if (typeof job !== 'object' || job === null)
    throw invalidArgument(where(at, ''), 'a job insert object', job);
  const j = job as Partial<Record<keyof JobInsert, unknown>>;
  const { kind, queue, priority, maxAttempts, runAt, timeoutMs, ref, dependsOn, tags } = j;
  if (typeof kind !== 'string' || kind.length === 0) assertString(where(at, '.kind'), kind);
  if (typeof queue !== 'string' || queue.length === 0) assertString(where(at, '.queue'), queue);
  if (!isInteger(priority) || priority < 0 || priority > 9) assertPriority(where(at, '.priority'), priority);
  if (!isInteger(maxAttempts) || maxAttempts < 1) {
    throw invalidArgument(where(at, '.maxAttempts'), 'an integer of at least 1', maxAttempts);
  }
  if (!isMs(runAt, 0)) assertIntegerMs(where(at, '.runAt'), runAt, 0);
  if (timeoutMs !== null && !isMs(timeoutMs, 1)) assertIntegerMs(where(at, '.timeoutMs'), timeoutMs, 1);
  if (ref !== undefined && (typeof ref !== 'string' || ref.length === 0))
    assertString(where(at, '.ref'), ref);
  if (!Array.isArray(dependsOn)) {
    throw invalidArgument(where(at, '.dependsOn'), 'an array of job ids or { ref } objects', dependsOn);
  }
  let parentIds: readonly string[] = EMPTY;
  let parentRefs: readonly string[] = EMPTY;
  if (dependsOn.length > 0) {
    const ids: string[] = [];
    const refs: string[] = [];
    for (let i = 0; i < dependsOn.length; i++) {
      const d: unknown = dependsOn[i];
      if (typeof d === 'string' && d.length > 0) {
        if (!ids.includes(d)) ids.push(d);
      } else if (typeof d === 'object' && d !== null && typeof (d as { ref?: unknown }).ref === 'string') {
        const r = (d as { ref: string }).ref;
        if (!refs.includes(r)) refs.push(r);
      } else {
        throw invalidArgument(where(at, `.dependsOn[${i}]`), 'a job id or a { ref: string } object', d);
      }
    }
    parentIds = ids;
    parentRefs = refs;
  }
  let unique: UniqueSpec | null = null;
  if (j.unique !== null) {
    const u = j.unique as Partial<Record<keyof UniqueSpec, unknown>> | undefined;
    if (typeof u !== 'object' || u === null) {
      throw invalidArgument(where(at, '.unique'), 'null or { key, periodMs, states }', u);
    }
    assertString(where(at, '.unique.key'), u.key, false);
    if (u.periodMs !== null) assertIntegerMs(where(at, '.unique.periodMs'), u.periodMs, 0);
    const states = checkStates(where(at, '.unique.states'), u.states);
    unique = Object.freeze({ key: u.key, periodMs: u.periodMs as number | null, states });
  }
  const payload = freezeJsonAt(at, j.payload);
  return {
    kind: kind as string,
    queue: queue as string,
    payload,
    priority: priority as number,
    maxAttempts,
    runAt: runAt as number,
    timeoutMs: timeoutMs as number | null,
    parentIds,
    parentRefs,
    ref: ref as string | undefined,
    unique,
    tags: Array.isArray(tags) && tags.length === 0 ? EMPTY : assertStringList(where(at, '.tags'), tags),
  };
}

/** `freezeJson` for a payload, naming it only if it fails. */
function freezeJsonAt(at: number, value: unknown): Json {
  const out = copyFast(value, 0);
  return out === NOT_JSON ? copyJson(where(at, '.payload'), value, value, '', 0) : out;
}

/**
 * The name of a field of insert `at`, built only when a check fails. A module-level function: a
 * closure per call would cost an allocation, and under tsx (esbuild's keepNames) a `__name` call.
 */
function where(at: number, field: string): string {
  return `jobs[${at}]${field}`;
}

function isInteger(value: unknown): value is number {
  return typeof value === 'number' && Number.isInteger(value);
}

/** The passing case of `assertIntegerMs`, without its name. */
function isMs(value: unknown, min: number): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= min;
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
  if (typeof lease.id !== 'string') assertString(`${name}.id`, lease.id, false);
  if (typeof lease.token !== 'number' || !Number.isInteger(lease.token)) {
    throw invalidArgument(`${name}.token`, 'an integer lease token', lease.token);
  }
}

/**
 * Checks a `completeJobs` batch, so a bad item rejects the call before anything changes, and
 * returns each completion's result frozen (leases are read from the input: no copy per job).
 */
export function checkCompletions(completions: unknown): (Json | null)[] {
  if (!Array.isArray(completions)) {
    throw invalidArgument('completions', 'an array of { lease, result }', completions);
  }
  const out = new Array<Json | null>(completions.length);
  for (let i = 0; i < completions.length; i++) {
    const c = completions[i] as { lease?: unknown; result?: unknown } | null;
    if (typeof c !== 'object' || c === null) {
      throw invalidArgument(`completions[${i}]`, 'a { lease, result } object', c);
    }
    checkLease(c.lease as LeaseRef, `completions[${i}].lease`);
    const r = c.result;
    out[i] = r === undefined || r === null ? null : freezeJson(`completions[${i}].result`, r);
  }
  return out;
}

/** Checks a job error and returns a frozen copy. */
export function checkJobError(name: string, e: JobError): JobError {
  if (typeof e !== 'object' || e === null) throw invalidArgument(name, 'a job error object', e);
  if (typeof e.attempt !== 'number' || !Number.isInteger(e.attempt) || e.attempt < 0) {
    throw invalidArgument(`${name}.attempt`, 'a non-negative integer', e.attempt);
  }
  if (!isMs(e.at, 0)) assertIntegerMs(`${name}.at`, e.at, 0);
  if (typeof e.name !== 'string') assertString(`${name}.name`, e.name, false);
  if (typeof e.message !== 'string') assertString(`${name}.message`, e.message, false);
  if (e.stack !== undefined && typeof e.stack !== 'string') assertString(`${name}.stack`, e.stack, false);
  const out: JobError = { attempt: e.attempt, at: e.at, name: e.name, message: e.message };
  return Object.freeze(e.stack === undefined ? out : { ...out, stack: e.stack });
}

/** Checks a list of ids. */
export function checkIds(name: string, ids: unknown): readonly string[] {
  if (!Array.isArray(ids)) throw invalidArgument(name, 'an array of job ids', ids);
  for (let i = 0; i < ids.length; i++) {
    if (typeof ids[i] !== 'string') assertString(`${name}[${i}]`, ids[i] as unknown, false);
  }
  return ids as string[];
}
