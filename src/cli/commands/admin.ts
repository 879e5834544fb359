/**
 * The commands that change jobs and queues by hand: `retry`, `cancel`, `pause`, `resume`. Each
 * prints one line per thing it was asked about, saying what changed; ids that do not exist are
 * reported on stderr after the others are done, and make the exit code 3.
 */
import { Command } from 'commander';
import type { JobRecord, JobState, Store } from '../../index.js';
import { EXIT, errorLine, usageError } from '../io.js';
import type { Cli } from '../io.js';
import { collectStates } from '../parse.js';
import { withStore } from '../store.js';

/** States a job can be retried from (the store leaves others unchanged). */
const RETRYABLE_FROM: readonly JobState[] = ['completed', 'discarded', 'cancelled'];
const PAGE = 500;

/** Reports the ids that do not exist, and sets exit code 3 when there are any. */
function reportMissing(cli: Cli, missing: readonly string[]): void {
  for (const id of missing)
    cli.io.stderr(errorLine(`job ${id} not found`, 'list the jobs with "steward jobs"'));
  if (missing.length > 0) cli.exitCode = EXIT.notFound;
}

interface RetryOptions {
  readonly state?: JobState[];
  readonly queue?: string;
  readonly kind?: string;
}

/** `steward retry`: runs finished jobs again. */
export function retryCommand(cli: Cli): Command {
  return new Command('retry')
    .description('run jobs again: completed, discarded (dead-lettered) or cancelled ones become available')
    .argument('[ids...]', 'the job ids')
    .option(
      '-s, --state <states>',
      'instead of ids: every job in these states (e.g. discarded)',
      collectStates,
    )
    .option('-q, --queue <queue>', 'with --state: only jobs of this queue')
    .option('-k, --kind <kind>', 'with --state: only jobs of this kind')
    .addHelpText(
      'after',
      `
A retried job gets a fresh attempt budget if it had used it up; its errors are kept. Jobs in other
states are left unchanged (the line says so). Dependants cancelled with a job stay cancelled: retry
them too. Exits 3 if any id does not exist, after retrying the others.

Examples:
  $ steward retry 12 13
  $ steward retry --state discarded --queue email    # the whole dead-letter queue of email`,
    )
    .action(async (ids: string[], opts: RetryOptions, cmd: Command) => {
      if ((ids.length === 0) === (opts.state === undefined)) {
        throw usageError(
          'give job ids or --state, not both nor neither',
          'run "steward retry --help" for usage',
        );
      }
      await withStore(cmd, cli.io, { mustExist: true }, async (store) => {
        if (opts.state !== undefined) {
          const bad = opts.state.filter((s) => !RETRYABLE_FROM.includes(s));
          if (bad.length > 0) {
            throw usageError(
              `jobs that are ${bad.join(', ')} cannot be retried`,
              `use --state ${RETRYABLE_FROM.join(',')}`,
            );
          }
          const n = await retryByState(store, opts);
          cli.io.stdout(`retried ${n} job${n === 1 ? '' : 's'} (${opts.state.join(', ')})\n`);
          return;
        }
        const before = await Promise.all(ids.map((id) => store.getJob(id)));
        const existing = ids.filter((_, i) => before[i] !== null);
        const changed = new Set((await store.retryJobs(existing)).map((j) => j.id));
        ids.forEach((id, i) => {
          const job = before[i];
          if (!job) return;
          cli.io.stdout(
            changed.has(id)
              ? `job ${id}: retried (was ${job.state}; now available)\n`
              : `job ${id}: unchanged (${job.state}; only completed, discarded or cancelled jobs are retried)\n`,
          );
        });
        reportMissing(
          cli,
          ids.filter((_, i) => before[i] === null),
        );
      });
    });
}

/** Retries every job in the given states, a page at a time; returns how many changed. */
async function retryByState(store: Store, opts: RetryOptions): Promise<number> {
  let retried = 0;
  let after: string | undefined;
  for (;;) {
    const page: JobRecord[] = await store.listJobs({
      state: opts.state,
      ...(opts.queue === undefined ? {} : { queue: opts.queue }),
      ...(opts.kind === undefined ? {} : { kind: opts.kind }),
      ...(after === undefined ? {} : { after }),
      limit: PAGE,
    });
    if (page.length === 0) return retried;
    retried += (await store.retryJobs(page.map((j) => j.id))).length;
    // Retried jobs leave the filter; the cursor keeps the walk going forward either way.
    after = page[page.length - 1]!.id;
  }
}

/** `steward cancel`: cancels jobs. */
export function cancelCommand(cli: Cli): Command {
  return new Command('cancel')
    .description('cancel jobs: queued ones at once, running ones by telling their worker')
    .argument('<ids...>', 'the job ids')
    .addHelpText(
      'after',
      `
A queued job ends cancelled at once; a running one ends cancelled when its worker sees the request
(its handler's signal aborts). Jobs waiting on a cancelled job are cancelled too. Finished jobs are
left unchanged. Exits 3 if any id does not exist, after cancelling the others.

Example:
  $ steward cancel 12 13`,
    )
    .action(async (ids: string[], _opts: unknown, cmd: Command) => {
      await withStore(cmd, cli.io, { mustExist: true }, async (store) => {
        const outcomes = await store.cancelJobs(ids);
        const missing: string[] = [];
        for (const [i, id] of ids.entries()) {
          switch (outcomes[i]) {
            case 'cancelled':
              cli.io.stdout(`job ${id}: cancelled\n`);
              break;
            case 'cancelling':
              cli.io.stdout(`job ${id}: cancelling (running; its worker is told)\n`);
              break;
            case 'unchanged': {
              const job = await store.getJob(id);
              cli.io.stdout(`job ${id}: unchanged (already ${job?.state ?? 'finished'})\n`);
              break;
            }
            default:
              missing.push(id);
          }
        }
        reportMissing(cli, missing);
      });
    });
}

/** `steward pause <queue>`: stops every worker fetching from a queue. */
export function pauseCommand(cli: Cli): Command {
  return queueCommand(cli, 'pause');
}

/** `steward resume <queue>`: lets workers fetch from a paused queue again. */
export function resumeCommand(cli: Cli): Command {
  return queueCommand(cli, 'resume');
}

function queueCommand(cli: Cli, verb: 'pause' | 'resume'): Command {
  const pause = verb === 'pause';
  return new Command(verb)
    .description(
      pause
        ? 'pause a queue: no worker sharing the store starts its jobs (running ones finish)'
        : 'resume a paused queue',
    )
    .argument('<queue>', 'the queue name')
    .addHelpText(
      'after',
      `
The pause is kept in the store, so it holds for every worker and survives restarts; a queue with no
jobs yet can be paused too.

Example:
  $ steward ${verb} email`,
    )
    .action(async (queue: string, _opts: unknown, cmd: Command) => {
      if (queue.trim() === '')
        throw usageError('the queue name is empty', `name a queue: steward ${verb} email`);
      await withStore(cmd, cli.io, {}, async (store) => {
        const paused = (await store.listQueues()).find((q) => q.name === queue)?.paused ?? false;
        if (paused === pause) {
          cli.io.stdout(`queue ${queue}: already ${pause ? 'paused' : 'running'}\n`);
          return;
        }
        if (pause) await store.pauseQueue(queue);
        else await store.resumeQueue(queue);
        cli.io.stdout(`queue ${queue}: ${pause ? 'paused' : 'resumed'}\n`);
      });
    });
}
