/** The errors a Supervisor raises; each carries the facts needed to act on it. */

/**
 * The exit error of a supervisor that gave up: more than `maxRestarts` restarts
 * happened within `maxSeconds`. Its own supervisor sees it as a crash, so a tree
 * escalates failures upward the way OTP's does.
 */
export class SupervisorIntensityError extends Error {
  override readonly name = 'SupervisorIntensityError';
  /** The supervisor that gave up. */
  readonly supervisor: string;
  /** The child whose restart went over the limit. */
  readonly childId: string;
  /** The limit: restarts allowed ... */
  readonly maxRestarts: number;
  /** ... within this many seconds. */
  readonly maxSeconds: number;
  constructor(supervisor: string, childId: string, maxRestarts: number, maxSeconds: number, cause?: Error) {
    super(
      `supervisor "${supervisor}" gave up: child "${childId}" needed more than ${maxRestarts} ` +
        `restart${maxRestarts === 1 ? '' : 's'} within ${maxSeconds} s`,
      cause === undefined ? undefined : { cause },
    );
    this.supervisor = supervisor;
    this.childId = childId;
    this.maxRestarts = maxRestarts;
    this.maxSeconds = maxSeconds;
  }
}

/** A child's `start` threw (or returned something that is not a Process); the original is `cause`. */
export class ChildStartError extends Error {
  override readonly name = 'ChildStartError';
  /** The supervisor that tried to start the child. */
  readonly supervisor: string;
  /** The child that failed to start. */
  readonly childId: string;
  constructor(supervisor: string, childId: string, cause: Error) {
    super(`supervisor "${supervisor}" could not start child "${childId}": ${cause.message}`, { cause });
    this.supervisor = supervisor;
    this.childId = childId;
  }
}
