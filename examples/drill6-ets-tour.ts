/**
 * Drill 6 — the seed's ETS tour on `Table`: insert, lookup, overwrite, delete, toList and
 * matchObject with `_`; then its five exercises: a bag (and a duplicate_bag), a named table
 * found by name, an ordered_set's order, protected vs public (and private) access, and what
 * happens when the owner dies — the table goes with it, unless an heir inherits it.
 *
 * Run: npx tsx examples/drill6-ets-tour.ts
 */
import { Agent, Table, TableAccessError, TableDroppedError, Task, _, $1, $2 } from '../src/runtime/index.js';
import type { Key, TableAccess, TableType } from '../src/runtime/index.js';
import { isMain } from './support/is-main.js';

/** A row of the seed's table: name, age, role. */
export type Person = [name: string, age: number, role: string];

/** What the seed's `demonstrate` shows, step by step. */
export interface BasicsResult {
  /** `lookup('alice')` after the three inserts. */
  readonly alice: Person[];
  /** `lookup('alice')` after inserting a second row with her key: a set replaces. */
  readonly aliceAfterOverwrite: Person[];
  /** `toList()` after deleting bob. */
  readonly afterDelete: Person[];
  /** `matchObject([_, _, 'engineer'])`: exact, so the promoted alice no longer matches. */
  readonly engineers: Person[];
  /** A guard finds what the literal pattern could not: every role containing "engineer". */
  readonly anyEngineer: string[];
}

/** The seed's `ETSDrill.demonstrate`. */
export function basics(): BasicsResult {
  // The seed's table is public; ours is protected (the default) because only this code writes.
  const table = Table.new<Person>({ type: 'set' });
  table.insert(['alice', 30, 'engineer']);
  table.insert(['bob', 25, 'designer']);
  table.insert(['charlie', 35, 'manager']);
  const alice = table.lookup('alice');
  table.insert(['alice', 31, 'senior engineer']); // same key: the set replaces the row
  const aliceAfterOverwrite = table.lookup('alice');
  table.delete('bob');
  const afterDelete = table.toList();
  const engineers = table.matchObject([_, _, 'engineer']);
  const anyEngineer = table.select({
    match: [$1, _, $2],
    where: (b) => b.$2.includes('engineer'),
    result: (b) => b.$1,
  });
  table.drop(); // the seed's :ets.delete(table)
  return { alice, aliceAfterOverwrite, afterDelete, engineers, anyEngineer };
}

/** The same five inserts into each table type: what each keeps. */
export function typesCompared(): Record<TableType, [string, string][]> {
  const inserts: [string, string][] = [
    ['fruit', 'apple'],
    ['fruit', 'pear'],
    ['fruit', 'apple'], // an exact duplicate row
    ['veg', 'leek'],
    ['fruit', 'fig'],
  ];
  const kept = {} as Record<TableType, [string, string][]>;
  for (const type of ['set', 'ordered_set', 'bag', 'duplicate_bag'] as const) {
    const t = Table.new<[string, string]>({ type });
    for (const row of inserts) t.insert(row);
    kept[type] = t.lookup('fruit');
    t.drop();
  }
  return kept;
}

/** Exercise 2: a named table is found by name from code that holds no handle. */
export function namedTable(): { found: boolean; rows: [string, number][]; afterDrop: boolean } {
  const owner = Table.new<[string, number]>({ name: 'drill6_config', access: 'protected' });
  owner.insert(['max_workers', 8]);
  const found = Table.whereis<[string, number]>('drill6_config');
  const rows = found?.lookup('max_workers') ?? [];
  owner.drop(); // frees the name
  return { found: found !== undefined, rows, afterDrop: Table.whereis('drill6_config') !== undefined };
}

/** Exercise 3: an ordered_set keeps keys sorted (mixed types too), and first/next walk them in order. */
export function orderedSet(): { set: Key[]; orderedSet: Key[]; walked: Key[] } {
  const keys: Key[] = ['b', 3, ['a', 1], 1, 'a', null, true, 2n];
  const toKeys = (type: TableType): Key[] => {
    const t = Table.new<[Key]>({ type });
    for (const k of keys) t.insert([k]);
    const out = t.toList().map((row) => row[0]);
    t.drop();
    return out;
  };
  const t = Table.new<[number, string]>({ type: 'ordered_set' });
  for (const n of [30, 10, 20]) t.insert([n, `row ${n}`]);
  const walked: Key[] = [];
  for (let k = t.first(); k !== undefined; k = t.next(k)) walked.push(k);
  t.drop();
  return { set: toKeys('set'), orderedSet: toKeys('ordered_set'), walked };
}

/** What a non-owner handle may do under one access mode. */
export interface AccessResult {
  readonly access: TableAccess;
  /** Whether `share()` gave a handle at all (a private table refuses). */
  readonly shared: boolean;
  readonly canRead: boolean;
  readonly canWrite: boolean;
  /** The error a refused call threw, if any. */
  readonly refusal?: string;
}

/** Exercise 4: protected (owner writes, all read), public (all read and write), private (owner only). */
export function accessModes(): AccessResult[] {
  return (['protected', 'public', 'private'] as const).map((access) => {
    const owner = Table.new<[string, number]>({ access, name: `drill6_${access}` });
    owner.insert(['a', 1]);
    let refusal: string | undefined;
    const attempt = (fn: () => unknown): boolean => {
      try {
        fn();
        return true;
      } catch (err) {
        if (!(err instanceof TableAccessError)) throw err;
        refusal ??= err.message;
        return false;
      }
    };
    let handle: Table<[string, number]> | undefined;
    const shared = attempt(() => (handle = owner.share()));
    const canRead = handle !== undefined && attempt(() => handle!.lookup('a'));
    const canWrite = handle !== undefined && attempt(() => handle!.insert(['b', 2]));
    owner.drop();
    return refusal === undefined
      ? { access, shared, canRead, canWrite }
      : { access, shared, canRead, canWrite, refusal };
  });
}

/** What exercise 5 observed. */
export interface OwnerDeathResult {
  /** The error using the table threw after its owner (a Task) crashed. */
  readonly withoutHeir: string;
  /** The rows the heir (an Agent) found in the table it inherited. */
  readonly heirRows: [string, number][];
  /** Whether the heir's handle has owner rights (it can write). */
  readonly heirIsOwner: boolean;
  /** Whether the handle the dead owner held lost its owner rights. */
  readonly oldHandleIsOwner: boolean;
}

/** Exercise 5: the owner dies. Without an heir the table is dropped; with one, it is handed over. */
export async function ownerDeath(): Promise<OwnerDeathResult> {
  // An owner that crashes, as the seed's process would.
  const crash = deferred();
  const doomed = Task.async(
    async () => {
      await crash.promise;
      throw new Error('owner crashed');
    },
    { name: 'doomed' },
  );
  const orphan = Table.new<[string, number]>({ owner: doomed, name: 'drill6_orphan' });
  orphan.insert(['jobs', 3]);
  crash.resolve();
  await doomed.yield(); // observe the crash (so it is not reported as unobserved)
  await doomed.exited;
  let withoutHeir = 'still usable';
  try {
    orphan.lookup('jobs');
  } catch (err) {
    if (!(err instanceof TableDroppedError)) throw err;
    withoutHeir = err.message;
  }

  // The same, with an Agent named as heir: ETS's {heir, Pid, Data} and the 'ETS-TRANSFER' message.
  const owner = await Agent.start(() => null, { name: 'owner' });
  const heir = await Agent.start((): Table<[string, number]> | null => null, { name: 'heir' });
  const table = Table.new<[string, number]>({
    owner,
    heir: { process: heir, data: 'from owner', onTransfer: (t) => heir.cast(() => t) },
  });
  table.insert(['jobs', 3]);
  await owner.stop(); // the table saw the exit first: it watched `exited` before stop() did
  const inherited = await heir.get();
  inherited?.insert(['jobs', 4]); // only the owner may write a protected table: the heir now can
  const result = {
    withoutHeir,
    heirRows: inherited?.toList() ?? [],
    heirIsOwner: inherited?.isOwner ?? false,
    oldHandleIsOwner: table.isOwner,
  };
  await heir.stop(); // and the table goes with its new owner
  return result;
}

function deferred(): { promise: Promise<void>; resolve: () => void } {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
}

/** Runs the tour and the five exercises, printing each step. */
export async function main(log: (line: string) => void = console.log): Promise<void> {
  // JSON cannot print a bigint: mark it, then unquote the mark.
  const show = (v: unknown): string =>
    JSON.stringify(v, (_k, x: unknown) => (typeof x === 'bigint' ? `\u0000${x}n` : x)).replace(
      /"\\u0000(-?\d+n)"/g,
      '$1',
    );
  const b = basics();
  log(`lookup alice: ${show(b.alice)}`);
  log(`after overwrite: ${show(b.aliceAfterOverwrite)}`);
  log(`after deleting bob: ${show(b.afterDelete)}`);
  log(`matchObject [_, _, 'engineer']: ${show(b.engineers)} (alice is now a "senior engineer")`);
  log(`select role includes 'engineer': ${show(b.anyEngineer)}`);

  const types = typesCompared();
  for (const [type, rows] of Object.entries(types))
    log(`${type.padEnd(13)} keeps for 'fruit': ${show(rows)}`);

  const named = namedTable();
  log(`named table found by name: ${named.found}, rows ${show(named.rows)}; after drop: ${named.afterDrop}`);

  const order = orderedSet();
  log(`set order (arbitrary):   ${show(order.set)}`);
  log(`ordered_set (sorted):    ${show(order.orderedSet)}`);
  log(`first/next walk:         ${show(order.walked)}`);

  for (const a of accessModes()) {
    log(
      `${a.access.padEnd(9)} shared handle: share ${a.shared}, read ${a.canRead}, write ${a.canWrite}` +
        (a.refusal ? ` — ${a.refusal}` : ''),
    );
  }

  const death = await ownerDeath();
  log(`owner crashed, no heir: ${death.withoutHeir}`);
  log(
    `owner stopped, heir inherited: rows ${show(death.heirRows)}, heir is owner ${death.heirIsOwner}, ` +
      `old handle is owner ${death.oldHandleIsOwner}`,
  );
}

if (isMain(import.meta.url)) await main();
