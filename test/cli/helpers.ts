/**
 * Running the CLI in-process for tests: each call gets its own output buffers, the test's
 * environment and working directory, and signals the test sends by hand.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { main } from '../../src/cli/main.js';
import type { CliIO } from '../../src/cli/io.js';
import { openStore } from '../../src/index.js';
import type { Store } from '../../src/index.js';
import { jobInsert } from '../fixtures/job-insert.js';

/** What one run printed and its exit code. */
export interface Run {
  readonly code: number;
  readonly out: string;
  readonly err: string;
}

/** A run still going (`start`, `top`): its output so far, a way to signal it, and its end. */
export interface Running {
  out(): string;
  err(): string;
  /** Delivers SIGINT or SIGTERM to the run's signal handlers. */
  signal(signal?: 'SIGINT' | 'SIGTERM'): void;
  readonly done: Promise<Run>;
}

/** Options of a run. */
export interface RunOptions {
  readonly env?: Record<string, string | undefined>;
  readonly cwd?: string;
  readonly isTTY?: boolean;
}

/** The path of a fixture module under test/cli/fixtures. */
export function fixture(name: string): string {
  return fileURLToPath(new URL(`./fixtures/${name}`, import.meta.url));
}

/** A temporary directory for one test file, and its cleanup. */
export function tempDir(prefix: string): { readonly dir: string; cleanup(): void } {
  const dir = mkdtempSync(join(tmpdir(), `steward-cli-${prefix}-`));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** Starts `steward <argv>` in-process. */
export function start(argv: readonly string[], opts: RunOptions = {}): Running {
  let out = '';
  let err = '';
  const handlers = new Set<(signal: 'SIGINT' | 'SIGTERM') => void>();
  const io: Partial<CliIO> = {
    stdout: (text) => (out += text),
    stderr: (text) => (err += text),
    // Not the test process's environment: a STEWARD_STORE set around the tests must not leak in.
    env: opts.env ?? {},
    cwd: opts.cwd ?? process.cwd(),
    isTTY: opts.isTTY ?? false,
    onSignal: (handler) => {
      handlers.add(handler);
      return () => handlers.delete(handler);
    },
  };
  const done = main(argv, io).then((code) => ({ code, out, err }));
  return {
    out: () => out,
    err: () => err,
    signal: (signal = 'SIGINT') => {
      for (const h of [...handlers]) h(signal);
    },
    done,
  };
}

/** Runs `steward <argv>` in-process to its end. */
export function run(argv: readonly string[], opts: RunOptions = {}): Promise<Run> {
  return start(argv, opts).done;
}

/** Runs with `--store sqlite:<file>` prepended. */
export function runOn(file: string, argv: readonly string[], opts: RunOptions = {}): Promise<Run> {
  return run(['--store', `sqlite:${file}`, ...argv], opts);
}

/** Parses a run's JSON output, failing with what it printed instead. */
export function jsonOf<T>(r: Run): T {
  try {
    return JSON.parse(r.out) as T;
  } catch {
    throw new Error(`not JSON (exit ${r.code}): ${r.out}\n${r.err}`);
  }
}

type Insert = Parameters<Store['insertJobs']>[0][number];

/** A job insert with the queue layer's defaults (tests override what they need). */
export function insert(kind: string, over: Partial<Insert> = {}): Insert {
  return jobInsert({ kind, ...over });
}

/** Opens the SQLite store at `file` (creating it), runs `fn`, closes it. */
export async function withSqlite<T>(file: string, fn: (store: Store) => Promise<T>): Promise<T> {
  const store = openStore(`sqlite:${file}`);
  await store.open();
  try {
    return await fn(store);
  } finally {
    await store.close();
  }
}

/**
 * Fills a store with one job in each interesting state, in this id order:
 * 1 completed (echo), 2 discarded (broken, two errors with stacks), 3 available (email queue),
 * 4 scheduled (in an hour), 5 executing (leased, slow queue), 6 cancelled.
 */
export async function seedStates(file: string): Promise<void> {
  await withSqlite(file, async (store) => {
    const now = Date.now();
    await store.insertJobs([
      insert('echo', { payload: { n: 1 } }),
      insert('broken', { maxAttempts: 2, queue: 'other' }),
    ]);
    const lease = { owner: 'test', leaseMs: 60_000 };
    const [done] = await store.fetchJobs({ queue: 'default', demand: 1, ...lease });
    await store.completeJob({ id: done!.id, token: done!.lease!.token }, { ok: true });
    for (const attempt of [1, 2]) {
      const [b] = await store.fetchJobs({ queue: 'other', demand: 1, ...lease });
      const error = {
        attempt,
        at: Date.now(),
        name: 'Error',
        message: `failure number ${attempt}`,
        stack: `Error: failure number ${attempt}\n    at handler (jobs.ts:${attempt}:1)`,
      };
      await store.errorJob({ id: b!.id, token: b!.lease!.token }, error, attempt === 1 ? Date.now() : null);
      if (attempt === 1) await store.stageJobs(10);
    }
    await store.insertJobs([
      insert('email', { queue: 'email', priority: 1, payload: { to: 'ada@example.com' } }),
      insert('report', { runAt: now + 3_600_000 }),
      insert('slow', { queue: 'slow' }),
      insert('echo'),
    ]);
    await store.fetchJobs({ queue: 'slow', demand: 1, ...lease });
    await store.cancelJobs(['6']);
  });
}
