/**
 * `steward start`: runs workers for the job kinds of a module until SIGINT or SIGTERM, then stops
 * gracefully (running jobs get `--grace` ms to finish; the rest are handed back to the store).
 */
import { Command, Option } from 'commander';
import pino from 'pino';
import { DEFAULT_GRACE_MS, createSteward, onReport } from '../../index.js';
import type { QueueOptions, Steward, StewardOptions } from '../../index.js';
import { failure, usageError } from '../io.js';
import type { Cli } from '../io.js';
import { loadJobsModule, queuesOfJobs } from '../jobs-module.js';
import type { JobsModule } from '../jobs-module.js';
import { collectQueues, intAtLeast, parseMs, parsePositiveMs } from '../parse.js';
import { makeStore, messageOf, openOrExplain, storeUrlOf } from '../store.js';

interface StartOptions {
  readonly jobs: string;
  readonly queue?: Record<string, number>;
  readonly concurrency?: number;
  readonly grace: number;
  readonly monitor?: number;
  readonly logLevel?: string;
}

const LOG_LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'];

/** The queue default when neither the module nor a flag sets one (StewardOptions' default). */
const DEFAULT_CONCURRENCY = 10;

/** `steward start`: runs workers. */
export function startCommand(cli: Cli): Command {
  return new Command('start')
    .description('run workers for the job kinds of a module until SIGINT or SIGTERM')
    .requiredOption('--jobs <module>', 'the module exporting `jobs` (and optionally `queues`)')
    .option('--queue <name=concurrency>', 'serve a queue with this concurrency (repeatable)', collectQueues)
    .option('-c, --concurrency <n>', 'the concurrency of every queue not given with --queue', intAtLeast(1))
    .option('--grace <ms>', 'on stop, how long running jobs get to finish', parseMs, DEFAULT_GRACE_MS)
    .option('--monitor <ms>', 'print a line of queue sizes and counters every <ms>', parsePositiveMs)
    .addOption(
      new Option(
        '--log-level <level>',
        'structured logs (JSON lines on stderr) from this level up; default warn',
      ).choices(LOG_LEVELS),
    )
    .addHelpText(
      'after',
      `
The module (a path relative to the current directory; a .ts file when run under tsx) exports
  export const jobs = { email: async (payload, ctx) => { ... }, report: defineJob({ ... }) };
  export const queues = { email: { concurrency: 2 } };          // optional
or a default export { jobs, queues }. Workers serve every queue the kinds or queues name, plus the
ones given with --queue. Several workers may share a sqlite: store on one host.

Logs: handler ctx.log lines, discarded jobs and lost leases go to stderr as JSON lines (pino), at
warn and above unless --log-level says otherwise.

Stopping: SIGINT (Ctrl-C) or SIGTERM stops fetching, gives running jobs --grace ms to finish,
hands the rest back to the store (another worker runs them) and exits 0.

Examples:
  $ steward start --jobs ./jobs.js
  $ steward start --jobs ./jobs.js --queue email=2 --concurrency 20 --grace 30000 --monitor 5000`,
    )
    .action(async (opts: StartOptions, cmd: Command) => {
      const { io } = cli;
      const where = storeUrlOf(cmd, io);
      const store = makeStore(where);
      try {
        const module = await loadJobsModule(opts.jobs, io.cwd);
        const queues = queuesFor(module, opts);
        const steward = build(module, {
          store,
          jobs: module.jobs,
          queues,
          ...(opts.logLevel === undefined
            ? {}
            : {
                logger: pino(
                  { name: 'steward', level: opts.logLevel },
                  pino.destination({ fd: 2, sync: true }),
                ),
              }),
          ...(opts.monitor === undefined
            ? {}
            : { monitor: { intervalMs: opts.monitor, log: (line: string) => io.stdout(`${line}\n`) } }),
        });
        await openOrExplain(store);
        const crashed = await runUntilSignal(
          cli,
          steward,
          () => {
            const list = Object.entries(queues)
              .map(([name, q]) => `${name}(${q.concurrency ?? DEFAULT_CONCURRENCY})`)
              .join(' ');
            io.stdout(`steward started: store ${where.url}, queues ${list}, pid ${process.pid}\n`);
          },
          opts.grace,
        );
        if (crashed !== null)
          throw failure(`the workers stopped after a crash: ${crashed}`, 'see the report above');
      } finally {
        await store.close();
      }
    });
}

function build(module: JobsModule, options: StewardOptions): Steward {
  try {
    return createSteward(options);
  } catch (err) {
    throw usageError(
      `the jobs module ${module.path} is not valid: ${messageOf(err)}`,
      'fix its `jobs` or `queues` export',
      err,
    );
  }
}

/**
 * The queues to serve: the module's, every queue its kinds name, and --queue ones; --concurrency
 * sets every queue that --queue does not.
 */
function queuesFor(module: JobsModule, opts: StartOptions): Record<string, QueueOptions> {
  const queues: Record<string, QueueOptions> = { ...module.queues };
  for (const name of [...queuesOfJobs(module.jobs), ...Object.keys(opts.queue ?? {})]) queues[name] ??= {};
  for (const [name, q] of Object.entries(queues)) {
    const concurrency = opts.queue?.[name] ?? opts.concurrency;
    if (concurrency !== undefined) queues[name] = { ...q, concurrency };
  }
  return queues;
}

/**
 * Starts the workers and waits for SIGINT/SIGTERM or a crash of the supervision tree, then stops
 * them. Resolves with the crash's message, or null after a signal.
 */
async function runUntilSignal(
  cli: Cli,
  steward: Steward,
  started: () => void,
  graceMs: number,
): Promise<string | null> {
  const { io } = cli;
  let wake: (crash: string | null) => void = () => {};
  const ended = new Promise<string | null>((resolve) => (wake = resolve));
  let stopping = false;
  const offSignal = io.onSignal((signal) => {
    if (stopping) {
      io.stderr(`steward: already stopping (${signal}); running jobs have up to ${graceMs} ms\n`);
      return;
    }
    stopping = true;
    io.stdout(`steward: ${signal}: stopping, running jobs have up to ${graceMs} ms to finish\n`);
    wake(null);
  });
  // Listening for reports takes them off stderr's default path, so print them here (one line each);
  // the tree's own crash also ends the command.
  const offReport = onReport((r) => {
    io.stderr(`steward: ${r.source} ${r.name} ${r.event}${r.reason ? `: ${r.reason.message}` : ''}\n`);
    if (r.source === 'steward' && r.event === 'steward.crashed') wake(r.reason?.message ?? 'unknown reason');
  });
  try {
    await steward.start();
    // The HTTP API and dashboard (not built yet) will start here, served beside the workers.
    started();
    const crash = await ended;
    await steward.stop({ graceMs });
    io.stdout('steward stopped\n');
    return crash;
  } finally {
    offSignal();
    offReport();
  }
}
