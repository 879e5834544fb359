import { createReadStream, statSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  processChunks,
  processFile,
  processFileSequential,
  readChunks,
  startPipelinePool,
  warmUp,
  writeSampleCsv,
  type Chunk,
} from '../../examples/exercise1-data-pipeline.js';
import {
  ExactSum,
  MAX_ERROR_SAMPLES,
  SPIN_MARKER,
  categorize,
  emptyAggregate,
  mergeAggregates,
  parseLine,
  processChunk,
} from '../../examples/support/pipeline-worker.js';
import type { ThreadPool } from '../../src/runtime/index.js';

let dir: string;
let pool: ThreadPool;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'steward-ex1-test-'));
  pool = startPipelinePool(2);
  await warmUp(pool); // thread start-up (tsx) must not eat into the short timeouts below
});

afterAll(async () => {
  await pool.stop();
  await rm(dir, { recursive: true, force: true });
});

/** A chunk of the given lines, numbered from `first`. */
function chunk(index: number, lines: string[], first = index * 100 + 1): Chunk {
  return { index, lineNos: lines.map((_, i) => first + i), lines };
}

describe('exercise 1: the per-chunk work (worker module)', () => {
  it("counts a malformed line as an error with a sample, where the seed's parse_line crashes", () => {
    const agg = processChunk(chunk(0, ['1,10.5', 'oops', '2,abc', '3,1,2', '4,70', '5,-3', '6,0']));
    expect(agg).toMatchObject({ count: 2, sum: 80.5, errors: 3, filtered: 2 });
    expect(agg.categories).toEqual({ low: 1, medium: 0, high: 1 });
    expect(agg.errorSamples).toEqual([
      { line: 2, text: 'oops', reason: 'expected 2 fields, got 1' },
      { line: 3, text: '2,abc', reason: 'value is not a finite number: "abc"' },
      { line: 4, text: '3,1,2', reason: 'expected 2 fields, got 3' },
    ]);
  });

  it('parses strictly: rejects what parseFloat/parseInt would half-accept', () => {
    expect(parseLine('17, 42.5')).toEqual({ timestamp: 17, value: 42.5 });
    expect(() => parseLine('17,12abc')).toThrow('value is not a finite number: "12abc"');
    expect(() => parseLine('1.5,3')).toThrow('timestamp is not an integer: "1.5"');
    expect(() => parseLine('1,1e999')).toThrow('value is not a finite number');
  });

  it("categorizes on the seed's boundaries: low < 33 <= medium < 66 <= high", () => {
    expect([32.999, 33, 65.999, 66].map(categorize)).toEqual(['low', 'medium', 'medium', 'high']);
  });

  it('caps the kept error samples, keeping the lowest line numbers after merging', () => {
    const bad = (index: number): Chunk =>
      chunk(
        index,
        Array.from({ length: 20 }, () => 'bad'),
      );
    const merged = mergeAggregates(processChunk(bad(3)), processChunk(bad(1)));
    expect(merged.errors).toBe(40);
    expect(merged.errorSamples.map((e) => e.line)).toEqual(
      Array.from({ length: MAX_ERROR_SAMPLES }, (_, i) => 101 + i),
    );
  });

  it('sums exactly, so the total does not depend on the order chunks are merged in', () => {
    const values = [1e16, 1, -1e16, 0.1, 0.2, 0.3];
    expect(values.reduce((a, b) => a + b)).not.toBe(1.6); // naive summation loses the 1
    for (const order of [values, [...values].reverse(), [0.3, -1e16, 1, 0.2, 1e16, 0.1]]) {
      const sum = new ExactSum();
      for (const v of order) sum.add(v);
      expect(sum.value()).toBe(1.6);
    }
    const a = processChunk(chunk(0, ['1,0.1', '2,0.2']));
    const b = processChunk(chunk(1, ['3,0.3', '4,33.3']));
    expect(mergeAggregates(a, b)).toEqual(mergeAggregates(b, mergeAggregates(emptyAggregate(), a)));
  });
});

describe('exercise 1: the pipeline', () => {
  it('gives exactly the sequential aggregate on a file with malformed, blank and non-positive lines', async () => {
    const file = join(dir, 'mixed.csv');
    await writeSampleCsv(file, 5000, { malformedEvery: 97, blankEvery: 13, nonPositiveEvery: 7 });
    const sequential = await processFileSequential(file);
    const parallel = await processFile(file, { pool });
    expect(parallel).toEqual(sequential);
    // Lines 97, 194, ... are malformed; none crashed the run, each is counted.
    expect(parallel.errors).toBe(Math.floor(5000 / 97));
    expect(parallel.errorSamples[0]).toMatchObject({ line: 97 });
    expect(parallel.count + parallel.filtered + parallel.errors).toBe(parallel.lines);
    expect(parallel.filtered).toBeGreaterThan(0);
    expect(parallel.lines).toBeLessThan(5000); // blank lines are skipped, not errors
    expect(parallel.chunks).toBe(Math.ceil(parallel.lines / 100));
    expect(parallel.timedOut).toEqual([]);
    expect(parallel.failed).toEqual([]);
  });

  it('kills a chunk that runs past its timeout, reports which one, and aggregates the rest', async () => {
    const chunks = [
      chunk(0, ['1,10', '2,50']),
      chunk(1, ['101,20', SPIN_MARKER, '103,80']), // spins forever on its thread
      chunk(2, ['201,70', 'oops']),
      chunk(3, ['301,40']),
    ];
    const seen: number[] = [];
    const result = await processChunks(chunks, {
      pool,
      fnName: 'processChunkOrSpin',
      timeout: 1500,
      onChunk: (outcome) => seen.push(outcome.index),
    });
    expect(result.timedOut).toEqual([
      {
        index: 1,
        firstLine: 101,
        lastLine: 103,
        reason: 'TaskTimeoutError: asyncStream item did not finish within 1500 ms',
      },
    ]);
    const reference = [chunks[0]!, chunks[2]!, chunks[3]!].map(processChunk).reduce(mergeAggregates);
    expect(result).toMatchObject({
      count: reference.count,
      sum: reference.sum,
      categories: reference.categories,
      errors: 1,
      chunks: 4,
      failed: [],
    });
    expect(seen.sort((a, b) => a - b)).toEqual([0, 1, 2, 3]); // every chunk has an outcome: the run finished
    expect(await pool.run('processChunk', chunks[0])).toMatchObject({ count: 2 }); // the pool still works
  });

  it('reports a chunk whose call fails in `failed` and still finishes the run', async () => {
    const result = await processChunks([chunk(0, ['1,10'])], {
      pool,
      fnName: 'noSuchExport' as 'processChunk',
    });
    expect(result.count).toBe(0);
    expect(result.failed).toHaveLength(1);
    expect(result.failed[0]).toMatchObject({ index: 0, firstLine: 1, lastLine: 1 });
    expect(result.failed[0]!.reason).toContain('noSuchExport');
  });

  it('pulls chunks lazily: at most maxConcurrency + 1 ahead of those processed', async () => {
    let pulled = 0;
    let processed = 0;
    let mostAhead = 0;
    async function* counting(): AsyncGenerator<Chunk> {
      for (let i = 0; i < 40; i++) {
        pulled++;
        mostAhead = Math.max(mostAhead, pulled - processed);
        yield chunk(i, [`${i},${i + 1}`]);
      }
    }
    const result = await processChunks(counting(), { pool, onChunk: () => processed++ });
    expect(result.chunks).toBe(40);
    expect(processed).toBe(40);
    // asyncStream refills a freed slot before handing over that slot's result, so at the moment
    // of a pull one finished chunk may not have reached onChunk yet: the bound is size + 1.
    expect(mostAhead).toBeLessThanOrEqual(pool.size + 1);
    expect(mostAhead).toBeGreaterThan(1); // chunks really were in flight together
  });

  it('reads the file lazily: pulling one chunk reads about one buffer, not the file', async () => {
    const file = join(dir, 'big.csv');
    await writeSampleCsv(file, 100_000);
    const size = statSync(file).size;
    const stream = createReadStream(file, { highWaterMark: 1024 });
    const chunks = readChunks(stream, 100);
    const first = await chunks.next();
    expect(first.value?.index).toBe(0);
    expect(first.value?.lineNos.slice(0, 3)).toEqual([1, 2, 3]);
    await sleep(50); // give the stream every chance to read ahead
    // readline buffers up to ~1024 lines while paused: ~25 kB of a 2.4 MB file.
    expect(stream.bytesRead).toBeLessThan(64 * 1024);
    expect(stream.bytesRead).toBeLessThan(size / 20);
    await chunks.return(undefined);
    expect(stream.destroyed).toBe(true); // leaving early closes the file
  });

  it('rejects a bad chunk size, naming it and the value', async () => {
    await expect(processFileSequential(join(dir, 'mixed.csv'), { chunkSize: 0 })).rejects.toThrow(
      'Expected `chunkSize` to be a positive integer, got `0`',
    );
  });

  it('writes reproducible sample data in the seed format', async () => {
    const [a, b] = [join(dir, 'a.csv'), join(dir, 'b.csv')];
    await writeSampleCsv(a, 10, { malformedEvery: 5, seed: 7 });
    await writeSampleCsv(b, 10, { malformedEvery: 5, seed: 7 });
    const text = await readFile(a, 'utf8');
    expect(text).toBe(await readFile(b, 'utf8'));
    const lines = text.trimEnd().split('\n');
    expect(lines).toHaveLength(10);
    expect(lines[0]).toMatch(/^1,\d+(\.\d+)?(e-\d+)?$/);
    expect(lines.filter((l) => !/^\d+,[\d.e-]+$/.test(l))).toHaveLength(2);
  });
});
