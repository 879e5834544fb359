import { createRequire } from 'node:module';

// Read from package.json at run time so the CLI and the library never disagree on the version.
const pkg = createRequire(import.meta.url)('../package.json') as { version: string };

/** Steward's version, from package.json. */
export const VERSION: string = pkg.version;
