/**
 * Where the runtime reports what it cannot throw at anybody: a task that failed
 * while nobody awaited it, a supervised child that crashed, a child abandoned at
 * shutdown. OTP sends these to its logger; we send them to listeners, and to
 * stderr when nobody listens, so a crash is never silently lost.
 */
import { coerceError } from './errors.js';

/** One report: who (`source`, `name`), what happened (`event`) and why (`reason`). */
export interface RuntimeReport {
  /** The kind of part that reports: `task`, `task_supervisor`, `supervisor`, `agent`, `thread_pool`. */
  readonly source: string;
  /** The name of the reporting part. */
  readonly name: string;
  /** What happened, dotted: `task.unobserved_error`, `child.crashed`, `child.restarted`, `child.abandoned`, `supervisor.shutdown`. */
  readonly event: string;
  /** The error behind it, when there is one. */
  readonly reason?: Error;
  /** Extra facts (child id, restart count, ...). */
  readonly meta?: Readonly<Record<string, unknown>>;
}

/** A function that receives reports. */
export type ReportListener = (report: RuntimeReport) => void;

const listeners = new Set<ReportListener>();

/** Subscribes to runtime reports; returns the function that unsubscribes. */
export function onReport(listener: ReportListener): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

/** Publishes a report; a listener that throws never breaks the reporter. */
export function report(r: RuntimeReport): void {
  if (listeners.size === 0) {
    const why = r.reason ? `: ${r.reason.stack ?? r.reason.message}` : '';
    process.stderr.write(`[steward] ${r.source} ${r.name} ${r.event}${why}\n`);
    return;
  }
  for (const listener of [...listeners]) {
    try {
      listener(r);
    } catch (err) {
      process.stderr.write(`[steward] report listener threw: ${coerceError(err).message}\n`);
    }
  }
}
