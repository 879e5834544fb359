#!/usr/bin/env node
// The executable behind `steward`; all logic lives in main.ts so tests can import it.
import { main } from './main.js';

process.exitCode = await main(process.argv.slice(2));
