/**
 * How a Supervisor tells a child process that it watches it: a process that implements
 * `[SUPERVISED]()` learns that its crashes and abandonment will be reported by the supervisor
 * (`child.crashed`, `child.abandoned`), so it does not report them itself as well. A Task does
 * (its unobserved-failure report would otherwise repeat the supervisor's). Internal: a symbol,
 * so it stays out of the public Process contract.
 */
export const SUPERVISED: unique symbol = Symbol('steward.supervised');

/** A process that can be told it is supervised. */
export interface Watchable {
  [SUPERVISED](): void;
}

/** Tells `proc` it is supervised, if it cares. */
export function markSupervised(proc: object): void {
  const hook = (proc as Partial<Watchable>)[SUPERVISED];
  if (typeof hook === 'function') hook.call(proc);
}
