/**
 * Which store a command works on (`--store`, else `STEWARD_STORE`, else `sqlite:./steward.db`),
 * opened and always closed again, with every way it can go wrong turned into one line.
 */
import { existsSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';
import type { Command } from 'commander';
import { openStore } from '../index.js';
import type { Store } from '../index.js';
import type { CliIO } from './io.js';
import { failure, usageError } from './io.js';

/** The store when neither `--store` nor `STEWARD_STORE` names one. */
export const DEFAULT_STORE = 'sqlite:./steward.db';

/** A store URL as the user gave it and as the CLI uses it (relative SQLite paths made absolute). */
export interface StoreUrl {
  /** As given (flag, environment or default). */
  readonly given: string;
  /** With a relative `sqlite:` path resolved against the working directory. */
  readonly url: string;
  /** The SQLite file, for `sqlite:<file>` URLs; null for other stores and `sqlite::memory:`. */
  readonly sqliteFile: string | null;
}

/** The store URL a command should use: `--store`, else `STEWARD_STORE`, else the default. */
export function storeUrlOf(cmd: Command, io: CliIO): StoreUrl {
  const flag = (cmd.optsWithGlobals() as { store?: string }).store;
  const env = io.env.STEWARD_STORE;
  const given = flag ?? (env !== undefined && env.trim() !== '' ? env : DEFAULT_STORE);
  const m = /^\s*sqlite:(.*)$/i.exec(given);
  const path = m?.[1]?.trim();
  // `sqlite:` and `sqlite://…` are left as they are: openStore rejects them with the accepted forms.
  if (path === undefined || path === '' || path === ':memory:' || path.startsWith('//')) {
    return { given, url: given, sqliteFile: null };
  }
  const file = isAbsolute(path) ? path : resolve(io.cwd, path);
  return { given, url: `sqlite:${file}`, sqliteFile: file };
}

/** What to do about a bad store URL. */
const STORE_HINT = 'pass --store memory: or --store sqlite:<file> (or set STEWARD_STORE)';

/** Makes the (unopened) Store a URL names; a malformed or unsupported URL is a usage error. */
export function makeStore(where: StoreUrl): Store {
  try {
    return openStore(where.url);
  } catch (err) {
    throw usageError(`bad store URL ${JSON.stringify(where.given)}: ${messageOf(err)}`, STORE_HINT, err);
  }
}

/** Options of `withStore`. */
export interface WithStoreOptions {
  /**
   * Refuse a SQLite file that does not exist instead of creating it: commands that only read or
   * change existing jobs should not leave an empty database behind after a typo in the path.
   */
  readonly mustExist?: boolean;
}

/** Opens the command's store, runs `fn` on it and closes it, whatever happens. */
export async function withStore<T>(
  cmd: Command,
  io: CliIO,
  opts: WithStoreOptions,
  fn: (store: Store, where: StoreUrl) => Promise<T>,
): Promise<T> {
  const where = storeUrlOf(cmd, io);
  const store = makeStore(where);
  try {
    if (opts.mustExist && where.sqliteFile !== null && !existsSync(where.sqliteFile)) {
      throw failure(
        `no store at ${where.sqliteFile} (from ${JSON.stringify(where.given)})`,
        'check --store / STEWARD_STORE, or create it with "steward migrate"',
      );
    }
    await openOrExplain(store);
    return await fn(store, where);
  } finally {
    await store.close();
  }
}

/** Opens a store; a failure (unreadable file, newer schema, …) becomes a one-line failure. */
export async function openOrExplain(store: Store): Promise<void> {
  try {
    await store.open();
  } catch (err) {
    throw failure(messageOf(err), '', err);
  }
}

/** An error's message (anything thrown, as text). */
export function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
