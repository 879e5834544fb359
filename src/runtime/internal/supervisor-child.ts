/**
 * A Supervisor's bookkeeping for its children: the public shapes it reports them in,
 * the mutable record it keeps per child, and the pure rule of which siblings a
 * restart involves.
 */
import { coerceError } from '../errors.js';
import { crashed } from '../process.js';
import type { ExitReason, Process } from '../process.js';
import { settleWithin } from './supervisor-timers.js';
import type { Settled } from './supervisor-timers.js';
import type { ChildType, NormalizedChildSpec, RestartType, Strategy } from './supervisor-spec.js';

/** Where a child is: running, waiting (backoff) to be restarted, or stopped (spec kept). */
export type ChildStatus = 'running' | 'restarting' | 'stopped';

/** One row of `whichChildren()`. */
export interface ChildInfo {
  readonly id: string;
  readonly status: ChildStatus;
  readonly restart: RestartType;
  readonly type: ChildType;
  /** Automatic restarts so far (manual `restartChild` calls are not counted). */
  readonly restarts: number;
  /** The running process, when status is `running`. */
  readonly process?: Process;
}

/** The figures of `countChildren()`, after OTP's `count_children`. */
export interface ChildCounts {
  /** Child specs, running or not. */
  readonly specs: number;
  /** Children running now. */
  readonly active: number;
  /** Specs of type `supervisor`. */
  readonly supervisors: number;
  /** Specs of type `worker`. */
  readonly workers: number;
}

/** The events a Supervisor emits, with their payloads. */
export type SupervisorEvents = {
  /** A child process was started (first start, restart, `startChild`, `restartChild`). */
  'child.started': { readonly id: string; readonly process: Process };
  /** A child process ended, by itself or because the supervisor stopped it (abandoned ones never do). */
  'child.exited': { readonly id: string; readonly reason: ExitReason };
  /** A child ended with an error, or its start failed during a restart. */
  'child.crashed': { readonly id: string; readonly error: Error; readonly restarts: number };
  /** A child was started again automatically; `restarts` counts them. */
  'child.restarted': { readonly id: string; readonly process: Process; readonly restarts: number };
  /** The supervisor itself ended (`shutdown` when stopped, `error` when it gave up). */
  'supervisor.exited': { readonly reason: ExitReason };
};

/** What a supervisor keeps per child. */
export interface Child {
  readonly spec: NormalizedChildSpec;
  status: ChildStatus;
  /** The running instance; cleared as soon as the supervisor stops it, so its exit is recognised as stale. */
  process: Process | undefined;
  restarts: number;
  /** Times of recent automatic restarts, for the backoff. */
  recent: number[];
  pending: PendingRestart | undefined;
}

/** A group of children waiting out one backoff delay, restarted together in start order. */
export interface PendingRestart {
  readonly members: Set<Child>;
  cancel: () => void;
}

/** A fresh, not yet started child record. */
export function newChild(spec: NormalizedChildSpec): Child {
  return { spec, status: 'stopped', process: undefined, restarts: 0, recent: [], pending: undefined };
}

/** Takes a child out of its pending restart group, cancelling the group's timer if it empties. */
export function leavePending(child: Child): void {
  const pending = child.pending;
  if (!pending) return;
  child.pending = undefined;
  if (child.status === 'restarting') child.status = 'stopped';
  pending.members.delete(child);
  if (pending.members.size === 0) pending.cancel();
}

/**
 * The children a restart of `child` involves under `strategy`, in start order: itself
 * plus, for one_for_all every other and for rest_for_one every later sibling that is
 * not stopped (a terminated child stays stopped).
 */
export function restartGroup(children: readonly Child[], child: Child, strategy: Strategy): Child[] {
  const involved = (c: Child): boolean => c === child || c.status !== 'stopped';
  switch (strategy) {
    case 'one_for_one':
      return [child];
    case 'one_for_all':
      return children.filter(involved);
    case 'rest_for_one':
      return children.slice(children.indexOf(child)).filter(involved);
  }
}

/** A process's exit, trusting no one: `exited` must never reject, and if it does that is a crash. */
export function exitOf(proc: Process): Promise<ExitReason> {
  return proc.exited.catch((err: unknown) => crashed(coerceError(err)));
}

/** Asks `proc` to stop and waits at most `budgetMs` for it to end; a failing `stop` goes to `onStopError`. */
export function stopWithin(
  proc: Process,
  budgetMs: number,
  onStopError: (error: Error) => void,
): Promise<Settled<ExitReason>> {
  try {
    proc.stop(budgetMs).catch((err: unknown) => onStopError(coerceError(err)));
  } catch (err) {
    onStopError(coerceError(err));
  }
  return settleWithin(exitOf(proc), budgetMs);
}
