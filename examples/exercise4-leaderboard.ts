/**
 * Exercise 4 — a leaderboard on an `ordered_set`. Two tables: `scores` (a set, player → best
 * score) and `ranking` (an ordered_set keyed by `[-best, player]`, so the first key is the best
 * player and equal scores sort by name). One row per player in each: an update that does not beat
 * the player's best changes nothing, a better one moves the player's one ranking row.
 *
 * The seed stores a row per update in a duplicate_bag keyed by score, so a player updated three
 * times is three rows: `top_n` repeats players (and sorts the whole table to find them),
 * `get_rank` counts rows rather than players, and `player_count` counts updates. Ours has none of
 * these defects; `SeedLeaderboard` below replays the seed's design so the tests can show the
 * difference.
 *
 * Every method is synchronous, so any number of async callers (the seed's 1,000 Tasks) see each
 * update applied whole: no read-modify-write can interleave.
 *
 * Run: npx tsx examples/exercise4-leaderboard.ts
 */
import { Table, Task, _, $1 } from '../src/runtime/index.js';
import { seededRandom } from '../src/testing/index.js';
import { isMain } from './support/is-main.js';

/** A player and a score. */
export interface ScoreEntry {
  readonly player: string;
  readonly score: number;
}

/** What `getRank` answers for a known player. */
export interface Rank {
  /** 1 + the number of players with a strictly higher best score (ties share a rank). */
  readonly rank: number;
  readonly best: number;
}

type RankKey = [negBest: number, player: string];

/** A leaderboard keeping each player's best score in key order. */
export class Leaderboard {
  private constructor(
    private readonly scores: Table<[player: string, best: number]>,
    private readonly ranking: Table<[key: RankKey]>,
  ) {}

  /** Creates an empty leaderboard. */
  static start(): Leaderboard {
    return new Leaderboard(Table.new({ type: 'set' }), Table.new({ type: 'ordered_set' }));
  }

  /**
   * Records `score` for `player`; keeps it only if it beats the player's best. Returns the best
   * score after the update and whether this one became it. O(log n).
   */
  updateScore(player: string, score: number): { best: number; improved: boolean } {
    checkPlayer(player);
    if (typeof score !== 'number' || !Number.isFinite(score)) throw badArg('score', 'a finite number', score);
    const old = this.scores.lookup(player)[0]?.[1];
    if (old !== undefined && old >= score) return { best: old, improved: false };
    if (old !== undefined) this.ranking.delete([-old, player]);
    this.ranking.insert([[-score, player]]);
    this.scores.insert([player, score]);
    return { best: score, improved: true };
  }

  /** The player's best score, or undefined for an unknown player. O(1). */
  bestScore(player: string): number | undefined {
    checkPlayer(player);
    return this.scores.lookup(player)[0]?.[1];
  }

  /** The `n` best players, best first, each once: walks the first n keys, O(n log N), no sort. */
  topN(n = 10): ScoreEntry[] {
    if (typeof n !== 'number' || !Number.isInteger(n) || n < 0) {
      throw badArg('n', 'a non-negative integer', n);
    }
    const out: ScoreEntry[] = [];
    for (let k = this.#first(); k !== undefined && out.length < n; k = this.#next(k)) out.push(entry(k));
    return out;
  }

  /**
   * The player's rank and best score, or undefined for an unknown player. Counts the players
   * above from the top and the players at or below from the bottom, one step of each in turn, and
   * stops when either walk leaves its side: O(min(r, n - r + 1) · log n) for rank r among n
   * players. The leaders and the last places are cheap; the median costs n/2 steps, still no sort.
   * (A rank in O(log n) needs subtree counts, which the B+ tree under ordered_set does not keep.)
   */
  getRank(player: string): Rank | undefined {
    const best = this.bestScore(player);
    if (best === undefined) return undefined;
    const n = this.playerCount();
    let above = this.#first();
    let below = this.#last();
    let higher = 0;
    let atOrBelow = 0;
    for (;;) {
      if (above === undefined || above[0] >= -best) return { rank: 1 + higher, best };
      higher++;
      above = this.#next(above);
      if (below === undefined || below[0] < -best) return { rank: 1 + n - atOrBelow, best };
      atOrBelow++;
      below = this.#prev(below);
    }
  }

  /** The players whose best is strictly above `score`, best first. O(k log n) for k such players. */
  playersAbove(score: number): ScoreEntry[] {
    if (typeof score !== 'number' || Number.isNaN(score)) throw badArg('score', 'a number', score);
    const out: ScoreEntry[] = [];
    for (let k = this.#first(); k !== undefined && -k[0] > score; k = this.#next(k)) out.push(entry(k));
    return out;
  }

  /** How many players (not updates) the board holds. O(1). */
  playerCount(): number {
    return this.scores.info('size');
  }

  /** Drops the board's tables. */
  stop(): void {
    this.scores.drop();
    this.ranking.drop();
  }

  #first(): RankKey | undefined {
    return this.ranking.first() as RankKey | undefined;
  }

  #last(): RankKey | undefined {
    return this.ranking.last() as RankKey | undefined;
  }

  #next(k: RankKey): RankKey | undefined {
    return this.ranking.next(k) as RankKey | undefined;
  }

  #prev(k: RankKey): RankKey | undefined {
    return this.ranking.prev(k) as RankKey | undefined;
  }
}

function entry(k: RankKey): ScoreEntry {
  return { player: k[1], score: -k[0] };
}

function checkPlayer(player: unknown): asserts player is string {
  if (typeof player !== 'string' || player === '') throw badArg('player', 'a non-empty string', player);
}

function badArg(name: string, expected: string, value: unknown): TypeError {
  const shown = typeof value === 'string' ? JSON.stringify(value) : String(value);
  return new TypeError(`Expected \`${name}\` to be ${expected}, got \`${shown}\` (${typeof value})`);
}

/** The seed's design, replayed on Table for comparison: a row per update in a duplicate_bag keyed by score. */
export class SeedLeaderboard {
  readonly #table = Table.new<[score: number, player: string, time: number]>({ type: 'duplicate_bag' });

  /** `:ets.insert(:leaderboard, {score, player_id, System.system_time()})`. */
  updateScore(player: string, score: number): void {
    this.#table.insert([score, player, Date.now()]);
  }

  /** `tab2list |> sort_by(-score) |> take(n)`: sorts every row, and a player may come back several times. */
  topN(n = 10): ScoreEntry[] {
    return this.#table
      .toList()
      .sort((a, b) => b[0] - a[0])
      .slice(0, n)
      .map(([score, player]) => ({ player, score }));
  }

  /** The player's best, then 1 + the number of ROWS (not players) with a higher score. */
  getRank(player: string): Rank | undefined {
    const mine = this.#table.match([$1, player, _]).map(([s]) => s);
    if (mine.length === 0) return undefined;
    const best = Math.max(...mine);
    const better = this.#table.selectCount({ match: [$1, _, _], where: (b) => b.$1 > best });
    return { rank: better + 1, best };
  }

  /** `:ets.info(:leaderboard, :size)`: counts updates, not players. */
  playerCount(): number {
    return this.#table.info('size');
  }

  /** Drops the table. */
  stop(): void {
    this.#table.drop();
  }
}

/** A small deterministic PRNG, so runs and tests are reproducible (the testing helper's). */
export const random = seededRandom;

/**
 * The seed's test: `updates` concurrent Tasks, each updating one of `players` players with a
 * score in 1..10000 after a random number of event-loop turns, so the updates interleave.
 * Returns every (player, score) sent.
 */
export async function concurrentUpdates(
  board: { updateScore(player: string, score: number): unknown },
  updates = 1000,
  players = 1000,
  seed = 42,
): Promise<ScoreEntry[]> {
  const rand = random(seed);
  const sent = Array.from({ length: updates }, (_, i) => ({
    player: `player_${players === updates ? i + 1 : 1 + Math.floor(rand() * players)}`,
    score: 1 + Math.floor(rand() * 10_000),
    turns: Math.floor(rand() * 4),
  }));
  const tasks = sent.map(({ player, score, turns }) =>
    Task.async(async () => {
      for (let t = 0; t < turns; t++) await new Promise<void>((resolve) => setImmediate(resolve));
      board.updateScore(player, score);
    }),
  );
  await Task.awaitMany(tasks);
  return sent.map(({ player, score }) => ({ player, score }));
}

/** Runs the seed's test on ours and on the seed's design, printing both. */
export async function main(log: (line: string) => void = console.log): Promise<void> {
  const show = (list: ScoreEntry[]): string => list.map((e) => `${e.player}:${e.score}`).join(' ');
  const board = Leaderboard.start();
  const seedBoard = new SeedLeaderboard();
  // The seed's defects in four updates: ann plays three times, bob once.
  for (const b of [board, seedBoard]) {
    for (const [player, score] of [
      ['ann', 870],
      ['ann', 900],
      ['ann', 880],
      ['bob', 850],
    ] as const) {
      b.updateScore(player, score);
    }
  }
  log(`ann 870, 900, 880; bob 850 → top 3: ${show(board.topN(3))}; seed: ${show(seedBoard.topN(3))}`);
  log(
    `rank of bob: ${board.getRank('bob')?.rank} (seed: ${seedBoard.getRank('bob')?.rank}); ` +
      `players: ${board.playerCount()} (seed: ${seedBoard.playerCount()})`,
  );
  board.stop();
  seedBoard.stop();

  // The seed's test: 1,000 concurrent updates, here over 300 players so most play several times.
  const game = Leaderboard.start();
  await concurrentUpdates(game, 1000, 300);
  log(`after 1,000 concurrent updates, top 5: ${show(game.topN(5))}`);
  const someone = game.topN(40)[39]?.player ?? 'player_1';
  log(`rank of ${someone}: ${JSON.stringify(game.getRank(someone))}`);
  log(`players above 9900: ${show(game.playersAbove(9900))}`);
  log(`player count: ${game.playerCount()}`);
  game.stop();
}

if (isMain(import.meta.url)) await main();
