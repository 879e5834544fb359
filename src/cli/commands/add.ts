/**
 * `steward add <kind> [payload]`: enqueues one job. With `--jobs` it goes through the kind's own
 * definition (its defaults and payload schema, exactly as the application's code would enqueue);
 * without, through an enqueue-only Steward that knows the kind by name only.
 */
import { Command, Option } from 'commander';
import { PayloadValidationError, createSteward } from '../../index.js';
import type { EnqueueOptions, Steward, StewardOptions } from '../../index.js';
import { json } from '../format.js';
import { notFound, usageError } from '../io.js';
import type { Cli } from '../io.js';
import { loadJobsModule } from '../jobs-module.js';
import {
  collect,
  intAtLeast,
  parseMs,
  parsePayload,
  parsePositiveMs,
  parsePriority,
  parseTime,
} from '../parse.js';
import { makeStore, messageOf, openOrExplain, storeUrlOf } from '../store.js';

interface AddOptions {
  readonly jobs?: string;
  readonly queue?: string;
  readonly priority?: number;
  readonly delay?: number;
  readonly runAt?: number;
  readonly maxAttempts?: number;
  readonly timeout?: number;
  readonly unique?: boolean;
  readonly tag?: string[];
  readonly dependsOn?: string[];
  readonly json?: boolean;
}

/** `steward add`: enqueues a job and prints its id. */
export function addCommand(cli: Cli): Command {
  return new Command('add')
    .description('enqueue a job and print its id')
    .argument('<kind>', 'the job kind (which handler runs it)')
    .argument('[payload]', 'the payload, as JSON', parsePayload, {})
    .option('--jobs <module>', "enqueue through the module's definition of the kind (defaults, schema)")
    .option('-q, --queue <queue>', 'the queue (default: the kind\'s, else "default")')
    .option(
      '-p, --priority <p>',
      '0-9 (lower runs first) or critical|high|normal|low|background',
      parsePriority,
    )
    .addOption(new Option('--delay <ms>', 'run after this many ms').argParser(parseMs).conflicts('runAt'))
    .option('--run-at <time>', 'run at this ISO time (2030-01-01T09:00:00Z)', parseTime)
    .option('--max-attempts <n>', 'attempts before it is discarded (dead-lettered)', intAtLeast(1))
    .option('--timeout <ms>', 'time limit of each attempt', parsePositiveMs)
    .option('--unique', 'do not add it if an equal job (same kind and payload) is still queued or running')
    .option('--tag <tag>', 'a label (repeatable)', collect)
    .option('--depends-on <id>', 'run only after this job completes (repeatable)', collect)
    .option('--json', 'print the stored job record as JSON instead of its id')
    .addHelpText(
      'after',
      `
With --jobs, the job is enqueued exactly as your code would: the kind must be defined in the
module, its defaults apply (queue, priority, attempts, timeout) and its payload schema is checked.
Without --jobs, any kind name is accepted and the job gets queue "default", priority 5 (normal) and
20 attempts unless the flags say otherwise; your definition's defaults are not known to the CLI,
so give them, or pass --jobs. Either way nothing runs here: start workers with "steward start".
With --unique, an equal job returns the existing job's id.

Examples:
  $ steward add email '{"to":"ada@example.com"}' --priority high
  $ steward add report --jobs ./jobs.js --delay 60000
  $ steward add cleanup --run-at 2030-01-01T03:00:00Z --queue maintenance --max-attempts 3`,
    )
    .action(async (kind: string, payload: unknown, opts: AddOptions, cmd: Command) => {
      const where = storeUrlOf(cmd, cli.io);
      const store = makeStore(where);
      let steward: Steward | undefined;
      try {
        const module = opts.jobs === undefined ? null : await loadJobsModule(opts.jobs, cli.io.cwd);
        steward = makeSteward(store, kind, opts.queue, module);
        await openOrExplain(store);
        for (const parent of opts.dependsOn ?? []) {
          // The store would refuse it too, but as a failure; a missing id is "not found" (exit 3).
          if ((await store.getJob(parent)) === null) throw notFound(`job ${parent} (named by --depends-on)`);
        }
        const job = await enqueue(steward, kind, payload, enqueueOptions(opts), module?.path);
        cli.io.stdout(opts.json ? json(job) : `${job.id}\n`);
      } finally {
        await steward?.stop();
        await store.close();
      }
    });
}

/** The enqueue-only Steward: the module's kinds, or one kind known by name. */
function makeSteward(
  store: StewardOptions['store'],
  kind: string,
  queue: string | undefined,
  module: { path: string; jobs: StewardOptions['jobs']; queues: StewardOptions['queues'] } | null,
): Steward {
  if (module === null) {
    // Steward refuses kinds it has no definition of (a typo must not enqueue jobs nobody runs).
    // The user named this kind on purpose, so it gets a definition whose handler never runs here
    // (run: false): the workers that run it have the real one.
    const jobs: StewardOptions['jobs'] = {
      [kind]: { queue: queue ?? 'default', handler: notRunHere },
    };
    try {
      return createSteward({ store, jobs, run: false, logger: false, prune: false });
    } catch (err) {
      // Only the names given on the command line can be wrong here (an empty kind or queue).
      throw usageError(`the job was refused: ${messageOf(err)}`, 'check the kind and --queue', err);
    }
  }
  try {
    return createSteward({
      store,
      jobs: module.jobs,
      ...(module.queues === undefined ? {} : { queues: module.queues }),
      run: false,
      logger: false,
      prune: false,
    });
  } catch (err) {
    throw usageError(
      `the jobs module ${module.path} is not valid: ${messageOf(err)}`,
      'fix its `jobs` or `queues` export',
      err,
    );
  }
}

function notRunHere(): never {
  throw new Error('steward add enqueues only; this handler is never run');
}

function enqueueOptions(opts: AddOptions): EnqueueOptions {
  return {
    ...(opts.queue === undefined ? {} : { queue: opts.queue }),
    ...(opts.priority === undefined ? {} : { priority: opts.priority }),
    ...(opts.delay === undefined ? {} : { delayMs: opts.delay }),
    ...(opts.runAt === undefined ? {} : { runAt: opts.runAt }),
    ...(opts.maxAttempts === undefined ? {} : { maxAttempts: opts.maxAttempts }),
    ...(opts.timeout === undefined ? {} : { timeoutMs: opts.timeout }),
    ...(opts.unique ? { unique: {} } : {}),
    ...(opts.tag === undefined ? {} : { tags: opts.tag }),
    ...(opts.dependsOn === undefined ? {} : { dependsOn: opts.dependsOn }),
  };
}

/** Enqueues; input the system refuses (unknown kind or queue, schema, missing parent) is a usage error. */
async function enqueue(
  steward: Steward,
  kind: string,
  payload: unknown,
  opts: EnqueueOptions,
  modulePath: string | undefined,
): ReturnType<Steward['enqueue']> {
  try {
    return await steward.enqueue(kind, payload, opts);
  } catch (err) {
    if (err instanceof PayloadValidationError) {
      throw usageError(
        `the payload does not fit the schema of ${JSON.stringify(kind)}: ${messageOf(err)}`,
        'fix the payload',
        err,
      );
    }
    if (err instanceof TypeError) {
      const hint =
        modulePath === undefined ? 'check the flags' : `check the flags and the kinds ${modulePath} defines`;
      throw usageError(`the job was refused: ${messageOf(err)}`, hint, err);
    }
    throw err;
  }
}
