/**
 * The demo's live output while it runs: a cli-progress bar with the live stats in its payload on
 * a terminal; a plain status line every ~2 s otherwise (a log file or CI gets a readable record,
 * not a stream of cursor codes); nothing with --quiet.
 */
import { Presets, SingleBar } from 'cli-progress';

/** What the live output shows, taken every tick. */
export interface LiveSnapshot {
  /** Since the run began, ms. */
  readonly elapsedMs: number;
  /** Jobs of this run (the bar's total). */
  readonly total: number;
  /** Jobs of this run that reached a final state (the bar's value). */
  readonly finished: number;
  readonly completed: number;
  /** Failed attempts that will be retried. */
  readonly retried: number;
  /** Jobs discarded into the dead-letter queue. */
  readonly dead: number;
  /** Jobs running now. */
  readonly running: number;
  /** Jobs finished per second over the last couple of seconds. */
  readonly perSecond: number;
}

/** The live output: fed a snapshot every tick, stopped with the last one. */
export interface LiveView {
  update(snapshot: LiveSnapshot): void;
  stop(snapshot: LiveSnapshot): void;
}

/** How the live output looks: a bar (a terminal), status lines (anything else), or none. */
export type LiveMode = 'bar' | 'lines' | 'none';

/** Status lines come this often when the output is not a terminal, ms. */
export const STATUS_INTERVAL_MS = 2000;

/** Formats a count the way the summary does: 11,020. */
export function count(n: number): string {
  return Math.round(n).toLocaleString('en-US');
}

/** One plain status line (no newline). */
export function statusLine(s: LiveSnapshot): string {
  const pct = s.total === 0 ? 100 : Math.floor((100 * s.finished) / s.total);
  return (
    `${(s.elapsedMs / 1000).toFixed(1).padStart(5)}s  ${count(s.finished)}/${count(s.total)} finished (${pct}%)` +
    `  completed ${count(s.completed)}  retried ${count(s.retried)}  dead ${count(s.dead)}` +
    `  running ${count(s.running)}  ${count(s.perSecond)} jobs/s`
  );
}

/** Creates the live output for `mode`, writing to `stream`. */
export function createLiveView(mode: LiveMode, stream: NodeJS.WritableStream): LiveView {
  switch (mode) {
    case 'bar':
      return barView(stream);
    case 'lines':
      return linesView(stream);
    case 'none':
      return { update: () => {}, stop: () => {} };
  }
}

function linesView(stream: NodeJS.WritableStream): LiveView {
  let lastAt = -Infinity;
  return {
    update(s) {
      if (s.elapsedMs - lastAt < STATUS_INTERVAL_MS) return;
      lastAt = s.elapsedMs;
      stream.write(`${statusLine(s)}\n`);
    },
    stop(s) {
      stream.write(`${statusLine(s)}\n`);
    },
  };
}

function barView(stream: NodeJS.WritableStream): LiveView {
  const bar = new SingleBar(
    {
      stream,
      format:
        'demo {bar} {percentage}% | {value}/{total} | completed {completed} · retried {retried} · dead {dead}' +
        ' · running {running} · {rate} jobs/s | {elapsed}s',
      barsize: 24,
      hideCursor: true,
      fps: 10,
      // The bar's own value formatting would print 11020; the payload carries formatted counts.
      formatValue: (v, _options, type) => (type === 'value' || type === 'total' ? count(v) : String(v)),
    },
    Presets.shades_classic,
  );
  let started = false;
  const payload = (s: LiveSnapshot) => ({
    completed: count(s.completed),
    retried: count(s.retried),
    dead: count(s.dead),
    running: count(s.running),
    rate: count(s.perSecond),
    elapsed: (s.elapsedMs / 1000).toFixed(1),
  });
  return {
    update(s) {
      if (!started) {
        started = true;
        bar.start(s.total, s.finished, payload(s));
        return;
      }
      if (bar.getTotal() !== s.total) bar.setTotal(s.total);
      bar.update(s.finished, payload(s));
    },
    stop(s) {
      if (!started) bar.start(s.total, s.finished, payload(s));
      else bar.update(s.finished, payload(s));
      bar.stop();
    },
  };
}
