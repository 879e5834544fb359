/**
 * Opening a store from a URL (`memory:`, `sqlite:./file.db`, later `postgres://…`) or taking a
 * Store object as it is, so callers configure the backend with one string.
 */
import { invalidArgument } from '../runtime/validate.js';
import { createMemoryStore } from './memory.js';
import { createSqliteStore } from './sqlite.js';
import type { Store } from './types.js';

/** Options of `openStore`. */
export interface OpenStoreOptions {
  /** The store's clock, ms since the epoch (for URL stores; a Store object keeps its own). @default Date.now */
  readonly clock?: () => number;
}

const ACCEPTED = '`memory:`, `sqlite:<path>` or `postgres://<connection>`';

/**
 * Returns the Store a URL names, or `url` itself when it is already a Store. Accepts `memory:`,
 * `sqlite:<path>` (relative to the working directory, e.g. `sqlite:./steward.db`, or absolute) and
 * `sqlite::memory:` (a private in-memory SQLite database); `postgres:` (or `postgresql:`) URLs are
 * recognised but not available yet and throw saying so; anything else throws naming the value and
 * the accepted forms. The store is returned unopened: call `open()` before use.
 * @example
 * const store = openStore('sqlite:./steward.db');
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
    case 'sqlite': {
      const path = url.trim().slice('sqlite:'.length);
      if (path.length === 0 || path.startsWith('//')) {
        throw invalidArgument('store', '`sqlite:<path>` with a file path (e.g. `sqlite:./steward.db`)', url);
      }
      return createSqliteStore(opts.clock === undefined ? { path } : { path, clock: opts.clock });
    }
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
