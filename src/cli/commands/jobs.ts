/**
 * `steward jobs` (a filtered, paged listing) and `steward job <id>` (everything about one job).
 */
import { Command, Option } from 'commander';
import type { JobFilter, JobRecord, JobState } from '../../index.js';
import { excerpt, json, lastError, listedTime, table, when } from '../format.js';
import { notFound, usageError } from '../io.js';
import type { Cli } from '../io.js';
import { collectStates, intAtLeast, priorityName } from '../parse.js';
import { messageOf, withStore } from '../store.js';

interface JobsOptions {
  readonly state?: JobState[];
  readonly queue?: string;
  readonly kind?: string;
  readonly limit: number;
  readonly after?: string;
  readonly desc?: boolean;
  readonly json?: boolean;
}

/** `steward jobs`: lists jobs, filtered by state, queue and kind. */
export function jobsCommand(cli: Cli): Command {
  return new Command('jobs')
    .description('list jobs (oldest first), filtered by state, queue and kind')
    .addOption(
      new Option(
        '-s, --state <states>',
        'only jobs in these states (repeatable or comma-separated)',
      ).argParser(collectStates),
    )
    .option('-q, --queue <queue>', 'only jobs of this queue')
    .option('-k, --kind <kind>', 'only jobs of this kind')
    .option('-n, --limit <n>', 'at most this many jobs', intAtLeast(1), 50)
    .option('--after <id>', 'jobs after this id in the listing order (the next page)')
    .option('--desc', 'newest first')
    .option('--json', 'print the job records as a JSON array')
    .addHelpText(
      'after',
      `
States: scheduled, available, waiting, executing, retryable, completed, discarded (the dead-letter
queue), cancelled. WHEN is when a finished job finished, else when the job runs.

Examples:
  $ steward jobs --state discarded,cancelled --queue email
  $ steward jobs --kind resize --desc --limit 10
  $ steward jobs --after 150          # the next page after job 150`,
    )
    .action(async (opts: JobsOptions, cmd: Command) => {
      await withStore(cmd, cli.io, { mustExist: true }, async (store) => {
        const filter: JobFilter = {
          ...(opts.state === undefined ? {} : { state: opts.state }),
          ...(opts.queue === undefined ? {} : { queue: opts.queue }),
          ...(opts.kind === undefined ? {} : { kind: opts.kind }),
          ...(opts.after === undefined ? {} : { after: opts.after }),
          limit: opts.limit,
          order: opts.desc ? 'desc' : 'asc',
        };
        let jobs: JobRecord[];
        try {
          jobs = await store.listJobs(filter);
        } catch (err) {
          // The store checks the cursor: an id it could never have made is bad input.
          if (err instanceof TypeError)
            throw usageError(messageOf(err), 'pass --after an id that "steward jobs" printed', err);
          throw err;
        }
        if (opts.json) {
          cli.io.stdout(json(jobs));
          return;
        }
        cli.io.stdout(jobsTable(jobs, store.now()));
        const last = jobs[jobs.length - 1];
        if (last !== undefined && jobs.length === opts.limit) {
          cli.io.stdout(`(more may follow: add --after ${last.id})\n`);
        }
      });
    });
}

/** The listing's table: one line per job. */
export function jobsTable(jobs: readonly JobRecord[], now: number): string {
  if (jobs.length === 0) return 'no jobs\n';
  return table(
    ['ID', 'STATE', 'KIND', 'QUEUE', 'PRI', 'ATTEMPT', 'WHEN', 'LAST ERROR'],
    jobs.map((j) => [
      j.id,
      j.cancelRequested && j.state === 'executing' ? 'executing (cancelling)' : j.state,
      j.kind,
      j.queue,
      String(j.priority),
      `${j.attempt}/${j.maxAttempts}`,
      listedTime(j, now),
      excerpt(lastError(j), 50),
    ]),
  );
}

/** `steward job <id>`: one job in full. */
export function jobCommand(cli: Cli): Command {
  return new Command('job')
    .description('show everything about one job: state, payload, result, progress, errors')
    .argument('<id>', 'the job id')
    .option('--json', 'print the job record as JSON (errors with their stacks)')
    .option('--verbose', 'show the stack of every error')
    .addHelpText(
      'after',
      `
Exits 3 when there is no job with that id.

Examples:
  $ steward job 12
  $ steward job 12 --json | jq .result`,
    )
    .action(async (id: string, opts: { json?: boolean; verbose?: boolean }, cmd: Command) => {
      await withStore(cmd, cli.io, { mustExist: true }, async (store) => {
        const job = await store.getJob(id);
        if (job === null) throw notFound(`job ${id}`);
        cli.io.stdout(opts.json ? json(job) : describeJob(job, store.now(), opts.verbose === true));
      });
    });
}

/** A job in full, one field per line. */
export function describeJob(job: JobRecord, now: number, verbose: boolean): string {
  const state = job.cancelRequested && job.state === 'executing' ? 'executing, cancel requested' : job.state;
  const lines: [string, string][] = [
    ['queue', job.queue],
    ['priority', priorityName(job.priority)],
    ['attempt', `${job.attempt} of ${job.maxAttempts}`],
    ['payload', JSON.stringify(job.payload)],
    ['inserted', when(job.insertedAt, now)],
    ['run at', when(job.runAt, now)],
    ['attempted', when(job.attemptedAt, now)],
    ['finished', when(job.finishedAt, now)],
    ['timeout', job.timeoutMs === null ? 'none' : `${job.timeoutMs} ms`],
  ];
  if (job.dependsOn.length > 0) lines.push(['depends on', job.dependsOn.join(', ')]);
  if (job.uniqueKey !== null) lines.push(['unique key', job.uniqueKey]);
  if (job.tags.length > 0) lines.push(['tags', job.tags.join(', ')]);
  if (job.lease !== null) {
    lines.push([
      'lease',
      `held by ${job.lease.owner} (token ${job.lease.token}), expires ${when(job.lease.expiresAt, now)}`,
    ]);
  }
  if (job.progress !== null) lines.push(['progress', JSON.stringify(job.progress)]);
  if (job.result !== null) lines.push(['result', JSON.stringify(job.result)]);
  let out = `job ${job.id}: ${job.kind} (${state})\n`;
  for (const [label, value] of lines) out += `  ${label.padEnd(10)}  ${value}\n`;
  if (job.errors.length === 0) return out;
  out += `  errors\n`;
  for (const e of job.errors) {
    out += `    attempt ${e.attempt} at ${when(e.at, now)}: ${e.name}: ${e.message}\n`;
    if (verbose && e.stack !== undefined) {
      out += e.stack
        .split('\n')
        .slice(1)
        .map((l) => `      ${l.trim()}\n`)
        .join('');
    }
  }
  if (!verbose && job.errors.some((e) => e.stack !== undefined)) out += `  (stacks: --verbose or --json)\n`;
  return out;
}
