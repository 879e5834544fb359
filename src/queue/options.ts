/**
 * `createSteward`'s options, checked up front and filled in with defaults, so a bad
 * setting fails at construction with a message naming it, not later inside a loop.
 */
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { invalidArgument } from '../runtime/validate.js';
import type { Logger } from 'pino';
import type { Store } from '../store/types.js';
import { checkKeys } from './backoff.js';
import { normalizeJobs } from './define.js';
import type { KindSpec } from './define.js';
import { checkLogger } from './logger.js';
import { pruneSettings } from './pruner.js';
import type { PruneSettings } from './pruner.js';
import type { StewardOptions } from './types.js';
import { normalizeQueue } from './validate.js';
import type { QueueSpec } from './validate.js';

/** StewardOptions with every default applied. */
export interface Settings {
  readonly store: string | Store;
  readonly kinds: ReadonlyMap<string, KindSpec>;
  /** Every queue this Steward knows: configured ones and those its job kinds name. */
  readonly queues: ReadonlyMap<string, QueueSpec>;
  readonly node: string;
  readonly leaseMs: number;
  readonly pollIntervalMs: number;
  readonly monitor: { readonly intervalMs: number; readonly log: boolean | ((line: string) => void) };
  /** The `logger` option as given (checked); undefined: the default logger. */
  readonly logger: Logger | false | undefined;
  readonly metrics: { readonly defaultMetrics: boolean };
  readonly prune: PruneSettings | null;
  readonly run: boolean;
}

const OPTION_KEYS: readonly (keyof StewardOptions)[] = [
  'store',
  'jobs',
  'queues',
  'node',
  'leaseMs',
  'pollIntervalMs',
  'monitor',
  'prune',
  'run',
  'logger',
  'metrics',
];

function positiveMs(name: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) {
    throw invalidArgument(name, 'a positive finite number of milliseconds', value);
  }
  return value;
}

function isStore(value: unknown): value is Store {
  const v = value as Partial<Record<keyof Store, unknown>> | null;
  return (
    typeof v === 'object' &&
    v !== null &&
    typeof v.insertJobs === 'function' &&
    typeof v.fetchJobs === 'function' &&
    typeof v.now === 'function' &&
    typeof v.subscribe === 'function'
  );
}

/** Validates `createSteward`'s options and applies the defaults. */
export function normalizeOptions(options: unknown): Settings {
  if (typeof options !== 'object' || options === null || Array.isArray(options)) {
    throw invalidArgument('options', 'an options object `{ jobs, queues, store, ... }`', options);
  }
  checkKeys('options', options, OPTION_KEYS);
  const o = options as StewardOptions;
  const store = o.store ?? 'memory:';
  if (typeof store === 'string' ? store === '' : !isStore(store)) {
    throw invalidArgument(
      'store',
      'a store URL (`memory:`, `sqlite:./file.db`, `postgres://…`) or a Store',
      store,
    );
  }
  const kinds = normalizeJobs(o.jobs);
  const queues = new Map<string, QueueSpec>();
  if (o.queues !== undefined) {
    if (typeof o.queues !== 'object' || o.queues === null || Array.isArray(o.queues)) {
      throw invalidArgument('queues', 'an object mapping queue names to queue options', o.queues);
    }
    for (const [name, q] of Object.entries(o.queues)) {
      if (name === '') throw invalidArgument('queues', 'queue names that are non-empty strings', name);
      queues.set(name, normalizeQueue(name, q));
    }
  }
  for (const spec of kinds.values()) {
    if (!queues.has(spec.queue)) queues.set(spec.queue, normalizeQueue(spec.queue, undefined));
  }
  const node = o.node ?? `${hostname()}:${process.pid}:${randomBytes(3).toString('hex')}`;
  if (typeof node !== 'string' || node === '') throw invalidArgument('node', 'a non-empty string', node);
  const leaseMs = Math.ceil(positiveMs('leaseMs', o.leaseMs ?? 30_000)); // store times are whole ms
  const pollIntervalMs = positiveMs('pollIntervalMs', o.pollIntervalMs ?? 1000);
  const run = o.run ?? true;
  if (typeof run !== 'boolean') throw invalidArgument('run', 'a boolean', run);
  return {
    store,
    kinds,
    queues,
    node,
    leaseMs,
    pollIntervalMs,
    monitor: monitorOf(o.monitor),
    prune: pruneSettings(o.prune),
    run,
    logger: checkLogger(o.logger),
    metrics: metricsOf(o.metrics),
  };
}

function monitorOf(value: StewardOptions['monitor']): Settings['monitor'] {
  const m = value ?? {};
  if (typeof m !== 'object' || m === null)
    throw invalidArgument('monitor', 'an object `{ intervalMs, log }`', m);
  checkKeys('monitor', m, ['intervalMs', 'log']);
  const intervalMs = positiveMs('monitor.intervalMs', m.intervalMs ?? 5000);
  const log = m.log ?? false;
  if (typeof log !== 'function' && typeof log !== 'boolean') {
    throw invalidArgument('monitor.log', 'a boolean or a function', log);
  }
  return { intervalMs, log };
}

function metricsOf(value: StewardOptions['metrics']): Settings['metrics'] {
  const m = value ?? {};
  if (typeof m !== 'object' || m === null)
    throw invalidArgument('metrics', 'an object `{ defaultMetrics }`', m);
  checkKeys('metrics', m, ['defaultMetrics']);
  const defaultMetrics = m.defaultMetrics ?? false;
  if (typeof defaultMetrics !== 'boolean') {
    throw invalidArgument('metrics.defaultMetrics', 'a boolean', defaultMetrics);
  }
  return { defaultMetrics };
}
