/**
 * Loading the user's job handlers: `--jobs ./jobs.js` names a module exporting `jobs` (kind →
 * handler or `defineJob` definition) and optionally `queues`, or a default export of that shape.
 * Every way it can go wrong ends in one line saying what the module must look like.
 */
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { StewardOptions } from '../index.js';
import { failure, usageError } from './io.js';
import { messageOf } from './store.js';

/** What a jobs module provides. */
export interface JobsModule {
  /** The module's absolute path. */
  readonly path: string;
  readonly jobs: StewardOptions['jobs'];
  readonly queues: StewardOptions['queues'];
}

const SHAPE =
  'export `jobs` (kind → handler or defineJob(...)) and optionally `queues`, or a default export { jobs, queues }';

/** Imports the module `spec` names (relative to `cwd`) and returns its jobs and queues. */
export async function loadJobsModule(spec: string, cwd: string): Promise<JobsModule> {
  const path = resolve(cwd, spec);
  if (!existsSync(path)) {
    throw usageError(
      `jobs module ${JSON.stringify(spec)} not found (looked for ${path})`,
      `--jobs must name a module that ${SHAPE}`,
    );
  }
  let mod: Record<string, unknown>;
  try {
    mod = (await import(pathToFileURL(path).href)) as Record<string, unknown>;
  } catch (err) {
    const code = (err as { code?: unknown } | null)?.code;
    if (code === 'ERR_UNKNOWN_FILE_EXTENSION') {
      throw usageError(
        `cannot import the jobs module ${path}: Node cannot load ${JSON.stringify(spec)} by itself`,
        'compile it to .js, or run steward under tsx (node --import tsx …) for a .ts module',
        err,
      );
    }
    throw failure(
      `the jobs module ${path} failed to load: ${messageOf(err)}`,
      'fix the error in the module',
      err,
    );
  }
  const source = isObject(mod.jobs)
    ? mod
    : isObject(mod.default) && isObject(mod.default.jobs)
      ? mod.default
      : null;
  if (source === null) {
    throw usageError(`the jobs module ${path} exports no \`jobs\` object`, `the module must ${SHAPE}`);
  }
  const { queues } = source;
  if (queues !== undefined && !isObject(queues)) {
    throw usageError(
      `the jobs module ${path} exports \`queues\` that is not an object`,
      'export queues as { name: { concurrency } }',
    );
  }
  return {
    path,
    jobs: source.jobs as StewardOptions['jobs'],
    queues: queues as StewardOptions['queues'],
  };
}

/** The queues a jobs map's kinds name (a bare handler or a definition without `queue` is `default`). */
export function queuesOfJobs(jobs: StewardOptions['jobs']): string[] {
  const names = new Set<string>();
  for (const value of Object.values(jobs)) {
    const queue = isObject(value) && typeof value.queue === 'string' ? value.queue : 'default';
    names.add(queue);
  }
  return [...names];
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
