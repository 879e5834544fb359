/**
 * `steward top`: a live view of the store — jobs per queue and state, redrawn every interval, with
 * throughput derived from the change in counts between frames (completed/s).
 */
import { Command } from 'commander';
import type { JobState, Store } from '../../index.js';
import type { Cli } from '../io.js';
import { intAtLeast, parsePositiveMs } from '../parse.js';
import { withStore } from '../store.js';
import { countsTable, fullCounts, queuedOf } from './stats.js';

/** Moves the cursor home and clears the screen (only on a terminal). */
const CLEAR = '\x1b[H\x1b[2J';

interface TopOptions {
  readonly interval: number;
  readonly iterations?: number;
}

/** One frame's counts and when they were read (the store's clock). */
interface Sample {
  readonly at: number;
  readonly queues: Record<string, Record<JobState, number>>;
  readonly all: Record<JobState, number>;
  readonly paused: ReadonlySet<string>;
}

/** `steward top`: a live view. */
export function topCommand(cli: Cli): Command {
  return new Command('top')
    .description('a live view: jobs per queue and state, and completed jobs per second')
    .option('-i, --interval <ms>', 'redraw every <ms>', parsePositiveMs, 1000)
    .option('-n, --iterations <n>', 'stop after <n> frames (default: until Ctrl-C)', intAtLeast(1))
    .addHelpText(
      'after',
      `
DONE/S is the change in completed jobs between two frames, per second (so it covers every worker
sharing the store). The screen is cleared between frames only when the output is a terminal.

Examples:
  $ steward top
  $ steward top --interval 5000 --iterations 3 > snapshot.txt`,
    )
    .action(async (opts: TopOptions, cmd: Command) => {
      const { io } = cli;
      await withStore(cmd, io, { mustExist: true }, async (store, where) => {
        let stop: () => void = () => {};
        let stopped = false;
        const off = io.onSignal(() => {
          stopped = true;
          stop();
        });
        try {
          let previous: Sample | null = null;
          for (
            let frame = 0;
            !stopped && (opts.iterations === undefined || frame < opts.iterations);
            frame++
          ) {
            if (frame > 0) {
              await new Promise<void>((resolve) => {
                const timer = setTimeout(resolve, opts.interval);
                stop = () => {
                  clearTimeout(timer);
                  resolve();
                };
              });
              if (stopped) break;
            }
            const sample = await read(store);
            const text = render(where.url, opts.interval, sample, previous);
            io.stdout(io.isTTY ? `${CLEAR}${text}` : frame === 0 ? text : `\n${text}`);
            previous = sample;
          }
        } finally {
          off();
        }
      });
    });
}

async function read(store: Store): Promise<Sample> {
  const [raw, queues] = await Promise.all([store.countJobs(), store.listQueues()]);
  const { queues: byQueue, all } = fullCounts(raw);
  return {
    at: store.now(),
    queues: byQueue,
    all,
    paused: new Set(queues.filter((q) => q.paused).map((q) => q.name)),
  };
}

/** Completed jobs per second between two samples ('-' on the first frame; never negative, as pruning lowers counts). */
function rate(now: number, before: number | undefined, seconds: number): string {
  if (before === undefined || seconds <= 0) return '-';
  return (Math.max(0, now - before) / seconds).toFixed(1);
}

function render(url: string, interval: number, s: Sample, previous: Sample | null): string {
  const seconds = previous === null ? 0 : (s.at - previous.at) / 1000;
  const queues: Record<string, { paused: boolean; counts: Record<JobState, number>; total: number }> = {};
  for (const [name, counts] of Object.entries(s.queues)) {
    queues[name] = {
      paused: s.paused.has(name),
      counts,
      total: Object.values(counts).reduce((a, b) => a + b, 0),
    };
  }
  const table = countsTable(queues, s.all, {
    header: 'DONE/S',
    cell: (queue) =>
      queue === null
        ? rate(s.all.completed, previous?.all.completed, seconds)
        : rate(
            s.queues[queue]?.completed ?? 0,
            previous === null ? undefined : (previous.queues[queue]?.completed ?? 0),
            seconds,
          ),
  });
  const head = `steward top: ${url} at ${new Date(s.at).toISOString()}, every ${interval} ms (Ctrl-C quits)`;
  const summary =
    `queued ${queuedOf(s.all)}, executing ${s.all.executing}, ` +
    `completed/s ${rate(s.all.completed, previous?.all.completed, seconds)}`;
  return `${head}\n\n${table}\n${summary}\n`;
}
