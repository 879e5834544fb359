/**
 * `steward demo`: the seed capstone's testing scenario on a durable store — 1,000 jobs of random
 * priority and type, a few that fail (retries, the dead-letter queue), then the stress test of
 * 10 concurrent submitters × 1,000 — with live progress, and the seed's final stats and queue
 * size at the end. A rerun on the same database first finishes whatever an earlier run left.
 */
import { Writable } from 'node:stream';
import { Command, InvalidArgumentError } from 'commander';
import { createSteward, openStore } from '../index.js';
import type { Steward, Store } from '../index.js';
import {
  BROKEN_MESSAGE,
  DEMO_QUEUE,
  MAX_ATTEMPTS,
  SEED_SLEEP_MS,
  demoJobs,
  failingSplit,
  scenarioJobs,
} from './demo-jobs.js';
import { count, createLiveView } from './demo-live.js';
import type { LiveMode } from './demo-live.js';
import { DEMO_DEFAULTS, plannedTotal, resolveDemoOptions } from './demo-options.js';
import type { DemoOptions } from './demo-options.js';
import { buildSummary, summaryLines } from './demo-report.js';
import type { DemoSummary } from './demo-report.js';
import { demoTags, enqueueScenario, findUnfinished, runsOf, stressTest, watch } from './demo-run.js';
import { cliOf } from './io.js';
import { intAtLeast } from './parse.js';
import { storeUrlOf } from './store.js';

export type { DemoOptions } from './demo-options.js';
export type { DemoSummary } from './demo-report.js';

/** Where the demo writes, and what stops it. */
export interface DemoIo {
  readonly stdout: NodeJS.WritableStream;
  readonly stderr: NodeJS.WritableStream;
  /** Whether stdout is a terminal: a progress bar then, plain status lines otherwise. */
  readonly isTTY: boolean;
  /** Aborting it stops the demo gracefully (the command aborts it on Ctrl-C). */
  readonly signal?: AbortSignal;
  /** Supplies STEWARD_STORE when `store` is not given. @default process.env */
  readonly env?: Readonly<Record<string, string | undefined>>;
}

/** What a demo run ended with. */
export interface DemoResult {
  /** 0: every job ended as expected; 1: some did not, or the run was interrupted. */
  readonly exitCode: number;
  readonly summary: DemoSummary;
}

/** Lease length in the demo: short, so a killed run's jobs come back within seconds anywhere. */
export const DEMO_LEASE_MS = 5000;

/**
 * Runs the demo: resumes an earlier run's unfinished jobs if the store has any, else enqueues a
 * fresh run; works until every job is final (or `io.signal` aborts), then prints the summary.
 * @example
 * const { exitCode } = await runDemo({ store: 'memory:', speed: 100 }, { stdout: process.stdout, stderr: process.stderr, isTTY: false });
 */
export async function runDemo(input: Partial<DemoOptions>, io: DemoIo): Promise<DemoResult> {
  const options = resolveDemoOptions(input, io.env ?? process.env);
  const signal = io.signal ?? new AbortController().signal;
  const text = options.json ? io.stderr : io.stdout;
  const say = (line: string): void => {
    if (!(options.json && options.quiet)) text.write(`${line}\n`);
  };
  const liveMode: LiveMode = options.quiet ? 'none' : io.isTTY && !options.json ? 'bar' : 'lines';
  // The demo owns its store, so it can still read the jobs back after the workers have stopped.
  const store: Store = openStore(options.store);
  await store.open();
  let steward: Steward | undefined;
  try {
    steward = createSteward({
      store,
      jobs: demoJobs(options.speed),
      queues: { [DEMO_QUEUE]: { concurrency: options.concurrency } },
      leaseMs: DEMO_LEASE_MS,
      logger: false,
    });
    const summary = await runOn(steward, options, signal, say, liveMode, text);
    if (options.json) io.stdout.write(`${JSON.stringify(summary, null, 2)}\n`);
    else for (const line of summaryLines(summary)) say(line);
    if (summary.interrupted) {
      say(
        summary.jobs.queued > 0
          ? `stopped; run \`steward demo --store ${options.store}\` again to finish the unfinished jobs`
          : 'stopped; nothing is left unfinished, so a rerun starts a fresh run',
      );
    }
    return { exitCode: summary.ok ? 0 : 1, summary };
  } finally {
    await steward?.stop({ graceMs: 0 });
    await store.close();
  }
}

async function runOn(
  steward: Steward,
  options: DemoOptions,
  signal: AbortSignal,
  say: (line: string) => void,
  liveMode: LiveMode,
  live: NodeJS.WritableStream,
): Promise<DemoSummary> {
  const startedAt = performance.now();
  const unfinished = await findUnfinished(steward);
  // A paused demo queue (`steward pause demo`) would leave the run waiting forever.
  if ((await steward.store.listQueues()).some((q) => q.name === DEMO_QUEUE && q.paused)) {
    say(`the queue "${DEMO_QUEUE}" was paused; resuming it for the demo`);
    await steward.resumeQueue(DEMO_QUEUE);
  }
  const ids: string[] = unfinished.map((j) => j.id);
  let total = ids.length;
  let runs = runsOf(unfinished);
  let stress: Promise<void> = Promise.resolve();
  let stressDone = true;
  let stressError: unknown;
  if (unfinished.length > 0) {
    say(
      `resuming ${count(unfinished.length)} unfinished jobs from an earlier run (${runs.join(', ')}) on ${options.store}`,
    );
    await steward.start();
  } else {
    const runId = new Date().toISOString();
    runs = [runId];
    total = plannedTotal(options);
    for (const line of headerLines(options, runId, total)) say(line);
    const planned = scenarioJobs(options.jobs, options.failing);
    if (planned.length > 0)
      ids.push(...(await enqueueScenario(steward, planned, demoTags(runId, 'scenario'))));
    await steward.start();
    if (options.stress && options.submitters * options.perSubmitter > 0) {
      stressDone = false;
      const tags = demoTags(runId, 'stress');
      stress = stressTest(steward, options.submitters, options.perSubmitter, tags, signal, (id) =>
        ids.push(id),
      ).then(
        () => void (stressDone = true),
        (err: unknown) => void (stressError = err ?? new Error('the stress test failed')),
      );
    }
  }
  const view = createLiveView(liveMode, live);
  const { outcome, last } = await watch({
    steward,
    view,
    total: () => total,
    inserted: () => ids.length,
    allInserted: () => stressDone,
    failed: () => stressError,
    signal,
    startedAt,
  });
  view.stop(last);
  const interrupted = outcome === 'interrupted';
  if (interrupted) {
    say('interrupted: stopping gracefully (running jobs get 2 s to finish; the rest are handed back)');
    await stress;
    await steward.stop({ graceMs: 2000 });
  }
  const wallMs = performance.now() - startedAt;
  return buildSummary(steward, {
    mode: unfinished.length > 0 ? 'resume' : 'fresh',
    runs,
    store: options.store,
    concurrency: options.concurrency,
    speed: options.speed,
    ids,
    notSubmitted: Math.max(0, total - ids.length),
    wallMs,
    interrupted,
    queue: DEMO_QUEUE,
  });
}

function headerLines(o: DemoOptions, runId: string, total: number): string[] {
  const t = (ms: number): string => `${+(ms / o.speed).toFixed(2)} ms`;
  const { flaky, broken } = failingSplit(o.failing);
  const lines = [
    `steward demo: ${count(total)} jobs on ${o.store} (run ${runId}), concurrency ${o.concurrency}` +
      (o.speed === 1 ? '' : `, ${o.speed}× speed`),
    `  scenario: ${count(o.jobs)} jobs of random priority (1, 3, 5, 7, 9) and type` +
      ` (compute ${t(SEED_SLEEP_MS.compute)}, io ${t(SEED_SLEEP_MS.io)}, network ${t(SEED_SLEEP_MS.network)})`,
  ];
  if (o.failing > 0) {
    lines.push(
      `  failing: ${flaky} flaky (fail once or twice, then succeed) and ${broken} broken` +
        ` ("${BROKEN_MESSAGE}": dead letters after ${MAX_ATTEMPTS.broken} attempts)`,
    );
  }
  if (o.stress) {
    lines.push(
      `  stress: ${count(o.submitters)} concurrent submitters × ${count(o.perSubmitter)} compute jobs`,
    );
  }
  return lines;
}

/** A positive number (`--speed`). */
function parseSpeed(value: string): number {
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n) || n <= 0) {
    throw new InvalidArgumentError('Expected a positive number (100 runs a hundred times faster).');
  }
  return n;
}

/** A Writable over a CLI output function, so cli-progress can draw on it. */
function streamOf(write: (text: string) => void, isTTY: boolean): NodeJS.WritableStream {
  const stream = new Writable({
    write(chunk: Buffer | string, _encoding, callback) {
      write(String(chunk));
      callback();
    },
  });
  // cli-progress draws only on a TTY and sizes the bar to its columns.
  return Object.assign(stream, { isTTY, columns: process.stdout.columns ?? 100 });
}

/** The `demo` command (added to the program by main.ts). */
export function demoCommand(): Command {
  const d = DEMO_DEFAULTS;
  return new Command('demo')
    .description(
      "run the seed's capstone scenario on the store: 1,000 jobs of random priority and type, a few failing ones," +
        ' and the stress test of 10 submitters × 1,000, with live progress; a rerun resumes an unfinished run',
    )
    .option('--jobs <n>', 'scenario jobs of random priority and type', intAtLeast(0), d.jobs)
    .option(
      '--failing <n>',
      'jobs that fail: half flaky (retried), half broken (dead letters)',
      intAtLeast(0),
      d.failing,
    )
    .option('--submitters <n>', 'concurrent submitters in the stress test', intAtLeast(0), d.submitters)
    .option(
      '--per-submitter <n>',
      'compute jobs each stress submitter enqueues',
      intAtLeast(0),
      d.perSubmitter,
    )
    .option('--concurrency <n>', 'jobs running at once', intAtLeast(1), d.concurrency)
    .option(
      '--speed <factor>',
      'divide every sleep and backoff by this (100: a hundred times faster)',
      parseSpeed,
      d.speed,
    )
    .option('--no-stress', 'skip the stress test')
    .option('--json', 'print the final summary as JSON (live output goes to stderr)')
    .option('--quiet', 'no live output')
    .addHelpText(
      'after',
      `
The store is the global --store (env STEWARD_STORE; default sqlite:./steward.db). Jobs go to the
queue "${DEMO_QUEUE}", tagged demo and run:<start time>. Ctrl-C stops gracefully; run the same
command again to finish what was left. Exit code 0 when every job completed (the broken ones
discarded, as expected), 1 otherwise.

Examples:
  $ steward demo
  $ steward demo --speed 10 --jobs 200 --no-stress
  $ steward demo --store memory: --json --quiet`,
    )
    .action(async (opts: Omit<DemoOptions, 'store'>, cmd: Command) => {
      const cli = cliOf(cmd);
      const controller = new AbortController();
      const off = cli.io.onSignal(() => {
        // A second Ctrl-C while stopping gives up waiting (the jobs are rescued on the next run).
        if (controller.signal.aborted) process.exit(130);
        controller.abort();
      });
      try {
        const { exitCode } = await runDemo(
          {
            ...opts,
            json: opts.json === true,
            quiet: opts.quiet === true,
            store: storeUrlOf(cmd, cli.io).url,
          },
          {
            stdout: streamOf(cli.io.stdout, cli.io.isTTY),
            stderr: streamOf(cli.io.stderr, false),
            isTTY: cli.io.isTTY,
            signal: controller.signal,
            env: cli.io.env,
          },
        );
        cli.exitCode = exitCode;
      } finally {
        off();
      }
    });
}
