/**
 * Job kinds: `defineJob` for a kind with defaults and a schema, and the normalisation
 * of `createSteward`'s `jobs` map (a bare handler or a definition per kind) into the
 * one shape the rest of the queue layer reads.
 */
import { invalidArgument } from '../runtime/validate.js';
import type { Json } from '../store/types.js';
import { DEFAULT_BACKOFF, checkKeys, validateBackoff } from './backoff.js';
import { PayloadValidationError } from './errors.js';
import type { Backoff, JobDefinition, JobHandler, StandardSchemaV1, UniqueOptions } from './types.js';
import { assertMaxAttempts, assertPriority, assertQueueName, assertTimeoutMs } from './validate.js';

/** Oban's default attempt budget. */
export const DEFAULT_MAX_ATTEMPTS = 20;
/** Priority of a job that names none: the seed's `normal`. */
export const DEFAULT_PRIORITY = 5;
/** The queue of a kind that names none. */
export const DEFAULT_QUEUE = 'default';

/** A job kind with every default filled in: what the producer and executor read. */
export interface KindSpec {
  readonly kind: string;
  /** The handler, or null for a thread kind. */
  readonly handler: JobHandler<unknown, unknown> | null;
  readonly thread: { readonly module: string | URL; readonly fn: string } | null;
  readonly queue: string;
  readonly priority: number;
  readonly maxAttempts: number;
  readonly backoff: Backoff;
  readonly timeoutMs: number | null;
  readonly schema: StandardSchemaV1<unknown, unknown> | null;
  readonly unique: UniqueOptions | undefined;
}

const DEFINITION_KEYS: readonly (keyof JobDefinition)[] = [
  'handler',
  'queue',
  'priority',
  'maxAttempts',
  'backoff',
  'timeoutMs',
  'schema',
  'unique',
  'thread',
];

/**
 * Defines a job kind: its handler (or thread function), defaults and optional payload
 * schema (any Standard Schema validator: zod, valibot, arktype). Checks the definition
 * at once and returns it; the payload type flows from the schema into the handler.
 * @example
 * const sendEmail = defineJob({
 *   schema: z.object({ to: z.string().email(), body: z.string() }),
 *   queue: 'mail',
 *   maxAttempts: 5,
 *   backoff: { type: 'exponential', baseMs: 2000 },
 *   handler: async ({ to, body }, { signal }) => mailer.send({ to, body }, { signal }),
 * });
 */
export function defineJob<P = Json, R = unknown>(definition: JobDefinition<P, R>): JobDefinition<P, R> {
  validateDefinition('definition', definition);
  return Object.freeze({ ...definition });
}

function validateDefinition(where: string, def: unknown): asserts def is JobDefinition<unknown, unknown> {
  if (typeof def !== 'object' || def === null || Array.isArray(def)) {
    throw invalidArgument(where, 'a job definition object or a handler function', def);
  }
  checkKeys(where, def, DEFINITION_KEYS);
  const d = def as JobDefinition<unknown, unknown>;
  if (d.thread === undefined && typeof d.handler !== 'function') {
    throw invalidArgument(`${where}.handler`, 'a function (or give `thread` instead)', d.handler);
  }
  if (d.thread !== undefined) {
    if (d.handler !== undefined) {
      throw invalidArgument(
        `${where}.handler`,
        'absent when `thread` is given (the thread function is the handler)',
        d.handler,
      );
    }
    const t = d.thread as { module?: unknown; fn?: unknown } | null;
    if (typeof t !== 'object' || t === null)
      throw invalidArgument(`${where}.thread`, 'an object `{ module, fn }`', t);
    checkKeys(`${where}.thread`, t, ['module', 'fn']);
    if (!(t.module instanceof URL) && (typeof t.module !== 'string' || t.module === '')) {
      throw invalidArgument(`${where}.thread.module`, 'a module path or file: URL', t.module);
    }
    if (typeof t.fn !== 'string' || t.fn === '') {
      throw invalidArgument(`${where}.thread.fn`, 'the name of a function the module exports', t.fn);
    }
  }
  if (d.queue !== undefined) assertQueueName(`${where}.queue`, d.queue);
  if (d.priority !== undefined) assertPriority(`${where}.priority`, d.priority);
  if (d.maxAttempts !== undefined) assertMaxAttempts(`${where}.maxAttempts`, d.maxAttempts);
  if (d.timeoutMs !== undefined) assertTimeoutMs(`${where}.timeoutMs`, d.timeoutMs);
  if (d.backoff !== undefined) validateBackoff(`${where}.backoff`, d.backoff);
  if (d.schema !== undefined) {
    const std = (d.schema as { '~standard'?: { validate?: unknown } } | null)?.['~standard'];
    if (typeof std?.validate !== 'function') {
      throw invalidArgument(
        `${where}.schema`,
        'a Standard Schema validator (with `~standard.validate`)',
        d.schema,
      );
    }
  }
  if (d.unique !== undefined && (typeof d.unique !== 'object' || d.unique === null)) {
    throw invalidArgument(`${where}.unique`, 'an object', d.unique);
  }
}

/** Validates `createSteward`'s `jobs` map and fills in each kind's defaults. */
export function normalizeJobs(jobs: unknown): Map<string, KindSpec> {
  if (typeof jobs !== 'object' || jobs === null || Array.isArray(jobs)) {
    throw invalidArgument('jobs', 'an object mapping job kinds to handlers or definitions', jobs);
  }
  const kinds = new Map<string, KindSpec>();
  for (const [kind, value] of Object.entries(jobs as Record<string, unknown>)) {
    const where = `jobs.${kind}`;
    if (kind === '') throw invalidArgument('jobs', 'job kinds that are non-empty strings', kind);
    if (typeof value === 'function') {
      kinds.set(kind, specOf(kind, { handler: value as JobHandler<unknown, unknown> }));
      continue;
    }
    validateDefinition(where, value);
    kinds.set(kind, specOf(kind, value));
  }
  return kinds;
}

function specOf(kind: string, d: JobDefinition<unknown, unknown>): KindSpec {
  return {
    kind,
    handler: d.handler ?? null,
    thread: d.thread ?? null,
    queue: d.queue ?? DEFAULT_QUEUE,
    priority: d.priority ?? DEFAULT_PRIORITY,
    maxAttempts: d.maxAttempts ?? DEFAULT_MAX_ATTEMPTS,
    backoff: d.backoff ?? DEFAULT_BACKOFF,
    timeoutMs: d.timeoutMs ?? null,
    schema: d.schema ?? null,
    unique: d.unique,
  };
}

/**
 * Runs a kind's schema on a payload: resolves with the schema's output (the handler's
 * payload), rejects with a PayloadValidationError listing the issues.
 */
export async function validatePayload(spec: KindSpec, payload: unknown): Promise<unknown> {
  if (!spec.schema) return payload;
  const out = await spec.schema['~standard'].validate(payload);
  if (out.issues) throw new PayloadValidationError(spec.kind, out.issues);
  return out.value;
}

/** The seed's priority levels (0..9 are all valid; lower runs first). */
export const Priority = Object.freeze({ critical: 1, high: 3, normal: 5, low: 7, background: 9 } as const);
