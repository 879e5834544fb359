/**
 * What the CLI touches of the outside world — output streams, environment, working directory,
 * signals — gathered in one injectable object, so tests run `main()` in-process and read what it
 * wrote; plus the error type that carries an exit code.
 */
import type { Command } from 'commander';

/** The CLI's view of its process: where output goes and what it reads. */
export interface CliIO {
  /** Writes to standard output (text includes its own newlines). */
  readonly stdout: (text: string) => void;
  /** Writes to standard error. */
  readonly stderr: (text: string) => void;
  /** Environment variables (`STEWARD_STORE`). */
  readonly env: Readonly<Record<string, string | undefined>>;
  /** The directory relative paths (`--jobs ./jobs.js`, `sqlite:./steward.db`) are resolved against. */
  readonly cwd: string;
  /** Whether stdout is a terminal (`top` clears the screen only then). */
  readonly isTTY: boolean;
  /** Calls `handler` on SIGINT or SIGTERM until the returned function is called. */
  readonly onSignal: (handler: (signal: 'SIGINT' | 'SIGTERM') => void) => () => void;
}

/** Exit codes scripts can rely on. */
export const EXIT = Object.freeze({ ok: 0, failure: 1, usage: 2, notFound: 3 } as const);

/** An error the CLI reports in one line and ends with `exitCode`. */
export class CliError extends Error {
  override readonly name = 'CliError';
  constructor(
    /** What went wrong. */
    message: string,
    /** What to do about it (printed after a dash), or '' when the message says it already. */
    readonly hint: string,
    readonly exitCode: number,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

/** A usage error (exit 2): a bad flag, argument, URL or module. */
export function usageError(message: string, hint: string, cause?: unknown): CliError {
  return new CliError(message, hint, EXIT.usage, cause === undefined ? undefined : { cause });
}

/** A failure (exit 1): the store or the system could not do it. */
export function failure(message: string, hint: string, cause?: unknown): CliError {
  return new CliError(message, hint, EXIT.failure, cause === undefined ? undefined : { cause });
}

/** Not found (exit 3): a job id that does not exist. */
export function notFound(what: string): CliError {
  return new CliError(`${what} not found`, 'list the jobs with "steward jobs"', EXIT.notFound);
}

/** The one-line form of an error: `steward: <what went wrong> — <what to do>`. */
export function errorLine(message: string, hint: string): string {
  const what = message.replace(/\s*\n\s*/g, ' ').trim();
  return hint === '' ? `steward: ${what}\n` : `steward: ${what} — ${hint}\n`;
}

/** The real process's streams, environment, directory and signals. */
export function processIO(): CliIO {
  return {
    stdout: (text) => void process.stdout.write(text),
    stderr: (text) => void process.stderr.write(text),
    env: process.env,
    cwd: process.cwd(),
    isTTY: process.stdout.isTTY === true,
    onSignal(handler) {
      const onInt = (): void => handler('SIGINT');
      const onTerm = (): void => handler('SIGTERM');
      process.on('SIGINT', onInt);
      process.on('SIGTERM', onTerm);
      return () => {
        process.off('SIGINT', onInt);
        process.off('SIGTERM', onTerm);
      };
    },
  };
}

/** What every command shares: the IO, and the exit code a command sets when it partly fails. */
export interface Cli {
  readonly io: CliIO;
  /** Set by commands that do the rest of their work after a failure (e.g. `retry 1 999` → 3). */
  exitCode: number;
}

const contexts = new WeakMap<Command, Cli>();

/** Attaches the CLI context to the program, so commands built elsewhere (`demo`) can find it. */
export function attachCli(program: Command, cli: Cli): void {
  contexts.set(program, cli);
}

/**
 * The CLI context of the program `cmd` belongs to: its IO (tests inject one) and exit code. A
 * command made without access to it (such as `demoCommand()`) calls this from its action.
 * @example
 * .action((opts, cmd: Command) => cliOf(cmd).io.stdout('hello\n'))
 */
export function cliOf(cmd: Command): Cli {
  let root: Command = cmd;
  while (root.parent) root = root.parent;
  return contexts.get(root) ?? { io: processIO(), exitCode: EXIT.ok };
}

/** `steward jobs`, `steward`: the command's path, for hints. */
export function commandPath(cmd: Command): string {
  const names: string[] = [];
  for (let c: Command | null = cmd; c; c = c.parent) names.unshift(c.name());
  return names.join(' ');
}
