/**
 * Exercise 1 — a parallel data pipeline. A CSV file of `timestamp,value` lines is streamed
 * line by line (never whole in memory), trimmed, stripped of blank lines and cut into chunks
 * of 100, lazily; `Task.asyncStream` hands the chunks to a ThreadPool, one per thread at a
 * time, and the per-chunk aggregates are merged as they finish.
 *
 * Where the seed falls short, ours does not: a malformed line is a counted error (its
 * `parse_line` crashes the chunk); a chunk that runs past its timeout has its thread killed
 * and is reported by number while the run goes on; and the merged sum is exact, so the
 * parallel aggregate equals the sequential one whatever order the chunks finish in.
 *
 * Run: npx tsx examples/exercise1-data-pipeline.ts [lines]
 */
import { once } from 'node:events';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import type { Readable } from 'node:stream';
import { Task, TaskTimeoutError, ThreadPool } from '../src/runtime/index.js';
import { isMain } from './support/is-main.js';
import { emptyAggregate, mergeAggregates, processChunk } from './support/pipeline-worker.js';
import type { Chunk, ChunkAggregate, LineError } from './support/pipeline-worker.js';
import { seededRandom } from '../src/testing/index.js';

export type { Chunk, ChunkAggregate, LineError } from './support/pipeline-worker.js';

/** The worker module the pool runs. */
export const WORKER = new URL('./support/pipeline-worker.ts', import.meta.url);

/** A chunk that did not produce an aggregate: it timed out, or its call failed. */
export interface ChunkFailure {
  /** The chunk's position in the file, from 0. */
  readonly index: number;
  /** Its first and last line numbers in the file. */
  readonly firstLine: number;
  readonly lastLine: number;
  /** Why it failed. */
  readonly reason: string;
}

/** A whole file's result: the merged aggregate plus what could not be aggregated. */
export interface PipelineResult {
  /** Valid readings (value > 0). */
  readonly count: number;
  /** Their values' sum, exact then rounded once, so independent of chunk order. */
  readonly sum: number;
  /** Readings per category. */
  readonly categories: ChunkAggregate['categories'];
  /** Parsed lines dropped by `valid?` (value ≤ 0). */
  readonly filtered: number;
  /** Malformed lines. */
  readonly errors: number;
  /** The first malformed lines, by line number. */
  readonly errorSamples: readonly LineError[];
  /** Non-blank lines read. */
  readonly lines: number;
  /** Chunks read. */
  readonly chunks: number;
  /** Chunks killed at their timeout, by index (their lines are not in the aggregate). */
  readonly timedOut: readonly ChunkFailure[];
  /** Chunks whose call failed otherwise (a crashed thread, say). */
  readonly failed: readonly ChunkFailure[];
}

/** Options of {@link processChunks} and {@link processFile}. */
export interface PipelineOptions {
  /** The pool to run chunks on; it is left running. @default a pool of `size` threads, stopped at the end */
  pool?: ThreadPool;
  /** Threads of the pool started when none is given. @default os.availableParallelism() */
  size?: number;
  /** Lines per chunk. @default 100 */
  chunkSize?: number;
  /** Ms a chunk may run before its thread is killed and the chunk reported as timed out. @default 30000 */
  timeout?: number;
  /** The worker export that processes a chunk. @default 'processChunk' */
  fnName?: 'processChunk' | 'processChunkOrSpin';
  /**
   * Chunks in flight at once. Above `pool.size` the extra ones wait in the pool's queue, so
   * a thread finds its next chunk there instead of idling through a round trip to the main
   * thread; their wait then counts toward their `timeout`. @default pool.size
   */
  maxConcurrency?: number;
  /** Called once per chunk outcome, in completion order (progress, tests). */
  onChunk?: (outcome: { index: number; aggregate?: ChunkAggregate; failure?: ChunkFailure }) => void;
}

/**
 * The file's (or stream's) lines, trimmed, blank ones skipped, in chunks of `size` (the last
 * may be shorter), each line with its 1-based number. Lazy: readline reads a buffer at a time
 * and pauses the stream while lines wait, so only what the consumer has pulled (plus about a
 * buffer) is in memory. One generator, not one per step, because each async-generator hop
 * costs a promise per line, as much as parsing the line does.
 */
export async function* readChunks(input: string | Readable, size = 100): AsyncGenerator<Chunk> {
  if (!Number.isInteger(size) || size < 1) {
    throw new TypeError(`Expected \`chunkSize\` to be a positive integer, got \`${String(size)}\``);
  }
  const stream = typeof input === 'string' ? createReadStream(input, { encoding: 'utf8' }) : input;
  const rl = createInterface({ input: stream, crlfDelay: Infinity });
  let index = 0;
  let lineNo = 0;
  let lineNos: number[] = [];
  let lines: string[] = [];
  try {
    for await (const raw of rl) {
      lineNo++;
      const line = raw.trim();
      if (line === '') continue;
      lineNos.push(lineNo);
      lines.push(line);
      if (lines.length === size) {
        yield { index: index++, lineNos, lines };
        lineNos = [];
        lines = [];
      }
    }
    if (lines.length > 0) yield { index, lineNos, lines };
  } finally {
    rl.close();
    stream.destroy(); // leaving early must not leave the file open
  }
}

/** Starts a pool running the pipeline's worker module. */
export function startPipelinePool(size = availableParallelism()): ThreadPool {
  return ThreadPool.start({ filename: WORKER, size, name: 'pipeline' });
}

/** Boots every thread of `pool` (tsx compiles the module on each), so timings measure work, not start-up. */
export async function warmUp(pool: ThreadPool): Promise<void> {
  const empty: Chunk = { index: -1, lineNos: [], lines: [] };
  await Promise.all(Array.from({ length: pool.size }, () => pool.run('processChunk', empty)));
}

/**
 * Processes `chunks` on the pool, `pool.size` at a time, and merges their aggregates. Never
 * throws for bad lines or failed chunks: those are counted and reported in the result.
 */
export async function processChunks(
  chunks: AsyncIterable<Chunk> | Iterable<Chunk>,
  opts: PipelineOptions = {},
): Promise<PipelineResult> {
  const { timeout = 30_000, fnName = 'processChunk', onChunk } = opts;
  const pool = opts.pool ?? startPipelinePool(opts.size);
  const maxConcurrency = opts.maxConcurrency ?? pool.size;
  // asyncStream yields a failure without its item, so each failure's chunk is looked up by its reason.
  const chunkOf = new WeakMap<Error, Chunk>();
  let total = emptyAggregate();
  let lines = 0;
  let count = 0;
  const timedOut: ChunkFailure[] = [];
  const failed: ChunkFailure[] = [];
  try {
    const results = Task.asyncStream(
      chunks,
      (chunk: Chunk, signal: AbortSignal) => {
        lines += chunk.lines.length;
        count++;
        // The stream's timeout aborts `signal` with a TaskTimeoutError, which kills the thread;
        // the pool gets no timeout of its own, so there is one clock per chunk, not two racing.
        signal.addEventListener('abort', () => chunkOf.set(signal.reason as Error, chunk), { once: true });
        return pool.run<ChunkAggregate>(fnName, chunk, { signal }).then(
          (aggregate) => ({ index: chunk.index, aggregate }),
          (err: unknown) => {
            if (err instanceof Error) chunkOf.set(err, chunk);
            throw err;
          },
        );
      },
      // Unordered: merging is exact and commutative, and a slow chunk must not hold back the rest.
      { maxConcurrency, ordered: false, timeout, onTimeout: 'kill' },
    );
    for await (const result of results) {
      if (result.ok) {
        total = mergeAggregates(total, result.value.aggregate);
        onChunk?.(result.value);
        continue;
      }
      const chunk = chunkOf.get(result.reason);
      const failure: ChunkFailure = {
        index: chunk?.index ?? -1,
        firstLine: chunk?.lineNos[0] ?? -1,
        lastLine: chunk?.lineNos.at(-1) ?? -1,
        reason: `${result.reason.name}: ${result.reason.message}`,
      };
      (result.reason instanceof TaskTimeoutError ? timedOut : failed).push(failure);
      onChunk?.({ index: failure.index, failure });
    }
  } finally {
    if (!opts.pool) await pool.stop();
  }
  const { sumPartials: _partials, ...aggregate } = total;
  return {
    ...aggregate,
    lines,
    chunks: count,
    timedOut: timedOut.sort((a, b) => a.index - b.index),
    failed: failed.sort((a, b) => a.index - b.index),
  };
}

/** Streams `input` (a path or a readable stream) through the pool; see {@link processChunks}. */
export function processFile(input: string | Readable, opts: PipelineOptions = {}): Promise<PipelineResult> {
  return processChunks(readChunks(input, opts.chunkSize ?? 100), opts);
}

/** The same pipeline on the main thread, one chunk after another: the reference result. */
export async function processFileSequential(
  input: string | Readable,
  opts: Pick<PipelineOptions, 'chunkSize'> = {},
): Promise<PipelineResult> {
  let total = emptyAggregate();
  let lines = 0;
  let chunks = 0;
  for await (const chunk of readChunks(input, opts.chunkSize ?? 100)) {
    lines += chunk.lines.length;
    chunks++;
    total = mergeAggregates(total, processChunk(chunk));
  }
  const { sumPartials: _partials, ...aggregate } = total;
  return { ...aggregate, lines, chunks, timedOut: [], failed: [] };
}

/** Options of {@link writeSampleCsv}. */
export interface SampleOptions {
  /** Every n-th line is malformed (cycling through a few kinds of bad line). @default never */
  malformedEvery?: number;
  /** Every n-th line is blank. @default never */
  blankEvery?: number;
  /** Every n-th line has a value ≤ 0 (dropped by `valid?`). @default never */
  nonPositiveEvery?: number;
  /** Seed of the value generator, so a file can be made again identically. @default 1 */
  seed?: number;
}

const MALFORMED = ['oops', '12,abc', '1,2,3', 'x,50.5', ',', '7;42.0'];

/** Writes the seed's test data, `i,<uniform 0-100>` per line, with optional bad, blank and ≤ 0 lines. */
export async function writeSampleCsv(path: string, lines: number, opts: SampleOptions = {}): Promise<void> {
  const { malformedEvery = 0, blankEvery = 0, nonPositiveEvery = 0, seed = 1 } = opts;
  const random = seededRandom(seed);
  const out = createWriteStream(path, { encoding: 'utf8' });
  let batch = '';
  for (let i = 1; i <= lines; i++) {
    if (malformedEvery > 0 && i % malformedEvery === 0) batch += `${MALFORMED[i % MALFORMED.length]}\n`;
    else if (blankEvery > 0 && i % blankEvery === 0) batch += '   \n';
    else if (nonPositiveEvery > 0 && i % nonPositiveEvery === 0) batch += `${i},${-random() * 10}\n`;
    else batch += `${i},${random() * 100}\n`;
    if (batch.length >= 64 * 1024) {
      const flowing = out.write(batch);
      batch = '';
      if (!flowing) await once(out, 'drain');
    }
  }
  out.end(batch);
  await once(out, 'finish');
}

/** Prints a result without its error samples' bulk. */
function show(label: string, r: PipelineResult, ms: number): void {
  const sum = r.sum.toFixed(6);
  console.log(
    `${label}: ${ms.toFixed(0)} ms; count ${r.count}, sum ${sum}, categories ${JSON.stringify(r.categories)},` +
      ` errors ${r.errors}, filtered ${r.filtered}, chunks ${r.chunks}, timed out ${r.timedOut.length}`,
  );
}

/** Writes a sample file, runs it sequentially and on every core, and prints both and the speed-up. */
export async function main(lineCount = 100_000): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'steward-ex1-'));
  const file = join(dir, 'data.csv');
  const pool = startPipelinePool();
  try {
    await writeSampleCsv(file, lineCount, { malformedEvery: 997, blankEvery: 101, nonPositiveEvery: 50 });
    console.log(`wrote ${lineCount} lines to ${file}; ${pool.size} threads`);

    let start = performance.now();
    const seq = await processFileSequential(file);
    show('sequential (main thread)', seq, performance.now() - start);

    start = performance.now();
    await warmUp(pool);
    console.log(`pool start-up (tsx on ${pool.size} threads): ${(performance.now() - start).toFixed(0)} ms`);

    start = performance.now();
    const par = await processFile(file, { pool });
    const parMs = performance.now() - start;
    show(`parallel (${pool.size} threads)`, par, parMs);

    start = performance.now();
    await processFileSequential(file);
    const seqMs = performance.now() - start; // measured again, warm, right beside the parallel run
    const same = JSON.stringify(seq) === JSON.stringify(par);
    console.log(`aggregates equal: ${same}; first errors: ${JSON.stringify(par.errorSamples.slice(0, 2))}`);
    console.log(
      `speed-up (warm sequential ${seqMs.toFixed(0)} ms / parallel): ${(seqMs / parMs).toFixed(2)}x`,
    );

    // The seed's per-line work is tiny (~2 µs) next to a message round trip per chunk, and the
    // main thread's reading costs about as much as the work it hands out; bigger chunks amortize
    // the messages, but only spare cores make the threads pay.
    for (const chunkSize of [1000, 5000]) {
      start = performance.now();
      await processFileSequential(file, { chunkSize });
      const s = performance.now() - start;
      start = performance.now();
      await processFile(file, { pool, chunkSize });
      const p = performance.now() - start;
      console.log(
        `chunks of ${chunkSize}: sequential ${s.toFixed(0)} ms, parallel ${p.toFixed(0)} ms (${(s / p).toFixed(2)}x)`,
      );
    }

    // A runaway chunk: its thread is killed at the timeout, it is reported, and the run goes on.
    const spin = await processChunks(
      [
        { index: 0, lineNos: [1, 2], lines: ['1,10.5', '2,70'] },
        { index: 1, lineNos: [3], lines: ['#spin-forever'] },
        { index: 2, lineNos: [4], lines: ['4,40'] },
      ],
      { pool, fnName: 'processChunkOrSpin', timeout: 1000 },
    );
    console.log(`runaway chunk: count ${spin.count}, timed out ${JSON.stringify(spin.timedOut)}`);
  } finally {
    await pool.stop();
    await rm(dir, { recursive: true, force: true });
  }
}

if (isMain(import.meta.url)) await main(Number(process.argv[2] ?? 100_000));
