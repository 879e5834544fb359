/**
 * Opening a store from a URL (`memory:`, `sqlite:./file.db`, later `postgres://…`) or taking a
 * Store object as it is, so callers configure the backend with one string.
 */
import { invalidArgument } from '../runtime/validate.js';
import { createMemoryStore } from './memory.js';
import { createSqliteStore } from './sqlite.js';
import type { SqliteStoreOptions, SynchronousMode } from './sqlite.js';
import type { Store } from './types.js';

/** Options of `openStore`. */
export interface OpenStoreOptions {
  /** The store's clock, ms since the epoch (for URL stores; a Store object keeps its own). @default Date.now */
  readonly clock?: () => number;
}

const ACCEPTED = '`memory:`, `sqlite:<path>` or `postgres://<connection>`';

/**
 * Returns the Store a URL names, or `url` itself when it is already a Store. Accepts `memory:`,
 * `sqlite:<path>` (relative to the working directory, e.g. `sqlite:./steward.db`, or absolute;
 * settings may follow a `?`: `sqlite:./steward.db?synchronous=normal&busyTimeoutMs=10000`) and
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
      const { path, params } = splitQuery(url.trim().slice('sqlite:'.length));
      if (path.length === 0 || path.startsWith('//')) {
        throw invalidArgument(
          'store',
          '`sqlite:<path>` with a file path (e.g. `sqlite:./steward.db`, or `sqlite:/abs/path.db`)',
          url,
        );
      }
      return createSqliteStore({
        path,
        ...sqliteParams(url, params),
        ...(opts.clock === undefined ? {} : { clock: opts.clock }),
      });
    }
    case 'postgres':
    case 'postgresql':
      throw new Error(
        `The PostgreSQL store is not available yet (store URL ${JSON.stringify(url)}); use \`sqlite:./steward.db\` (durable) or \`memory:\``,
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

/** Splits `path?key=value&...` (a `?` starts the settings, as in a database URL). */
function splitQuery(rest: string): { path: string; params: URLSearchParams } {
  const at = rest.indexOf('?');
  if (at < 0) return { path: rest, params: new URLSearchParams() };
  return { path: rest.slice(0, at), params: new URLSearchParams(rest.slice(at + 1)) };
}

/** The SQLite settings a URL may carry: `synchronous` and `busyTimeoutMs`; anything else is refused. */
function sqliteParams(
  url: string,
  params: URLSearchParams,
): Pick<SqliteStoreOptions, 'synchronous' | 'busyTimeoutMs'> {
  const out: { synchronous?: SynchronousMode; busyTimeoutMs?: number } = {};
  for (const [key, value] of params) {
    if (key === 'synchronous') {
      const mode = value.toLowerCase();
      if (mode !== 'full' && mode !== 'normal' && mode !== 'extra') {
        throw invalidArgument('store', '`?synchronous=` to be full, normal or extra', url);
      }
      out.synchronous = mode;
    } else if (key === 'busyTimeoutMs') {
      const ms = Number(value);
      if (!/^\d+$/.test(value) || !Number.isSafeInteger(ms)) {
        throw invalidArgument('store', '`?busyTimeoutMs=` to be a whole number of milliseconds', url);
      }
      out.busyTimeoutMs = ms;
    } else {
      throw invalidArgument('store', 'only the settings `synchronous` and `busyTimeoutMs` after `?`', url);
    }
  }
  return out;
}
