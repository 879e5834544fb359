/**
 * Human output: aligned tables, times (absolute and relative to the store's clock) and
 * one-line excerpts. Machine output is `--json`, never parsed from these.
 */
import type { JobRecord } from '../index.js';

/** Rows under a header, each column padded to its widest cell (the last one is not padded). */
export function table(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const all = [header, ...rows];
  const widths = header.map((_, i) => Math.max(...all.map((r) => (r[i] ?? '').length)));
  return all
    .map((r) =>
      r
        .map((cell, i) => (i === r.length - 1 ? cell : cell.padEnd(widths[i] ?? 0)))
        .join('  ')
        .trimEnd(),
    )
    .join('\n')
    .concat('\n');
}

/** A right-aligned numbers table: the first column is a label, the rest are numbers. */
export function numberTable(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const all = [header, ...rows];
  const widths = header.map((_, i) => Math.max(...all.map((r) => (r[i] ?? '').length)));
  return all
    .map((r) =>
      r.map((cell, i) => (i === 0 ? cell.padEnd(widths[0] ?? 0) : cell.padStart(widths[i] ?? 0))).join('  '),
    )
    .join('\n')
    .concat('\n');
}

/** `in 5s`, `3m ago`, `now`: how far `at` is from `now`. */
export function relative(at: number, now: number): string {
  const delta = at - now;
  const abs = Math.abs(delta);
  if (abs < 1000) return 'now';
  const span =
    abs < 60_000
      ? `${Math.floor(abs / 1000)}s`
      : abs < 3_600_000
        ? `${Math.floor(abs / 60_000)}m`
        : abs < 86_400_000
          ? `${Math.floor(abs / 3_600_000)}h`
          : `${Math.floor(abs / 86_400_000)}d`;
  return delta > 0 ? `in ${span}` : `${span} ago`;
}

/** An ISO time and how far it is from now: `2030-01-01T09:00:00.000Z (in 3d)`. */
export function when(at: number | null, now: number): string {
  return at === null ? '-' : `${new Date(at).toISOString()} (${relative(at, now)})`;
}

/** Text on one line, cut to `max` characters with an ellipsis. */
export function excerpt(text: string, max: number): string {
  const line = text.replace(/\s+/g, ' ').trim();
  return line.length <= max ? line : `${line.slice(0, max - 1)}…`;
}

/** The time a listing shows for a job: when it finished, else when it runs. */
export function listedTime(job: JobRecord, now: number): string {
  return job.finishedAt !== null ? relative(job.finishedAt, now) : relative(job.runAt, now);
}

/** The last error's message of a job, or ''. */
export function lastError(job: JobRecord): string {
  const error = job.errors[job.errors.length - 1];
  return error === undefined ? '' : error.message;
}

/** Serialises for `--json`: two-space indented, one trailing newline. */
export function json(value: unknown): string {
  return `${JSON.stringify(value, null, 2)}\n`;
}
