/**
 * Errors a job handler throws to steer its job, and the errors Steward gives a job's
 * signal when it ends an attempt early. Each carries the facts a caller needs.
 */

/**
 * Thrown by a handler to fail its job for good: no retry, straight to `discarded` (the
 * dead-letter queue), whatever attempts are left.
 * @example if (!user) throw new UnrecoverableError(`user ${id} does not exist`);
 */
export class UnrecoverableError extends Error {
  override readonly name: string = 'UnrecoverableError';
  /** `options.cause` keeps the underlying error. */
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
  }
}

/**
 * Thrown by a handler to run its job again later without counting the attempt (Oban's
 * `{:snooze, seconds}`): the job goes back to `scheduled` at now + `delayMs`.
 * Snoozing is the one way to ask for it; a returned value is always the job's result.
 * @example if (await apiIsBusy()) throw new SnoozeError(30_000);
 */
export class SnoozeError extends Error {
  override readonly name: string = 'SnoozeError';
  /** How long to wait before the next attempt, ms. */
  readonly delayMs: number;
  /** Throws a TypeError for a negative or non-finite `delayMs`. */
  constructor(delayMs: number) {
    if (typeof delayMs !== 'number' || !Number.isFinite(delayMs) || delayMs < 0) {
      throw new TypeError(
        `Expected \`delayMs\` to be a non-negative finite number of milliseconds, got \`${String(delayMs)}\` (${typeof delayMs})`,
      );
    }
    super(`snoozed for ${delayMs} ms`);
    this.delayMs = delayMs;
  }
}

/** The reason a job's signal aborts when its attempt ran past its `timeoutMs`; the attempt fails with it. */
export class JobTimeoutError extends Error {
  override readonly name: string = 'JobTimeoutError';
  /** The limit that was exceeded, ms. */
  readonly timeoutMs: number;
  /** Names the limit, and the job when known. */
  constructor(timeoutMs: number, jobId?: string) {
    super(`${jobId === undefined ? 'job' : `job ${jobId}`} did not finish within ${timeoutMs} ms`);
    this.timeoutMs = timeoutMs;
  }
}

/** The reason a job's signal aborts when the job is cancelled while running; it ends `cancelled`. */
export class JobCancelledError extends Error {
  override readonly name: string = 'JobCancelledError';
  /** The cancelled job's id. */
  readonly jobId: string;
  /** Names the cancelled job. */
  constructor(jobId: string) {
    super(`job ${jobId} was cancelled`);
    this.jobId = jobId;
  }
}

/**
 * The reason a job's signal aborts when this worker lost the job's lease (it expired and
 * was rescued, or taken elsewhere): whatever the handler does next is dropped.
 */
export class LeaseLostError extends Error {
  override readonly name: string = 'LeaseLostError';
  /** The job whose lease was lost. */
  readonly jobId: string;
  /** Names the job whose lease was lost. */
  constructor(jobId: string) {
    super(`job ${jobId}: this worker no longer holds its lease`);
    this.jobId = jobId;
  }
}

/** Raised at enqueue (and before a run) when a payload fails its kind's schema. */
export class PayloadValidationError extends TypeError {
  override readonly name: string = 'PayloadValidationError';
  /** The job kind whose schema rejected the payload. */
  readonly kind: string;
  /** The schema's issues, as it reported them. */
  readonly issues: readonly { readonly message: string; readonly path?: readonly unknown[] }[];
  /** Lists up to five issues in the message; all are kept on `issues`. */
  constructor(
    kind: string,
    issues: readonly { readonly message: string; readonly path?: readonly unknown[] }[],
  ) {
    const text = issues
      .slice(0, 5)
      .map((i) =>
        i.path && i.path.length > 0 ? `${i.path.map(pathKey).join('.')}: ${i.message}` : i.message,
      )
      .join('; ');
    super(`payload of job kind "${kind}" failed its schema: ${text}`);
    this.kind = kind;
    this.issues = issues;
  }
}

function pathKey(segment: unknown): string {
  if (typeof segment === 'object' && segment !== null && 'key' in segment) {
    return String((segment as { key: unknown }).key);
  }
  return String(segment);
}
