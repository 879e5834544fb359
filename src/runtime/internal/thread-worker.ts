/**
 * The entry module piscina loads on each ThreadPool thread: it loads the user's module
 * once per thread and calls the export a `run` names. Kept free of runtime imports so a
 * thread boots fast. Going through here, rather than letting piscina pick the export,
 * gives a clear error for a missing export and surfaces a module's own load error,
 * which piscina's require-then-import fallback would hide behind a second one.
 */
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';

/** What the pool sends for one call. */
export interface ThreadCall {
  readonly filename: string;
  readonly fnName: string;
  readonly arg: unknown;
}

const TYPESCRIPT = /\.[cm]?tsx?$/;
const requireHere = createRequire(import.meta.url);
const modules = new Map<string, Promise<Record<string, unknown>>>();

/**
 * Loads a module. Node 20 does not apply tsx's ESM hooks inside worker threads (they
 * work from Node 22), but its require hook does work, so TypeScript goes through
 * require (tsx compiles it to CommonJS; top-level await is therefore unavailable).
 * JavaScript goes through import(), which takes ESM and CommonJS alike.
 */
function load(filename: string): Promise<Record<string, unknown>> {
  let loaded = modules.get(filename);
  if (!loaded) {
    loaded = TYPESCRIPT.test(filename)
      ? Promise.resolve().then(() => requireHere(filename) as Record<string, unknown>)
      : (import(pathToFileURL(filename).href) as Promise<Record<string, unknown>>);
    // A failed load is not cached: a fixed file loads on the next call.
    loaded.catch(() => modules.delete(filename));
    modules.set(filename, loaded);
  }
  return loaded;
}

/** Calls `fnName` exported by `filename` with `arg`; piscina sends back the result or the error. */
export default async function dispatch({ filename, fnName, arg }: ThreadCall): Promise<unknown> {
  const exports = await load(filename);
  const fn = exports[fnName];
  if (typeof fn !== 'function') {
    const names = Object.keys(exports).filter((k) => typeof exports[k] === 'function');
    throw new TypeError(
      `Expected \`fnName\` to name a function exported by ${filename}, got ${JSON.stringify(fnName)}` +
        ` (exported functions: ${names.length > 0 ? names.join(', ') : 'none'})`,
    );
  }
  return (fn as (arg: unknown) => unknown)(arg);
}
