/**
 * Opening a store from a URL (`memory:`, later `sqlite:./file.db` and `postgres://…`) or taking a
 * Store object as it is, so callers configure the backend with one string.
 */
import { invalidArgument } from '../runtime/validate.js';
import { createMemoryStore } from './memory.js';
import type { Store } from './types.js';

/** Options of `openStore`. */
export interface OpenStoreOptions {
  /** The store's clock, ms since the epoch (for URL stores; a Store object keeps its own). @default Date.now */
  readonly clock?: () => number;
}

const ACCEPTED = '`memory:`, `sqlite:<path>` or `postgres://<connection>`';

/**
 * Returns the Store a URL names, or `url` itself when it is already a Store. Accepts `memory:`
 * now; `sqlite:` and `postgres:` (or `postgresql:`) URLs are recognised but not available yet and
 * throw saying so; anything else throws naming the value and the accepted forms. The store is
 * returned unopened: call `open()` before use.
 * @example
 * const store = openStore('memory:');
 */
export function openStore(url: string | Store, opts: OpenStoreOptions = {}): Store {
  if (isStore(url)) return url;
  if (typeof url !== 'string') throw invalidArgument('store', `a Store or a store URL (${ACCEPTED})`, url);
  const scheme = /^([a-z][a-z0-9+.-]*):/i.exec(url.trim())?.[1]?.toLowerCase();
  switch (scheme) {
    case 'memory':
      if (url.trim().toLowerCase() !== 'memory:') {
        throw invalidArgument('store', 'exactly `memory:` (the memory store takes no path or options)', url);
      }
      return opts.clock === undefined ? createMemoryStore() : createMemoryStore({ clock: opts.clock });
    case 'sqlite':
      throw new Error(
        `The SQLite store is not available yet (store URL ${JSON.stringify(url)}); use \`memory:\``,
      );
    case 'postgres':
    case 'postgresql':
      throw new Error(
        `The PostgreSQL store is not available yet (store URL ${JSON.stringify(url)}); use \`memory:\``,
      );
    default:
      throw invalidArgument('store', `a Store or a store URL (${ACCEPTED})`, url);
  }
}

function isStore(value: unknown): value is Store {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as Store).fetchJobs === 'function' &&
    typeof (value as Store).insertJobs === 'function'
  );
}
