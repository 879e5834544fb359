/**
 * Registry: names to handles, after Elixir's `Registry`. Keys map to values (processes, agents,
 * tables, anything); in a `unique` registry a key holds one entry, in a `duplicate` one any number
 * (pub/sub topics, worker pools). An entry may name an `owner` Process and is removed when that
 * process ends, so a crashed worker never lingers under its name.
 *
 * Built on `Table` (the dogfood): a `set` (unique) or `duplicate_bag` (duplicate) of
 * `[key, value, ownerId]` rows, plus a `duplicate_bag` owner index of `[ownerId, key]` rows that
 * makes `keys(owner)` and an owner's exit cost O(that owner's entries), not a scan. Both tables are
 * private and owned by the registry itself, so they go when it stops. Every method is synchronous,
 * hence atomic for any number of async callers.
 */
import { StoppedError } from './errors.js';
import { deferred } from './internal/deferred.js';
import { Emitter } from './internal/emitter.js';
import { SHUTDOWN } from './process.js';
import type { ExitReason, Process } from './process.js';
import { Table, _ } from './table/index.js';
import type { Bindings, Key, LooseClause, PatternFor } from './table/index.js';
import { assertKey } from './table/keys.js';
import { assertProcess } from './internal/table-core.js';
import { assertFunction, assertOneOf, assertTimeout, invalidArgument } from './validate.js';

/** How many entries a key may hold: one (`unique`) or any number (`duplicate`). */
export type RegistryKeys = 'unique' | 'duplicate';

/** Options of `Registry.start`. */
export interface RegistryOptions {
  /** One entry per key, or any number. */
  readonly keys: RegistryKeys;
  /** A name for reports and errors. @default `"registry-<n>"` */
  readonly name?: string;
}

/** Options of `register`. */
export interface RegisterOptions {
  /** The entry is removed when this process ends. @default undefined (lives until unregistered or the registry stops) */
  readonly owner?: Process;
}

/** One registered entry: its value and, if it has one, the process whose end removes it. */
export interface RegistryEntry<V> {
  readonly value: V;
  readonly owner?: Process;
}

/** What `register` answers: done, or (unique registry) the key is taken by `existing`. */
export type RegisterResult<V> =
  { readonly ok: true } | { readonly ok: false; readonly existing: V; readonly owner?: Process };

/** Why an entry went: `unregister` was called, or its owner ended. */
export type UnregisterReason = 'unregister' | 'exit';

/** The events a Registry emits. None are emitted for the entries dropped by `stop()`. */
export interface RegistryEvents<V> {
  [event: string]: unknown;
  /** An entry was added. */
  registered: { readonly key: Key; readonly value: V; readonly owner: Process | undefined };
  /** An entry was removed. */
  unregistered: {
    readonly key: Key;
    readonly value: V;
    readonly owner: Process | undefined;
    readonly reason: UnregisterReason;
  };
}

type EntryRow<V> = [key: Key, value: V, owner: number];
type OwnerRow = [owner: number, key: Key];

/** The owner id of an entry without an owner. */
const NO_OWNER = 0;
const KEY_MODES: readonly RegistryKeys[] = ['unique', 'duplicate'];
let counter = 0;

/**
 * A registry of keys to values, unique or duplicate, whose entries die with their owners.
 *
 * Keys follow Table's key rules (strings, numbers, bigints, booleans, null, arrays of keys;
 * compared by `compareKeys`, so `1` and `1n` are one key); an array key is frozen, as in Table.
 * An owner that has already ended when it registers is removed on the next microtask turn. The
 * registry remembers each owner (one `exited` watch) until it ends, even with no entries left.
 * `match` compares values as Table patterns do (`deepEqual` for literals).
 *
 * @example
 * const workers = Registry.start<Agent<number>>({ keys: 'unique', name: 'workers' });
 * workers.registerProcess(['worker', 1], agent); // removed when the agent stops
 * workers.whereis(['worker', 1]); // → agent
 */
export class Registry<V = unknown> implements Process {
  /** The registry's name, for reports and errors. */
  readonly name: string;
  /** Resolves with `{kind: 'shutdown'}` once the registry has stopped; never rejects. */
  readonly exited: Promise<ExitReason>;
  /** Whether a key holds one entry or many. */
  readonly keyMode: RegistryKeys;

  readonly #exit = deferred<ExitReason>();
  readonly #entries: Table<EntryRow<V>>;
  readonly #byOwner: Table<OwnerRow>;
  readonly #events = new Emitter<RegistryEvents<V>>();
  /** Owner ids, so rows hold a number rather than the Process; one `exited` watch per owner. */
  readonly #ownerIds = new Map<Process, number>();
  readonly #owners = new Map<number, Process>();
  #nextOwnerId = NO_OWNER + 1;
  #stopped = false;

  private constructor(keys: RegistryKeys, name: string) {
    this.name = name;
    this.keyMode = keys;
    this.exited = this.#exit.promise;
    const owned = { access: 'private', owner: this } as const;
    this.#entries = Table.new<EntryRow<V>>({ ...owned, type: keys === 'unique' ? 'set' : 'duplicate_bag' });
    this.#byOwner = Table.new<OwnerRow>({ ...owned, type: 'duplicate_bag' });
  }

  /** Starts a registry; throws a TypeError naming a bad option. */
  static start<V = unknown>(opts: RegistryOptions): Registry<V> {
    if (typeof opts !== 'object' || opts === null) throw invalidArgument('opts', 'an options object', opts);
    const { keys, name } = opts;
    assertOneOf('keys', keys, KEY_MODES);
    if (name !== undefined && (typeof name !== 'string' || name === '')) {
      throw invalidArgument('name', 'a non-empty string', name);
    }
    return new Registry<V>(keys, name ?? `registry-${++counter}`);
  }

  /**
   * Registers `value` under `key`. Unique registry: never overwrites; a taken key answers
   * `{ ok: false, existing }` (and the existing entry's owner). Duplicate registry: entries
   * accumulate, the same value twice included. With `owner`, the entry goes when it ends.
   */
  register(key: Key, value: V, opts: RegisterOptions = {}): RegisterResult<V> {
    this.#live();
    assertKey(key);
    if (typeof opts !== 'object' || opts === null) throw invalidArgument('opts', 'an options object', opts);
    const { owner } = opts;
    if (owner !== undefined) assertProcess('owner', owner);
    if (this.keyMode === 'unique') {
      const [taken] = this.#entries.lookup(key);
      if (taken !== undefined) return conflict(taken[1], this.#owners.get(taken[2]));
    }
    const id = owner === undefined ? NO_OWNER : this.#watch(owner);
    this.#entries.insert([key, value, id]);
    if (id !== NO_OWNER) this.#byOwner.insert([id, key]);
    this.#events.emit('registered', { key, value, owner });
    return { ok: true };
  }

  /** Registers `process` as the value under `key`, owned by itself: the entry goes when it ends. */
  registerProcess(key: Key, process: V & Process): RegisterResult<V> {
    this.#live();
    assertProcess('process', process);
    return this.register(key, process, { owner: process });
  }

  /** The entries under `key` (at most one in a unique registry), in registration order. */
  lookup(key: Key): RegistryEntry<V>[] {
    this.#live();
    assertKey(key);
    return this.#entries.lookup(key).map((row) => this.#entry(row));
  }

  /** The value under `key`, or undefined (unique registries only: a duplicate one throws; use lookup). */
  whereis(key: Key): V | undefined {
    this.#live();
    if (this.keyMode !== 'unique') {
      throw new TypeError(
        `Registry ${JSON.stringify(this.name)}: \`whereis\` needs a unique registry; use \`lookup\` on a duplicate one`,
      );
    }
    assertKey(key);
    return this.#entries.lookup(key)[0]?.[1];
  }

  /**
   * Removes the entries under `key` — only those `owner` registered, when given (an entry without
   * an owner is removed only without one) — and returns how many went.
   */
  unregister(key: Key, owner?: Process): number {
    this.#live();
    assertKey(key);
    if (owner !== undefined) assertProcess('owner', owner);
    let removed: EntryRow<V>[];
    if (owner === undefined) {
      removed = this.#entries.take(key);
    } else {
      const id = this.#ownerIds.get(owner);
      if (id === undefined) return 0;
      removed = this.#entries.matchObject([key, _, id]);
      if (removed.length > 0) this.#entries.matchDelete([key, _, id]);
    }
    for (const row of removed) {
      if (row[2] !== NO_OWNER) this.#byOwner.deleteObject([row[2], row[0]]);
      this.#emitRemoved(row, this.#owners.get(row[2]), 'unregister');
    }
    return removed.length;
  }

  /** The keys `owner` has entries under (a key twice if it registered it twice in a duplicate registry). */
  keys(owner: Process): Key[] {
    this.#live();
    assertProcess('owner', owner);
    const id = this.#ownerIds.get(owner);
    return id === undefined ? [] : this.#byOwner.lookup(id).map((row) => row[1]);
  }

  /** How many entries the registry holds (O(1)). */
  count(): number {
    this.#live();
    return this.#entries.info('size');
  }

  /** How many entries `key` holds. */
  countKey(key: Key): number {
    this.#live();
    assertKey(key);
    return this.#entries.lookup(key).length;
  }

  /**
   * Calls `fn` on each entry under `key` (a snapshot taken first, so `fn` may register or
   * unregister) and returns how many it called. Every entry is called even when one throws;
   * afterwards the error is rethrown (several: an AggregateError).
   */
  dispatch(key: Key, fn: (entry: RegistryEntry<V>) => void): number {
    this.#live();
    assertKey(key);
    assertFunction('fn', fn);
    const errors: unknown[] = [];
    const rows = this.#entries.lookup(key);
    for (const row of rows) {
      try {
        fn(this.#entry(row));
      } catch (err) {
        errors.push(err);
      }
    }
    if (errors.length === 1) throw errors[0];
    if (errors.length > 1) {
      throw new AggregateError(errors, `${errors.length} dispatch calls for key ${String(key)} threw`);
    }
    return rows.length;
  }

  /**
   * The entries under `key` whose value matches `pattern` (a Table pattern element: `_`, a variable,
   * a literal, a tuple or a partial object) and, when given, the guard `where`. Walks only `key`'s
   * entries.
   * @example topics.match('jobs', { kind: 'email' }) // entries whose value has kind 'email'
   */
  match<const P extends PatternFor<V>>(
    key: Key,
    pattern: P,
    where?: (bindings: Bindings<V, P>, value: V) => boolean,
  ): RegistryEntry<V>[] {
    this.#live();
    assertKey(key);
    if (where !== undefined) assertFunction('where', where);
    const clause: LooseClause<EntryRow<V>, EntryRow<V>> = {
      match: [key, pattern as PatternFor<V>, _],
      where: where && ((b, row) => where(b as Bindings<V, P>, row[1])),
    };
    const rows = this.#entries.select([clause]);
    return rows.map((row) => this.#entry(row));
  }

  /** Adds a listener for `registered` or `unregistered`; returns the function that removes it. */
  on<K extends 'registered' | 'unregistered'>(
    event: K,
    listener: (payload: RegistryEvents<V>[K]) => void,
  ): () => void {
    this.#live();
    assertOneOf('event', event, ['registered', 'unregistered']);
    assertFunction('listener', listener);
    return this.#events.on(event, listener);
  }

  /**
   * Stops the registry: its tables are dropped with every entry (no `unregistered` events), and
   * every later call throws StoppedError. Nothing runs inside a registry, so `graceMs` is only
   * validated. Idempotent. @default graceMs 5000
   */
  stop(graceMs = 5000): Promise<void> {
    assertTimeout('graceMs', graceMs);
    if (!this.#stopped) {
      this.#stopped = true;
      // The tables would drop on `exited` anyway (the registry owns them); dropping now frees the
      // rows before anyone awaits.
      this.#entries.drop();
      this.#byOwner.drop();
      this.#ownerIds.clear();
      this.#owners.clear();
      this.#exit.resolve(SHUTDOWN);
    }
    return this.#exit.promise.then(() => undefined);
  }

  /** The owner's id, watching its `exited` the first time it is seen. */
  #watch(owner: Process): number {
    let id = this.#ownerIds.get(owner);
    if (id !== undefined) return id;
    id = this.#nextOwnerId++;
    this.#ownerIds.set(owner, id);
    this.#owners.set(id, owner);
    const ownerId = id;
    void owner.exited.then(() => this.#ownerEnded(owner, ownerId));
    return id;
  }

  /** Removes exactly the ended owner's entries, in the order it registered them. */
  #ownerEnded(owner: Process, id: number): void {
    if (this.#stopped || this.#ownerIds.get(owner) !== id) return;
    this.#ownerIds.delete(owner);
    this.#owners.delete(id);
    for (const [, key] of this.#byOwner.take(id)) {
      // A key the owner registered twice is listed twice; the second pass finds nothing left.
      const rows = this.#entries.matchObject([key, _, id]);
      if (rows.length === 0) continue;
      this.#entries.matchDelete([key, _, id]);
      for (const row of rows) this.#emitRemoved(row, owner, 'exit');
    }
  }

  #emitRemoved(row: EntryRow<V>, owner: Process | undefined, reason: UnregisterReason): void {
    this.#events.emit('unregistered', { key: row[0], value: row[1], owner, reason });
  }

  #entry(row: EntryRow<V>): RegistryEntry<V> {
    const owner = row[2] === NO_OWNER ? undefined : this.#owners.get(row[2]);
    return owner === undefined ? { value: row[1] } : { value: row[1], owner };
  }

  #live(): void {
    if (this.#stopped) throw new StoppedError(`registry "${this.name}"`);
  }
}

function conflict<V>(existing: V, owner: Process | undefined): RegisterResult<V> {
  return owner === undefined ? { ok: false, existing } : { ok: false, existing, owner };
}
