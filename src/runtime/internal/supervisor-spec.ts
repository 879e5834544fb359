/**
 * The shapes a Supervisor is configured with (child specs and options) and their
 * validation. Everything is checked up front so a bad tree fails at `start` with a
 * message naming the field, not later in the middle of a restart.
 */
import type { Process } from '../process.js';
import {
  assertFunction,
  assertNonNegative,
  assertOneOf,
  assertTimeout,
  invalidArgument,
} from '../validate.js';

/** When a child is restarted: always, only after a crash, or never. */
export type RestartType = 'permanent' | 'transient' | 'temporary';
/** Whether a child is a plain worker or itself a supervisor (only used for counting and inspection). */
export type ChildType = 'worker' | 'supervisor';
/** Which children a crash takes down and restarts with it. */
export type Strategy = 'one_for_one' | 'one_for_all' | 'rest_for_one';

/** How to start and treat one child of a Supervisor. */
export interface ChildSpec {
  /** Unique (within its supervisor), non-empty name of the child. */
  readonly id: string;
  /** Starts a fresh instance of the child; called again on every restart. Throwing = failed start. */
  readonly start: () => Process | Promise<Process>;
  /** When to restart the child. @default 'permanent' */
  readonly restart?: RestartType;
  /** Milliseconds the child gets to stop before it is abandoned (Infinity = wait forever). @default 5000 */
  readonly shutdown?: number;
  /** What kind of process the child is. @default 'worker' */
  readonly type?: ChildType;
}

/** The optional parts of a ChildSpec, as taken by the `Supervisor.worker`/`periodic` helpers. */
export type ChildOptions = Pick<ChildSpec, 'restart' | 'shutdown' | 'type'>;

/** Options of `Supervisor.start`. */
export interface SupervisorOptions {
  /** A name for reports, errors and inspection. @default "supervisor-<n>" */
  readonly name?: string;
  /** Which siblings a crash restarts. @default 'one_for_one' */
  readonly strategy?: Strategy;
  /** Restarts allowed within `maxSeconds`; one more and the supervisor gives up. @default 3 */
  readonly maxRestarts?: number;
  /** The window (seconds) restarts are counted in, for intensity and for backoff. @default 5 */
  readonly maxSeconds?: number;
  /**
   * Delay before the n-th restart of the same child within the window:
   * `initialMs * 2^(n-1)`, capped at `maxMs`. `initialMs: 0` restarts at once.
   * @default { initialMs: 10, maxMs: 1000 }
   */
  readonly backoff?: { readonly initialMs?: number; readonly maxMs?: number };
}

/** A ChildSpec with its defaults filled in. */
export interface NormalizedChildSpec {
  readonly id: string;
  readonly start: () => Process | Promise<Process>;
  readonly restart: RestartType;
  readonly shutdown: number;
  readonly type: ChildType;
}

/** SupervisorOptions with their defaults filled in. */
export interface NormalizedOptions {
  readonly name: string;
  readonly strategy: Strategy;
  readonly maxRestarts: number;
  readonly maxSeconds: number;
  readonly initialBackoffMs: number;
  readonly maxBackoffMs: number;
}

/** Default grace a child gets to stop, as in OTP's worker default. */
export const DEFAULT_SHUTDOWN_MS = 5000;
const RESTART_TYPES: readonly RestartType[] = ['permanent', 'transient', 'temporary'];
const CHILD_TYPES: readonly ChildType[] = ['worker', 'supervisor'];
const STRATEGIES: readonly Strategy[] = ['one_for_one', 'one_for_all', 'rest_for_one'];

let unnamed = 0;

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Checks a non-empty string (ids and names). */
export function assertNonEmptyString(name: string, value: unknown): asserts value is string {
  if (typeof value !== 'string' || value.length === 0)
    throw invalidArgument(name, 'a non-empty string', value);
}

/** Checks the optional fields shared by a ChildSpec and the child helpers' options. */
export function validateChildOptions(where: string, value: unknown): asserts value is ChildOptions {
  if (!isRecord(value)) throw invalidArgument(where, 'an object', value);
  if (value.restart !== undefined) assertOneOf(`${where}.restart`, value.restart, RESTART_TYPES);
  if (value.shutdown !== undefined) assertTimeout(`${where}.shutdown`, value.shutdown);
  if (value.type !== undefined) assertOneOf(`${where}.type`, value.type, CHILD_TYPES);
}

/** Validates one child spec (`where` is its path in messages, e.g. `children[2]`) and fills in defaults. */
export function normalizeChildSpec(where: string, value: unknown): NormalizedChildSpec {
  if (!isRecord(value)) throw invalidArgument(where, 'a child spec object', value);
  assertNonEmptyString(`${where}.id`, value.id);
  assertFunction(`${where}.start`, value.start);
  validateChildOptions(where, value);
  const spec = value as unknown as ChildSpec;
  return {
    id: spec.id,
    start: spec.start,
    restart: spec.restart ?? 'permanent',
    shutdown: spec.shutdown ?? DEFAULT_SHUTDOWN_MS,
    type: spec.type ?? 'worker',
  };
}

/** Validates the children of `Supervisor.start`, including that ids are unique. */
export function normalizeChildSpecs(value: unknown): NormalizedChildSpec[] {
  if (!Array.isArray(value)) throw invalidArgument('children', 'an array of child specs', value);
  const seen = new Set<string>();
  return value.map((item: unknown, index) => {
    const spec = normalizeChildSpec(`children[${index}]`, item);
    if (seen.has(spec.id))
      throw invalidArgument(`children[${index}].id`, 'unique among the children', spec.id);
    seen.add(spec.id);
    return spec;
  });
}

/** Validates the options of `Supervisor.start` and fills in defaults. */
export function normalizeOptions(value: unknown): NormalizedOptions {
  if (value === undefined) value = {};
  if (!isRecord(value)) throw invalidArgument('options', 'an object', value);
  const { name, strategy = 'one_for_one', maxRestarts = 3, maxSeconds = 5, backoff = {} } = value;
  if (name !== undefined) assertNonEmptyString('name', name);
  assertOneOf('strategy', strategy, STRATEGIES);
  if (typeof maxRestarts !== 'number' || !Number.isInteger(maxRestarts) || maxRestarts < 0) {
    throw invalidArgument('maxRestarts', 'a non-negative integer', maxRestarts);
  }
  if (typeof maxSeconds !== 'number' || !Number.isFinite(maxSeconds) || maxSeconds <= 0) {
    throw invalidArgument('maxSeconds', 'a positive finite number', maxSeconds);
  }
  if (!isRecord(backoff)) throw invalidArgument('backoff', 'an object', backoff);
  const { initialMs = 10, maxMs = 1000 } = backoff;
  assertNonNegative('backoff.initialMs', initialMs);
  assertTimeout('backoff.maxMs', maxMs);
  return {
    name: name ?? `supervisor-${++unnamed}`,
    strategy,
    maxRestarts,
    maxSeconds,
    initialBackoffMs: initialMs,
    maxBackoffMs: maxMs,
  };
}

/** Whether a value returned by a child's `start` really is a Process. */
export function isProcess(value: unknown): value is Process {
  if (typeof value !== 'object' || value === null) return false;
  const candidate = value as Partial<Record<keyof Process, unknown>>;
  return (
    typeof candidate.stop === 'function' &&
    typeof (candidate.exited as { then?: unknown } | undefined)?.then === 'function'
  );
}
