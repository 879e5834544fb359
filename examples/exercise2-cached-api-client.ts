/**
 * Exercise 2 — a cached API client: responses in a `Table` (`[url, data, cachedAt]`), served
 * with a TTL, swept periodically, counted in stats.
 *
 * Where the seed goes wrong, ours does not:
 * - Its `fresh?` asks the GenServer for the TTL (`GenServer.call(__MODULE__, :get_ttl)`), and
 *   its `handle_call({:fetch_and_cache, url})` calls `get_cached`, hence `fresh?`: the server
 *   calls itself from inside its own callback. That call can never be answered (Elixir exits
 *   with `:calling_self`, crashing the server; on our Agent it would wait forever). Here the
 *   TTL is a plain field read by a plain function, so checking freshness needs no server.
 * - Its server fetches inside `handle_call`, so every miss, for any URL, waits behind every
 *   other miss's 100 ms fetch. Here the serialized section only registers the fetch (single
 *   flight: concurrent misses for one URL share one fetch); fetches run outside it, side by side.
 * - A hit never goes through a server: the table is read in the caller (as the seed intends).
 *
 * Run: npx tsx examples/exercise2-cached-api-client.ts
 */
import { $1, Agent, ShutdownError, StoppedError, Table, Task, _ } from '../src/runtime/index.js';
import type { ExitReason, Process } from '../src/runtime/index.js';
import { isMain } from './support/is-main.js';

/** A cached response: the URL (the key), the data, and when it was stored (ms, by the client's clock). */
export type CacheRow<T> = [url: string, data: T, cachedAt: number];

/** What `fetch` returns: the data and where it came from. */
export interface FetchResult<T> {
  readonly data: T;
  /** `cache`: a fresh row; `fetched`: a fetch made (or joined) by this call. */
  readonly source: 'cache' | 'fetched';
}

/** What `stats` returns. */
export interface CacheStats {
  /** Rows in the table, stale ones not yet swept included. */
  readonly size: number;
  /** The table's estimated bytes. */
  readonly memory: number;
  /** The TTL, in ms. */
  readonly ttl: number;
  /** Calls served from a fresh row without entering the serialized section. */
  readonly hits: number;
  /** Calls that found no fresh row. */
  readonly misses: number;
}

/** Fetches a URL; should stop when `signal` aborts (at the fetch timeout, or when the client stops). */
export type Fetcher<T> = (url: string, signal: AbortSignal) => Promise<T>;

/** Options of `CachedApiClient.start`. */
export interface CachedApiClientOptions<T> {
  /** How long a row stays fresh, in ms: fresh while its age is at most this. @default 300000 (the seed's 300 s) */
  ttl?: number;
  /** Ms between sweeps deleting stale rows (Infinity: no sweeps). @default 60000 */
  sweepInterval?: number;
  /** Ms a fetch may take before it fails with TaskTimeoutError. @default 30000 (the seed's call timeout) */
  fetchTimeout?: number;
  /** Does the fetching. @default {@link simulatedFetch} (100 ms, like the seed's perform_fetch) */
  fetcher?: Fetcher<T>;
  /** The clock for `cachedAt` and ages, in ms; a test passes a ManualClock's `now`. @default Date.now */
  now?: () => number;
  /** A name for errors and the Agent. @default "cached-api-client" */
  name?: string;
}

/** The seed's perform_fetch: 100 ms of pretend HTTP, then `"Data from <url>"`. Stops early on abort. */
export function simulatedFetch(url: string, signal: AbortSignal): Promise<string> {
  return new Promise((resolve, reject) => {
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(signal.reason);
    };
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve(`Data from ${url}`);
    }, 100);
    signal.addEventListener('abort', onAbort, { once: true });
  });
}

/** A clock that moves only when told to: pass `clock.now` as the client's `now`. */
export class ManualClock {
  #time: number;

  /** Starts at `start` ms. @default 0 */
  constructor(start = 0) {
    this.#time = start;
  }

  /** The current time in ms (bound, so it can be passed around on its own). */
  readonly now = (): number => this.#time;

  /** Moves the clock forward by `ms`. */
  advance(ms: number): void {
    if (!(ms >= 0)) throw new TypeError(`Expected \`ms\` to be a non-negative number, got \`${ms}\``);
    this.#time += ms;
  }
}

/** The Agent's state: the fetches in flight, by URL (single flight). */
type InFlight<T> = Map<string, Promise<T>>;

/** What the serialized section decides for a miss: a row cached meanwhile, or the fetch to wait on. */
type MissStep<T> = { readonly cached: CacheRow<T> } | { readonly pending: Promise<T> };

/**
 * A caching API client. Each client owns its table through its Agent (a Process), so the
 * table is dropped when the client stops.
 * @example
 * const client = await CachedApiClient.start({ ttl: 10_000 });
 * await client.fetch('https://api.example.com/users'); // { data: 'Data from …', source: 'fetched' }
 * await client.fetch('https://api.example.com/users'); // { data: 'Data from …', source: 'cache' }
 * await client.stop();
 */
export class CachedApiClient<T> implements Process {
  /** The client's name. */
  readonly name: string;
  /** The TTL, in ms. */
  readonly ttl: number;
  /** Resolves once the client has stopped; never rejects. */
  readonly exited: Promise<ExitReason>;

  readonly #agent: Agent<InFlight<T>>;
  readonly #table: Table<CacheRow<T>>;
  readonly #fetcher: Fetcher<T>;
  readonly #fetchTimeout: number;
  readonly #now: () => number;
  /** Aborts every fetch in flight when the client stops. */
  readonly #stopping = new AbortController();
  #sweepTimer: ReturnType<typeof setInterval> | undefined;
  /** Bumped by `clear()`: a fetch begun before a clear returns its data but does not cache it. */
  #generation = 0;
  #hits = 0;
  #misses = 0;

  private constructor(agent: Agent<InFlight<T>>, opts: Required<CachedApiClientOptions<T>>) {
    this.#agent = agent;
    this.name = opts.name;
    this.ttl = opts.ttl;
    this.exited = agent.exited;
    this.#fetcher = opts.fetcher;
    this.#fetchTimeout = opts.fetchTimeout;
    this.#now = opts.now;
    this.#table = Table.new<CacheRow<T>>({ type: 'set', owner: agent });
    if (opts.sweepInterval <= 2 ** 31 - 1) {
      this.#sweepTimer = setInterval(() => this.sweep(), opts.sweepInterval);
      this.#sweepTimer.unref?.(); // a cache's housekeeping must not keep the process alive
    }
  }

  /** Starts a client with the default fetcher, whose data are strings. Throws a TypeError for bad options. */
  static start(opts?: Omit<CachedApiClientOptions<string>, 'fetcher'>): Promise<CachedApiClient<string>>;
  /** Starts a client with the given fetcher. Throws a TypeError for bad options. */
  static start<T>(opts: CachedApiClientOptions<T> & { fetcher: Fetcher<T> }): Promise<CachedApiClient<T>>;
  static async start<T>(opts: CachedApiClientOptions<T> = {}): Promise<CachedApiClient<T>> {
    const {
      ttl = 300_000,
      sweepInterval = 60_000,
      fetchTimeout = 30_000,
      fetcher = simulatedFetch as unknown as Fetcher<T>,
      now = Date.now,
      name = 'cached-api-client',
    } = opts;
    checkMs('ttl', ttl, false);
    checkMs('sweepInterval', sweepInterval, true);
    checkMs('fetchTimeout', fetchTimeout, true);
    if (typeof fetcher !== 'function') throw badArg('fetcher', 'a function', fetcher);
    if (typeof now !== 'function') throw badArg('now', 'a function', now);
    const agent = await Agent.start((): InFlight<T> => new Map(), { name });
    return new CachedApiClient(agent, { ttl, sweepInterval, fetchTimeout, fetcher, now, name });
  }

  /**
   * The data for `url`: from a fresh row if there is one (straight from the table, no server
   * round trip), else from a fetch, which concurrent callers for the same URL share. A failed
   * fetch is not cached and rejects every caller waiting on it. Rejects with StoppedError once
   * the client has stopped, with a TypeError for a bad `url`.
   */
  async fetch(url: string): Promise<FetchResult<T>> {
    if (typeof url !== 'string' || url === '') throw badArg('url', 'a non-empty string', url);
    if (this.#stopping.signal.aborted) throw new StoppedError(`cached API client "${this.name}"`);
    const row = this.#freshRow(url);
    if (row !== undefined) {
      this.#hits++;
      return { data: row[1], source: 'cache' };
    }
    this.#misses++;
    const step = await this.#agent.getAndUpdate<MissStep<T>>((inFlight) => {
      // Check again inside the serialized section, as the seed does. `#freshRow` is a plain
      // function reading a plain field: unlike the seed's `fresh?`, it never calls the server
      // it is running in (which would wait for itself). Nothing here awaits, so the Agent is
      // held for microseconds, never for a fetch.
      const cached = this.#freshRow(url);
      if (cached !== undefined) return [{ cached }, inFlight];
      let pending = inFlight.get(url);
      if (pending === undefined) {
        pending = this.#fetchAndStore(url);
        inFlight.set(url, pending);
        const done = pending;
        const forget = (): void => {
          if (this.#stopping.signal.aborted) return; // the Agent is stopping: its state goes anyway
          this.#agent.cast((m) => {
            if (m.get(url) === done) m.delete(url);
            return m;
          });
        };
        done.then(forget, forget);
      }
      return [{ pending }, inFlight];
    });
    if ('cached' in step) return { data: step.cached[1], source: 'cache' };
    return { data: await step.pending, source: 'fetched' };
  }

  /** Deletes the stale rows now (the periodic sweep calls this); returns how many. */
  sweep(): number {
    this.#assertRunning();
    const cutoff = this.#now() - this.ttl;
    return this.#table.selectDelete({ match: [_, _, $1], where: (b) => b.$1 < cutoff });
  }

  /** Size, memory, TTL and hit/miss counts. Throws StoppedError once stopped. */
  stats(): CacheStats {
    this.#assertRunning();
    const { size, memory } = this.#table.info();
    return { size, memory, ttl: this.ttl, hits: this.#hits, misses: this.#misses };
  }

  /** Deletes every row; fetches in flight still answer their callers but are not cached. */
  clear(): void {
    this.#assertRunning();
    this.#generation++;
    this.#table.deleteAllObjects();
  }

  /**
   * Stops the client: the sweep timer is cleared, fetches in flight are aborted (their callers
   * get ShutdownError), the Agent stops and the table is dropped with it. Idempotent.
   */
  async stop(graceMs = 5000): Promise<void> {
    if (!this.#stopping.signal.aborted) {
      clearInterval(this.#sweepTimer);
      this.#sweepTimer = undefined;
      this.#stopping.abort(new ShutdownError(`cached API client "${this.name}" stopped`));
    }
    await this.#agent.stop(graceMs);
  }

  /** The row for `url` if it is fresh: its age is at most the TTL (the seed's `ttl >= now - cached_at`). */
  #freshRow(url: string): CacheRow<T> | undefined {
    const row = this.#table.lookup(url)[0];
    return row !== undefined && this.#now() - row[2] <= this.ttl ? row : undefined;
  }

  /** One fetch, as a Task: bounded by the fetch timeout, aborted when the client stops. */
  async #fetchAndStore(url: string): Promise<T> {
    const generation = this.#generation;
    const task = Task.async((signal) => this.#fetcher(url, signal), {
      name: `fetch ${url}`,
      timeout: this.#fetchTimeout,
      signal: this.#stopping.signal,
    });
    const data = await task.await(Infinity);
    if (generation === this.#generation && !this.#stopping.signal.aborted) {
      this.#table.insert([url, data, this.#now()]);
    }
    return data;
  }

  #assertRunning(): void {
    if (this.#stopping.signal.aborted) throw new StoppedError(`cached API client "${this.name}"`);
  }
}

function checkMs(name: string, value: unknown, infinityOk: boolean): void {
  const ok = typeof value === 'number' && value >= 0 && (infinityOk || Number.isFinite(value));
  if (!ok)
    throw badArg(name, `a non-negative number of milliseconds${infinityOk ? ' (or Infinity)' : ''}`, value);
}

function badArg(name: string, expected: string, value: unknown): TypeError {
  const shown = typeof value === 'string' ? JSON.stringify(value) : String(value);
  return new TypeError(`Expected \`${name}\` to be ${expected}, got \`${shown}\` (${typeof value})`);
}

/** The seed's test, with a 1 s TTL instead of 10 s, plus five concurrent misses sharing one fetch. */
export async function main(ttl = 1000): Promise<void> {
  let fetches = 0;
  const client = await CachedApiClient.start({
    ttl,
    sweepInterval: ttl,
    fetcher: (url: string, signal: AbortSignal) => {
      fetches++;
      return simulatedFetch(url, signal);
    },
  });
  try {
    const url = 'https://api.example.com/users';
    const show = (r: FetchResult<string>): string => `${r.source}: ${r.data}`;
    console.log(show(await client.fetch(url)));
    console.log(show(await client.fetch(url)));
    console.log('stats', client.stats());
    await new Promise((resolve) => setTimeout(resolve, ttl + 100));
    console.log(`after the TTL: ${show(await client.fetch(url))}`);

    const before = fetches;
    const other = 'https://api.example.com/orders';
    const results = await Promise.all(Array.from({ length: 5 }, () => client.fetch(other)));
    console.log(
      `5 concurrent misses for one URL: ${fetches - before} fetch; ${results.map((r) => r.source)}`,
    );
    await new Promise((resolve) => setTimeout(resolve, 2 * ttl + 100)); // the sweep runs meanwhile
    console.log('after the sweep', client.stats());
  } finally {
    await client.stop();
  }
}

if (isMain(import.meta.url)) await main();
