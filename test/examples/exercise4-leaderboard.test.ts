import { afterEach, describe, expect, it, vi } from 'vitest';
import {
  Leaderboard,
  SeedLeaderboard,
  concurrentUpdates,
  main,
  random,
  type ScoreEntry,
} from '../../examples/exercise4-leaderboard.js';
import { Table } from '../../src/runtime/index.js';

const boards: { stop(): void }[] = [];
function board(): Leaderboard {
  const b = Leaderboard.start();
  boards.push(b);
  return b;
}
function seedBoard(): SeedLeaderboard {
  const b = new SeedLeaderboard();
  boards.push(b);
  return b;
}
afterEach(() => {
  for (const b of boards.splice(0)) b.stop();
  vi.restoreAllMocks();
});

/** Best score per player, from the updates sent: what every query must agree with. */
function bestOf(sent: readonly ScoreEntry[]): Map<string, number> {
  const best = new Map<string, number>();
  for (const { player, score } of sent) best.set(player, Math.max(best.get(player) ?? -Infinity, score));
  return best;
}

/** The rank by definition: 1 + players with a strictly higher best. */
function bruteRank(best: Map<string, number>, player: string): number {
  const mine = best.get(player)!;
  return 1 + [...best.values()].filter((s) => s > mine).length;
}

/** Best first, ties by player name (the ordered_set's key order). */
function bruteTop(best: Map<string, number>, n: number): ScoreEntry[] {
  return [...best]
    .sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1))
    .slice(0, n)
    .map(([player, score]) => ({ player, score }));
}

describe('exercise 4: the leaderboard', () => {
  it('keeps each player’s best score and says whether an update beat it', () => {
    const b = board();
    expect(b.updateScore('ann', 500)).toEqual({ best: 500, improved: true });
    expect(b.updateScore('ann', 300)).toEqual({ best: 500, improved: false });
    expect(b.updateScore('ann', 500)).toEqual({ best: 500, improved: false });
    expect(b.updateScore('ann', 800)).toEqual({ best: 800, improved: true });
    expect(b.bestScore('ann')).toBe(800);
    expect(b.bestScore('nobody')).toBeUndefined();
    expect(b.topN()).toEqual([{ player: 'ann', score: 800 }]);
  });

  it('lists a player updated three times once in topN (the seed lists every update)', () => {
    const ours = board();
    const seed = seedBoard();
    for (const b of [ours, seed]) {
      b.updateScore('ann', 870);
      b.updateScore('ann', 900);
      b.updateScore('ann', 880);
      b.updateScore('bob', 850);
    }
    expect(ours.topN(3)).toEqual([
      { player: 'ann', score: 900 },
      { player: 'bob', score: 850 },
    ]);
    expect(seed.topN(3).map((e) => e.player)).toEqual(['ann', 'ann', 'ann']);
  });

  it('counts players, not updates (the seed counts rows)', () => {
    const ours = board();
    const seed = seedBoard();
    for (const b of [ours, seed]) for (const s of [1, 2, 3]) b.updateScore('ann', s);
    expect(ours.playerCount()).toBe(1);
    expect(seed.playerCount()).toBe(3);
  });

  it('ranks by players with a strictly higher best, ignoring their older lower scores (the seed counts rows)', () => {
    const ours = board();
    const seed = seedBoard();
    for (const b of [ours, seed]) {
      b.updateScore('ann', 870);
      b.updateScore('ann', 900);
      b.updateScore('ann', 880);
      b.updateScore('bob', 850);
      b.updateScore('bob', 100); // bob's own older, lower score must not matter either
    }
    expect(ours.getRank('bob')).toEqual({ rank: 2, best: 850 });
    expect(ours.getRank('ann')).toEqual({ rank: 1, best: 900 });
    expect(seed.getRank('bob')).toEqual({ rank: 4, best: 850 });
    expect(ours.getRank('nobody')).toBeUndefined();
  });

  it('gives tied players one rank, and the next player the rank after all of them', () => {
    const b = board();
    for (const [p, s] of [
      ['a', 100],
      ['b', 100],
      ['c', 100],
      ['d', 50],
      ['e', 200],
    ] as const)
      b.updateScore(p, s);
    expect(['e', 'a', 'b', 'c', 'd'].map((p) => b.getRank(p)?.rank)).toEqual([1, 2, 2, 2, 5]);
    expect(b.topN(10).map((e) => e.player)).toEqual(['e', 'a', 'b', 'c', 'd']);
  });

  it('ranks every player as the definition says, on a random board with many ties', () => {
    const b = board();
    const rand = random(7);
    const sent: ScoreEntry[] = [];
    for (let i = 0; i < 600; i++) {
      const e = { player: `p${Math.floor(rand() * 200)}`, score: Math.floor(rand() * 50) };
      sent.push(e);
      b.updateScore(e.player, e.score);
    }
    const best = bestOf(sent);
    for (const player of best.keys()) expect(b.getRank(player)?.rank, player).toBe(bruteRank(best, player));
    expect(b.topN(25)).toEqual(bruteTop(best, 25));
  });

  it('walks only the first n keys for topN, and a short walk for a leader’s or a last place’s rank', () => {
    const b = board();
    for (let i = 0; i < 1000; i++) b.updateScore(`p${i}`, i);
    const next = vi.spyOn(Table.prototype, 'next');
    const prev = vi.spyOn(Table.prototype, 'prev');
    const toList = vi.spyOn(Table.prototype, 'toList');
    expect(b.topN(3).map((e) => e.score)).toEqual([999, 998, 997]);
    expect(next.mock.calls.length).toBeLessThanOrEqual(3);
    expect(b.getRank('p999')?.rank).toBe(1);
    expect(b.getRank('p0')?.rank).toBe(1000);
    expect(next.mock.calls.length + prev.mock.calls.length).toBeLessThanOrEqual(3 + 2 + 4);
    expect(toList).not.toHaveBeenCalled();
  });

  it('lists the players strictly above a score, best first', () => {
    const b = board();
    for (const [p, s] of [
      ['a', 9000],
      ['b', 9500],
      ['c', 8000],
      ['d', 9001],
    ] as const)
      b.updateScore(p, s);
    expect(b.playersAbove(9000)).toEqual([
      { player: 'b', score: 9500 },
      { player: 'd', score: 9001 },
    ]);
    expect(b.playersAbove(10_000)).toEqual([]);
    expect(b.playersAbove(-Infinity)).toHaveLength(4);
  });

  it('stays consistent under 1,000 concurrent updates (the seed’s test, players updating several times)', async () => {
    const b = board();
    const sent = await concurrentUpdates(b, 1000, 300, 3);
    const best = bestOf(sent);
    expect(best.size).toBeLessThan(1000); // players really did update more than once
    expect(b.playerCount()).toBe(best.size);
    for (const [player, score] of best) expect(b.bestScore(player)).toBe(score);
    expect(b.topN(10)).toEqual(bruteTop(best, 10));
    expect(b.topN(1000)).toEqual(bruteTop(best, 1000));
    for (const player of ['player_1', 'player_150', 'player_300'].filter((p) => best.has(p))) {
      expect(b.getRank(player)?.rank).toBe(bruteRank(best, player));
    }
    expect(b.playersAbove(9000)).toEqual(bruteTop(best, 1000).filter((e) => e.score > 9000));
  });

  it('stays consistent with 1,000 distinct players, as in the seed', async () => {
    const b = board();
    const sent = await concurrentUpdates(b, 1000, 1000, 11);
    expect(b.playerCount()).toBe(1000);
    const best = bestOf(sent);
    expect(b.getRank('player_500')?.rank).toBe(bruteRank(best, 'player_500'));
  });

  it('names a bad player, score or n, and leaves the board unchanged', () => {
    const b = board();
    b.updateScore('ann', 1);
    expect(() => b.updateScore('', 5)).toThrow(
      'Expected `player` to be a non-empty string, got `""` (string)',
    );
    expect(() => b.updateScore('ann', NaN)).toThrow(
      'Expected `score` to be a finite number, got `NaN` (number)',
    );
    expect(() => b.updateScore('ann', Infinity)).toThrow(/`score`.*`Infinity`/);
    expect(() => b.updateScore('ann', '5' as unknown as number)).toThrow('got `"5"` (string)');
    expect(() => b.topN(-1)).toThrow('Expected `n` to be a non-negative integer, got `-1` (number)');
    expect(() => b.topN(1.5)).toThrow(/`n`/);
    expect(() => b.playersAbove(NaN)).toThrow(/`score`/);
    expect(b.topN()).toEqual([{ player: 'ann', score: 1 }]);
    expect(b.playerCount()).toBe(1);
  });

  it('prints the seed’s defects beside ours, then the seed’s test', async () => {
    const lines: string[] = [];
    await main((l) => lines.push(l));
    expect(lines[0]).toBe(
      'ann 870, 900, 880; bob 850 → top 3: ann:900 bob:850; seed: ann:900 ann:880 ann:870',
    );
    expect(lines[1]).toBe('rank of bob: 2 (seed: 4); players: 2 (seed: 4)');
    expect(lines).toHaveLength(6);
  });
});
