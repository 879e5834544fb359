/**
 * Two indexes of the memory store that every job passes through once but that only the rare
 * walks read (listJobs, pruneJobs), built so that the hot path adds almost nothing per job:
 * no B+ tree row per job, and few objects a garbage collector must copy. Measured on
 * bench/store.bench.ts: a per-job ordered_set row in each cost a B+ tree insert per job, and
 * their rows were most of what each finished job kept alive besides its record (young-generation
 * GC copies every survivor, so that cost grew with the store).
 */
import { Table } from '../runtime/table/index.js';

/** Seqs per page of IdPages. */
const PAGE = 1024;

/**
 * Which ids are in use, by pages of 1024 consecutive seqs: an ordered_set of the pages holding
 * at least one job, and a live count per page. listJobs walks the pages in order and, within one,
 * every seq (the caller skips those that are gone), so a listing costs at most a page of misses
 * per page it touches. A page row is written once per 1024 inserts, not per job.
 */
export class IdPages {
  readonly #pages = Table.new<[page: number]>({ type: 'ordered_set', access: 'private' });
  /** Live jobs per page, indexed by page (seqs are dense, so this array is too). */
  readonly #live: number[] = [];

  /** Notes a job with `seq`. */
  add(seq: number): void {
    const page = Math.floor(seq / PAGE);
    const n = this.#live[page] ?? 0;
    if (n === 0) this.#pages.insert([page]);
    this.#live[page] = n + 1;
  }

  /** Notes that the job with `seq` is gone. */
  remove(seq: number): void {
    const page = Math.floor(seq / PAGE);
    const n = (this.#live[page] ?? 1) - 1;
    this.#live[page] = n;
    if (n === 0) this.#pages.delete(page);
  }

  /** Every seq of the live pages, in order (`desc`: newest first), strictly after `from` when given. */
  *seqs(from: number | undefined, desc: boolean): Generator<number> {
    let page = (
      from === undefined ? (desc ? this.#pages.last() : this.#pages.first()) : Math.floor(from / PAGE)
    ) as number | undefined;
    while (page !== undefined) {
      if ((this.#live[page] ?? 0) > 0) {
        if (desc) {
          const start = from !== undefined && from <= (page + 1) * PAGE ? from - 1 : (page + 1) * PAGE - 1;
          for (let seq = start; seq >= page * PAGE; seq--) yield seq;
        } else {
          const start = from !== undefined && from >= page * PAGE ? from + 1 : page * PAGE;
          for (let seq = start; seq < (page + 1) * PAGE; seq++) yield seq;
        }
      }
      page = (desc ? this.#pages.prev(page) : this.#pages.next(page)) as number | undefined;
    }
  }

  /** The live pages, in order (for tests). */
  toList(): number[] {
    return this.#pages.toList().map(([page]) => page);
  }

  /** Drops the table (the store is closed). */
  drop(): void {
    this.#pages.drop();
  }
}

/** One finish: the chunk it was logged in, and which job. */
export type FinishRow = [chunk: number, seq: number];

/** A chunk of the finish log: the time its jobs finished, and its number. */
export type ChunkKey = readonly [at: number, chunk: number];

/** Most rows per chunk, so that a prune never takes (and puts back) more than this beyond its limit. */
const CHUNK = 256;

/**
 * Finished jobs by the time they finished, for pruneJobs (oldest first), in chunks: a
 * duplicate_bag of `[chunk, seq]` rows keyed by the chunk number (a hash append per finish), and
 * an ordered_set of the chunks keyed `[finishedAt, chunk]` (one B+ tree insert per chunk, opened
 * when the time changes or the chunk holds CHUNK rows), so a busy millisecond costs one tree row,
 * not one per job.
 *
 * Entries are never removed one by one: a job that is retried or deleted leaves a stale row,
 * which pruneJobs drops when it reaches that chunk (it checks each row against the job's current
 * state and finishedAt). Removing a row from a bag costs O(rows of the chunk); skipping it later
 * costs nothing on the paths that retry or delete.
 */
export class FinishLog {
  readonly #rows = Table.new<FinishRow>({ type: 'duplicate_bag', access: 'private' });
  readonly #chunks = Table.new<[key: ChunkKey]>({ type: 'ordered_set', access: 'private' });
  /** The chunk being filled: its number, time and row count (0 rows: none is open). */
  #chunk = 0;
  #chunkAt = 0;
  #chunkRows = CHUNK;

  /** Logs that job `seq` finished at `at`. */
  add(at: number, seq: number): void {
    if (this.#chunkRows >= CHUNK || at !== this.#chunkAt) {
      this.#chunk++;
      this.#chunkAt = at;
      this.#chunkRows = 0;
      this.#chunks.insert([[at, this.#chunk]]);
    }
    this.#rows.insert([this.#chunk, seq]);
    this.#chunkRows++;
  }

  /** The oldest chunk, or undefined. */
  first(): ChunkKey | undefined {
    return this.#chunks.first() as ChunkKey | undefined;
  }

  /** The chunk after `key`, or undefined. */
  next(key: ChunkKey): ChunkKey | undefined {
    return this.#chunks.next(key) as ChunkKey | undefined;
  }

  /** Removes and returns the rows of a chunk, in the order they were logged. */
  take(key: ChunkKey): FinishRow[] {
    this.#chunks.delete(key);
    // The chunk being filled is closed: later finishes open a new one.
    if (key[1] === this.#chunk) this.#chunkRows = CHUNK;
    return this.#rows.take(key[1]);
  }

  /** Puts back rows of a chunk that `take` returned (and that are still wanted). */
  putBack(key: ChunkKey, rows: readonly FinishRow[]): void {
    if (rows.length === 0) return;
    if (!this.#rows.member(key[1])) this.#chunks.insert([key]);
    this.#rows.insertMany(rows);
  }

  /** Every logged finish as `[at, seq]`, oldest chunk first (for tests). */
  toList(): [at: number, seq: number][] {
    return this.#chunks
      .toList()
      .flatMap(([[at, chunk]]) => this.#rows.lookup(chunk).map(([, seq]): [number, number] => [at, seq]));
  }

  /** Drops the tables (the store is closed). */
  drop(): void {
    this.#rows.drop();
    this.#chunks.drop();
  }
}
