/** Errors raised by the runtime's building blocks. Each carries the facts a caller needs. */

/** Raised when a task did not finish within its time limit; the task has been aborted. */
export class TaskTimeoutError extends Error {
  override readonly name = 'TaskTimeoutError';
  /** The limit that was exceeded, in milliseconds. */
  readonly timeoutMs: number;
  constructor(timeoutMs: number, what = 'task') {
    super(`${what} did not finish within ${timeoutMs} ms`);
    this.timeoutMs = timeoutMs;
  }
}

/** The reason given to an AbortSignal when a process is shut down on purpose. */
export class ShutdownError extends Error {
  override readonly name = 'ShutdownError';
  constructor(message = 'shut down') {
    super(message);
  }
}

/** Raised by calls on something that has already stopped (an Agent, a pool, a supervisor). */
export class StoppedError extends Error {
  override readonly name = 'StoppedError';
  constructor(what: string) {
    super(`${what} has stopped`);
  }
}

/**
 * Wraps anything thrown into an Error, because JavaScript lets code throw strings,
 * numbers or undefined; the original value stays reachable as `cause`.
 */
export function coerceError(thrown: unknown): Error {
  if (thrown instanceof Error) return thrown;
  let text: string;
  try {
    text = typeof thrown === 'string' ? thrown : (JSON.stringify(thrown) ?? String(thrown));
  } catch {
    text = String(thrown);
  }
  return new Error(`non-Error thrown: ${text}`, { cause: thrown });
}
