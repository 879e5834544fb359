#!/usr/bin/env node
// The executable behind `steward`; all logic lives in main.ts so tests can import it.
import { main } from './main.js';

// `steward jobs | head` closes the pipe early: the reader's choice, not a crash to print.
process.stdout.on('error', (err: NodeJS.ErrnoException) => {
  if (err.code !== 'EPIPE') throw err;
  process.exit(typeof process.exitCode === 'number' ? process.exitCode : 0);
});

process.exitCode = await main(process.argv.slice(2));
