/**
 * The `steward` command. Sub-commands are added as the job system grows; each one
 * lives in its own module and registers itself on the program built here.
 */
import { Command, CommanderError } from 'commander';
import { VERSION } from '../version.js';

/** Builds the command-line program (exported so tests can run it without a child process). */
export function buildProgram(): Command {
  const program = new Command();
  program
    .name('steward')
    .description('Steward: durable background jobs for Node.js, built from OTP-style building blocks.')
    .version(VERSION, '-v, --version', 'print the version')
    .showHelpAfterError('(run "steward --help" for usage)');
  return program;
}

/** Runs the program on `argv` and returns the exit code (0 ok, 1 failure, 2 usage error). */
export async function main(argv: readonly string[]): Promise<number> {
  const program = buildProgram().exitOverride();
  try {
    await program.parseAsync([...argv], { from: 'user' });
    return 0;
  } catch (err) {
    if (err instanceof CommanderError) {
      // --help and --version end through exitOverride with code 0.
      return err.exitCode === 0 ? 0 : 2;
    }
    process.stderr.write(`steward: ${err instanceof Error ? err.message : String(err)}\n`);
    return 1;
  }
}
