/**
 * The one shape every long-lived runtime part shares, so that a Supervisor can
 * supervise it and a Table can die with it: something that ends, says how, and can
 * be asked to stop. Agent, TaskSupervisor, Supervisor and supervised tasks all are.
 */

/** Why a process ended: normally, because it was asked to stop, or by crashing. */
export type ExitReason =
  | { readonly kind: 'normal' }
  | { readonly kind: 'shutdown' }
  | { readonly kind: 'error'; readonly error: Error };

/** A running thing that ends exactly once. */
export interface Process {
  /** A name for reports and inspection. */
  readonly name: string;
  /** Resolves (never rejects) with the exit reason once the process has ended. */
  readonly exited: Promise<ExitReason>;
  /** Asks the process to stop, waiting at most `graceMs` before abandoning it; resolves once it has ended. */
  stop(graceMs?: number): Promise<void>;
}

/** The exit reason of a clean end. */
export const NORMAL: ExitReason = Object.freeze({ kind: 'normal' });
/** The exit reason of a requested stop. */
export const SHUTDOWN: ExitReason = Object.freeze({ kind: 'shutdown' });
/** Builds the exit reason of a crash. */
export function crashed(error: Error): ExitReason {
  return { kind: 'error', error };
}
