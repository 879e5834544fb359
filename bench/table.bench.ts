/**
 * Table benchmarks, each figure beside its baseline as a ratio:
 * - insert (replacing random stored keys, so the size stays n; and filling an empty table) and
 *   lookup (of random stored keys) for `set` and `ordered_set` at 10^5 and 10^6 rows, against a
 *   plain Map (the ceiling) and an Agent-served Map (the GenServer way: one mailbox, awaited);
 * - `match`/`select` with a bound key, and an ordered_set's bound key prefix, against full scans,
 *   on 10^5 rows.
 * Each case is measured twice (see fairMeasure) and its best kept; the machine may be shared.
 * The aims (issue 3): `set` within 2x of a bare Map; `ordered_set` lookups O(log n), so 10^6
 * rows cost no more than ~2x per op of 10^5. Both are checked and printed at the end.
 */
import { Agent, Table, _, $1 } from '../src/runtime/index.js';
import { measure, printTable, rate } from './harness.js';
import type { CaseResult } from './harness.js';

const BATCH = 1000;
/** Random stored keys, cycled through by the lookup cases (a power of two, for a cheap mask). */
const PICKS = 4096;

let sink = 0;

/** Deterministic pseudo-random integers in [0, n), so every run looks up the same keys. */
function randomKeys(n: number, count: number): Int32Array {
  const out = new Int32Array(count);
  let x = 0x2545f491;
  for (let i = 0; i < count; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[i] = (x >>> 0) % n;
  }
  return out;
}

function filledTable(type: 'set' | 'ordered_set', n: number): Table<[number, number]> {
  const t = Table.new<[number, number]>({ type });
  for (let i = 0; i < n; i++) t.insert([i, i * 2]);
  return t;
}

type Case = [name: string, batch: number, fn: () => unknown];

/**
 * `measure`, run twice, the second time in reverse order, keeping each case's best: on a shared
 * machine the case that runs right after a big allocation pays for its GC, and a single order
 * would always charge the same case.
 */
async function fairMeasure(cases: readonly Case[]): Promise<CaseResult[]> {
  const first = await measure(cases);
  const second = await measure([...cases].reverse());
  return first.map((r) => {
    const again = second.find((s) => s.name === r.name);
    return again !== undefined && again.opsPerSec > r.opsPerSec ? again : r;
  });
}

/** Rows per second filling an empty Map/Table with `n` rows: the best of `runs` (timed here, as one call is long). */
function fillBench(n: number, runs = 3): CaseResult[] {
  const fills: [string, () => number][] = [
    [
      'fill a Map',
      () => {
        const m = new Map<number, readonly [number, number]>();
        for (let i = 0; i < n; i++) m.set(i, [i, i * 2]);
        return m.size;
      },
    ],
    ...(['set', 'ordered_set'] as const).map((type): [string, () => number] => [
      `fill a Table ${type}`,
      () => {
        const t = filledTable(type, n);
        const size = t.info('size');
        t.drop();
        return size;
      },
    ]),
  ];
  return fills.map(([name, fill]) => {
    let best = Infinity;
    for (let r = 0; r < runs; r++) {
      const start = performance.now();
      sink += fill();
      best = Math.min(best, performance.now() - start);
    }
    return { name, opsPerSec: (n * 1000) / best };
  });
}

/** Inserts (replacing stored keys, so the size stays `n`) and lookups of random keys at `n` rows. */
async function sizeBench(n: number): Promise<{ insert: CaseResult[]; lookup: CaseResult[] }> {
  const keys = randomKeys(n, PICKS);
  const map = new Map<number, readonly [number, number]>();
  for (let i = 0; i < n; i++) map.set(i, [i, i * 2]);
  const set = filledTable('set', n);
  const ordered = filledTable('ordered_set', n);
  const agent = await Agent.start(() => new Map(map));
  let at = 0;
  const next = (): number => keys[at++ & (PICKS - 1)]!;
  const batch = (op: (k: number) => void) => () => {
    for (let i = 0; i < BATCH; i++) op(next());
  };
  const awaited = (op: (k: number) => Promise<void>) => async () => {
    for (let i = 0; i < BATCH; i++) await op(next());
  };
  const insert = await fairMeasure([
    ['Map.set', BATCH, batch((k) => void map.set(k, [k, k * 2]))],
    ['Table set insert', BATCH, batch((k) => set.insert([k, k * 2]))],
    ['Table ordered_set insert', BATCH, batch((k) => ordered.insert([k, k * 2]))],
    ['Agent-served Map update (awaited)', BATCH, awaited((k) => agent.update((m) => m.set(k, [k, k * 2])))],
  ]);
  const lookup = await fairMeasure([
    ['Map.get', BATCH, batch((k) => void (sink += map.get(k)![1]))],
    ['Table set lookup', BATCH, batch((k) => void (sink += set.lookup(k)[0]![1]))],
    ['Table ordered_set lookup', BATCH, batch((k) => void (sink += ordered.lookup(k)[0]![1]))],
    [
      'Agent-served Map get (awaited)',
      BATCH,
      awaited(async (k) => void (sink += (await agent.get((m) => m.get(k)))![1])),
    ],
  ]);
  set.drop();
  ordered.drop();
  await agent.stop();
  return { insert: [...insert, ...fillBench(n)], lookup };
}

/** Bound-key match/select and a bound tuple-key prefix against full scans, on `n` rows. */
async function queryBench(n: number): Promise<CaseResult[]> {
  type JobRow = [id: number, group: string, value: number];
  const groups = 100;
  const jobs = Table.new<JobRow>({ type: 'set' });
  for (let i = 0; i < n; i++) jobs.insert([i, `g${i % groups}`, i]);
  type ByGroup = [key: [group: string, id: number], value: number];
  const byGroup = Table.new<ByGroup>({ type: 'ordered_set' });
  for (let i = 0; i < n; i++) byGroup.insert([[`g${i % groups}`, i], i]);
  const keys = randomKeys(n, PICKS);
  let at = 0;
  const next = (): number => keys[at++ & (PICKS - 1)]!;
  const results = await fairMeasure([
    ['lookup(key)', 1, () => (sink += jobs.lookup(next()).length)],
    ['match([key, $1, _]) (bound key)', 1, () => (sink += jobs.match([next(), $1, _]).length)],
    [
      'select with bound key and guard',
      1,
      () =>
        (sink += jobs.select({
          match: [next(), $1, _],
          where: (b) => b.$1 !== '',
          result: (b) => b.$1,
        }).length),
    ],
    [
      `ordered_set match([[group, $1], _]) (prefix, ${n / groups} rows)`,
      1,
      () => (sink += byGroup.match([[`g${next() % groups}`, $1], _]).length),
    ],
    [
      'match([_, group, $1]) (full scan)',
      1,
      () => (sink += jobs.match([_, `g${next() % groups}`, $1]).length),
    ],
    [
      'select with guard (full scan)',
      1,
      () => {
        const g = `g${next() % groups}`;
        sink += jobs.select({ match: [$1, _, _], where: (_b, row) => row[1] === g }).length;
      },
    ],
  ]);
  jobs.drop();
  byGroup.drop();
  return results;
}

/** Runs every Table benchmark and prints the aims' verdicts. */
export async function run(): Promise<void> {
  const perSize: Record<number, { insert: CaseResult[]; lookup: CaseResult[] }> = {};
  for (const n of [1e5, 1e6]) {
    const r = await sizeBench(n);
    perSize[n] = r;
    const rows = n.toExponential().replace('e+', 'e');
    printTable(
      `Table insert at ${rows} rows (replacing random stored keys; then filling from empty): rows per second`,
      r.insert,
      'Map.set',
    );
    printTable(`Table lookup at ${rows} rows (random stored keys): lookups per second`, r.lookup, 'Map.get');
  }
  const q = await queryBench(1e5);
  printTable('Table match/select on 1e5 rows: calls per second', q, 'lookup(key)');

  const find = (list: CaseResult[] | undefined, name: string): number =>
    list?.find((c) => c.name === name)?.opsPerSec ?? NaN;
  console.log('\nAims');
  for (const n of [1e5, 1e6]) {
    const { insert, lookup } = perSize[n]!;
    const ins = Math.max(
      find(insert, 'Map.set') / find(insert, 'Table set insert'),
      find(insert, 'fill a Map') / find(insert, 'fill a Table set'),
    );
    const get = find(lookup, 'Map.get') / find(lookup, 'Table set lookup');
    console.log(
      `  set within 2x of Map at ${n.toExponential()}: insert ${ins.toFixed(2)}x, lookup ${get.toFixed(2)}x slower ` +
        `${ins <= 2 && get <= 2 ? '(met)' : '(NOT met)'}`,
    );
  }
  const small = find(perSize[1e5]?.lookup, 'Table ordered_set lookup');
  const big = find(perSize[1e6]?.lookup, 'Table ordered_set lookup');
  // A bare Map slows down too from 1e5 to 1e6 rows (cache misses, not algorithm): dividing by its
  // slowdown leaves what the tree's extra levels cost.
  const mapSlowdown = find(perSize[1e5]?.lookup, 'Map.get') / find(perSize[1e6]?.lookup, 'Map.get');
  console.log(
    `  ordered_set lookup, 1e6 vs 1e5 rows: ${rate(big)} vs ${rate(small)} ops/s, ` +
      `${(small / big).toFixed(2)}x slower per op ${small / big <= 2 ? '(met)' : '(NOT met)'}; ` +
      `Map.get slowed ${mapSlowdown.toFixed(2)}x, so ${(small / big / mapSlowdown).toFixed(2)}x beyond a Map's`,
  );
  if (sink === 0.5) console.log(sink); // keeps the results observable, so no loop is optimised away
}
