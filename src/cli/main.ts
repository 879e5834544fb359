/**
 * The `steward` command. Each sub-command lives in its own module under commands/ and is added
 * here; this module owns what they share: the global `--store` option, output through an
 * injectable IO (so tests run `main()` in-process), one-line errors and the exit codes.
 */
import { Command, CommanderError, Option } from 'commander';
import { VERSION } from '../version.js';
import { addCommand } from './commands/add.js';
import { cancelCommand, pauseCommand, resumeCommand, retryCommand } from './commands/admin.js';
import { jobCommand, jobsCommand } from './commands/jobs.js';
import { migrateCommand } from './commands/migrate.js';
import { startCommand } from './commands/start.js';
import { statsCommand } from './commands/stats.js';
import { topCommand } from './commands/top.js';
import { demoCommand } from './demo.js';
import { CliError, EXIT, attachCli, cliOf, commandPath, errorLine, processIO } from './io.js';
import type { Cli, CliIO } from './io.js';
import { DEFAULT_STORE, messageOf } from './store.js';

const TOP_HELP = `
Stores (--store, else the STEWARD_STORE environment variable, else ${DEFAULT_STORE}):
  sqlite:<file>   durable; shared by every process on this host (relative to the current directory)
  memory:         in this process only: gone when the command ends (useful with start and demo)
  postgres://…    not available yet

Exit codes:
  0  ok
  1  failure (the store could not be opened or refused the change; a jobs module threw)
  2  usage error (bad flag, argument, payload, store URL or jobs module)
  3  not found (a job id that does not exist; with several ids, after doing the others)

Examples:
  $ steward start --jobs ./jobs.js --queue email=2
  $ steward add email '{"to":"ada@example.com"}' --priority high
  $ steward jobs --state discarded
  $ steward retry 12 13`;

/** Builds the command-line program; every command writes through `io` (exported for tests). */
export function buildProgram(io: CliIO = processIO()): Command {
  const cli: Cli = { io, exitCode: EXIT.ok };
  const program = new Command()
    .name('steward')
    .description('Steward: durable background jobs for Node.js, built from OTP-style building blocks.')
    .version(VERSION, '-v, --version', 'print the version')
    .addOption(
      new Option(
        '--store <url>',
        `the job store: sqlite:<file>, memory: (env STEWARD_STORE; default ${DEFAULT_STORE})`,
      ),
    )
    .addHelpText('after', TOP_HELP);
  attachCli(program, cli);
  for (const make of [
    startCommand,
    addCommand,
    jobsCommand,
    jobCommand,
    statsCommand,
    topCommand,
    retryCommand,
    cancelCommand,
    pauseCommand,
    resumeCommand,
    migrateCommand,
  ]) {
    program.addCommand(make(cli));
  }
  program.addCommand(demoCommand());
  configure(program, io);
  return program;
}

/**
 * Output, errors and exits of a command and all its sub-commands: through `io`, commander's
 * usage errors in the CLI's one-line form, and no `process.exit` (main turns errors into codes).
 * Applied after the tree is built: commands added with `addCommand` inherit no settings.
 */
function configure(cmd: Command, io: CliIO): void {
  cmd
    .exitOverride()
    // Each command's help lists --store too, since it may be given after the command's name.
    .configureHelp({ ...cmd.configureHelp(), showGlobalOptions: true })
    .configureOutput({
      writeOut: (text) => io.stdout(text),
      writeErr: (text) => io.stderr(text),
      outputError: (text, write) =>
        write(errorLine(text.replace(/^error: /, ''), `run "${commandPath(cmd)} --help" for usage`)),
    });
  for (const sub of cmd.commands) configure(sub, io);
}

/**
 * Runs the program on `argv` and returns the exit code: 0 ok, 1 failure, 2 usage error,
 * 3 not found. `io` replaces parts of the process (tests pass their own stdout, env, cwd).
 * @example
 * process.exitCode = await main(process.argv.slice(2));
 */
export async function main(argv: readonly string[], io: Partial<CliIO> = {}): Promise<number> {
  const full: CliIO = { ...processIO(), ...io };
  const program = buildProgram(full);
  try {
    await program.parseAsync([...argv], { from: 'user' });
    // Commands that did part of their work after a failure (`retry 1 999`) set the code.
    return cliOf(program).exitCode;
  } catch (err) {
    if (err instanceof CommanderError) {
      // --help and --version end through exitOverride with code 0; commander printed the rest.
      return err.exitCode === 0 ? EXIT.ok : EXIT.usage;
    }
    if (err instanceof CliError) {
      full.stderr(errorLine(err.message, err.hint));
      return err.exitCode;
    }
    full.stderr(errorLine(messageOf(err), ''));
    return EXIT.failure;
  }
}
