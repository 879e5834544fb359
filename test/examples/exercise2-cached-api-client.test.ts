import { afterEach, describe, expect, it, vi } from 'vitest';
import {
  CachedApiClient,
  ManualClock,
  simulatedFetch,
  type CachedApiClientOptions,
  type Fetcher,
} from '../../examples/exercise2-cached-api-client.js';
import { Agent, ShutdownError, StoppedError, TaskTimeoutError } from '../../src/runtime/index.js';
import type { Process } from '../../src/runtime/index.js';

const URL_A = 'https://api.example.com/users';
const URL_B = 'https://api.example.com/orders';

/** A fetcher whose calls the test settles by hand. */
function manualFetcher(): {
  fetcher: Fetcher<string>;
  calls: string[];
  resolve: (i: number, data: string) => void;
  reject: (i: number, err: Error) => void;
} {
  const calls: string[] = [];
  const settle: { resolve: (v: string) => void; reject: (e: Error) => void }[] = [];
  return {
    calls,
    fetcher: (url) =>
      new Promise<string>((resolve, reject) => {
        calls.push(url);
        settle.push({ resolve, reject });
      }),
    resolve: (i, data) => settle[i]!.resolve(data),
    reject: (i, err) => settle[i]!.reject(err),
  };
}

/** A fetcher answering at once, counting its calls. */
function countingFetcher(): { fetcher: Fetcher<string>; calls: string[] } {
  const calls: string[] = [];
  return {
    calls,
    fetcher: (url) => {
      calls.push(url);
      return Promise.resolve(`data ${calls.length} for ${url}`);
    },
  };
}

const clients: Process[] = [];
/** Starts a client that afterEach stops. */
async function start(opts: CachedApiClientOptions<string> = {}): Promise<CachedApiClient<string>> {
  const client = await CachedApiClient.start({ ...opts, fetcher: opts.fetcher ?? simulatedFetch });
  clients.push(client);
  return client;
}

afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => c.stop()));
  vi.restoreAllMocks();
  vi.useRealTimers();
});

describe('exercise 2: a cached API client on a Table', () => {
  it('fetches on the first call and serves the cache on the second, counting hits and misses', async () => {
    const clock = new ManualClock();
    const { fetcher, calls } = countingFetcher();
    const client = await start({ ttl: 10_000, fetcher, now: clock.now });
    expect(await client.fetch(URL_A)).toEqual({ data: `data 1 for ${URL_A}`, source: 'fetched' });
    clock.advance(5000);
    expect(await client.fetch(URL_A)).toEqual({ data: `data 1 for ${URL_A}`, source: 'cache' });
    expect(calls).toEqual([URL_A]);
    const stats = client.stats();
    expect(stats).toMatchObject({ size: 1, ttl: 10_000, hits: 1, misses: 1 });
    expect(stats.memory).toBeGreaterThan(0);
  });

  it('serves a hit straight from the table: no Agent call, no fetch', async () => {
    const { fetcher, calls } = countingFetcher();
    const client = await start({ fetcher });
    await client.fetch(URL_A);
    const spies = (['get', 'update', 'getAndUpdate', 'cast'] as const).map((m) =>
      vi.spyOn(Agent.prototype, m),
    );
    expect(await client.fetch(URL_A)).toMatchObject({ source: 'cache' });
    for (const spy of spies) expect(spy).not.toHaveBeenCalled();
    expect(calls).toHaveLength(1);
    // The spies do see the serialized section when there is one: a miss enters it once.
    await client.fetch(URL_B);
    expect(spies[2]).toHaveBeenCalledTimes(1);
  });

  it('makes one fetch for concurrent misses on one URL (single flight), and fetches other URLs side by side', async () => {
    const f = manualFetcher();
    const client = await start({ fetcher: f.fetcher });
    const a = Array.from({ length: 10 }, () => client.fetch(URL_A));
    const b = client.fetch(URL_B);
    await vi.waitFor(() => expect(f.calls).toEqual([URL_A, URL_B]));
    // Both fetches are in flight at once: the seed's server fetched inside handle_call, one at a time.
    f.resolve(1, 'orders');
    f.resolve(0, 'users');
    expect(await Promise.all(a)).toEqual(Array(10).fill({ data: 'users', source: 'fetched' }));
    expect(await b).toEqual({ data: 'orders', source: 'fetched' });
    expect(client.stats()).toMatchObject({ size: 2, hits: 0, misses: 11 });
    expect(await client.fetch(URL_A)).toEqual({ data: 'users', source: 'cache' });
    expect(f.calls).toHaveLength(2);
  });

  it('does not cache a failure, and hands it to every caller waiting on that fetch', async () => {
    const f = manualFetcher();
    const client = await start({ fetcher: f.fetcher });
    const waiting = Array.from({ length: 3 }, () => client.fetch(URL_A));
    await vi.waitFor(() => expect(f.calls).toHaveLength(1));
    const boom = new Error('503 from upstream');
    f.reject(0, boom);
    for (const w of waiting) await expect(w).rejects.toBe(boom);
    expect(client.stats().size).toBe(0);
    const retry = client.fetch(URL_A); // the failed fetch is forgotten: a new one starts
    await vi.waitFor(() => expect(f.calls).toHaveLength(2));
    f.resolve(1, 'users');
    expect(await retry).toEqual({ data: 'users', source: 'fetched' });
  });

  it('expires an entry after the TTL: fresh at exactly the TTL, fetched again 1 ms later', async () => {
    const clock = new ManualClock(1_000_000);
    const { fetcher, calls } = countingFetcher();
    const client = await start({ ttl: 10_000, fetcher, now: clock.now });
    await client.fetch(URL_A);
    clock.advance(10_000);
    expect(await client.fetch(URL_A)).toMatchObject({ source: 'cache' });
    clock.advance(1);
    expect(await client.fetch(URL_A)).toEqual({ data: `data 2 for ${URL_A}`, source: 'fetched' });
    expect(calls).toHaveLength(2);
  });

  it('completes a miss whose freshness check runs inside the serialized section (the seed deadlocks)', async () => {
    // The seed: handle_call({:fetch_and_cache, url}) calls get_cached, whose fresh? does
    // GenServer.call(__MODULE__, :get_ttl): a call from the server to itself, which cannot be
    // answered while the server is busy with the first. Here a stale row sends the miss into the
    // Agent's section, which checks freshness again there, and the miss still completes.
    vi.useFakeTimers();
    const clock = new ManualClock();
    let inside = false;
    let clockReadsInside = 0;
    const now = (): number => {
      if (inside) clockReadsInside++;
      return clock.now();
    };
    const getAndUpdate = Agent.prototype.getAndUpdate;
    vi.spyOn(Agent.prototype, 'getAndUpdate').mockImplementation(function (this: Agent<unknown>, fn) {
      inside = true; // the client's function runs synchronously in here: the Agent is idle
      try {
        return getAndUpdate.call(this, fn);
      } finally {
        inside = false;
      }
    });
    const client = await start({ ttl: 1000, now }); // the default 100 ms fetcher
    const first = client.fetch(URL_A);
    await vi.advanceTimersByTimeAsync(100);
    expect(await first).toMatchObject({ source: 'fetched' });
    clock.advance(1001); // the row is stale, but still in the table
    clockReadsInside = 0;
    const second = client.fetch(URL_A);
    expect(clockReadsInside).toBe(1); // the stale row's freshness was checked inside the section
    await vi.advanceTimersByTimeAsync(100);
    expect(await second).toEqual({ data: `Data from ${URL_A}`, source: 'fetched' });
  });

  it('shows the seed pattern itself never completes: an Agent function awaiting a call on its own Agent', async () => {
    vi.useFakeTimers();
    const server = await Agent.start(() => ({ ttl: 10 }));
    let answered = false;
    const selfCall = server
      .get(async () => {
        const ttl = await server.get((s) => s.ttl); // queued behind the function that awaits it
        answered = true;
        return ttl;
      })
      .catch((err: unknown) => err);
    await vi.advanceTimersByTimeAsync(60_000);
    expect(answered).toBe(false);
    const stopping = server.stop(0);
    await vi.runAllTimersAsync();
    await stopping;
    expect(await selfCall).toBeInstanceOf(StoppedError);
  });

  it('sweeps stale rows periodically with selectDelete, and leaves no timer after stop', async () => {
    vi.useFakeTimers();
    const clock = new ManualClock();
    const { fetcher } = countingFetcher();
    const client = await CachedApiClient.start({ ttl: 1000, sweepInterval: 5000, fetcher, now: clock.now });
    await client.fetch(URL_A);
    clock.advance(800);
    await client.fetch(URL_B);
    clock.advance(300); // A is 1100 ms old (stale), B 300 ms (fresh)
    expect(client.stats().size).toBe(2);
    await vi.advanceTimersByTimeAsync(4999);
    expect(client.stats().size).toBe(2); // not swept before the interval
    await vi.advanceTimersByTimeAsync(1);
    expect(client.stats().size).toBe(1);
    expect(await client.fetch(URL_B)).toMatchObject({ source: 'cache' });
    clock.advance(10_000);
    expect(client.sweep()).toBe(1);
    expect(vi.getTimerCount()).toBe(1);
    await client.stop();
    expect(vi.getTimerCount()).toBe(0);
  });

  it('clears every row; a fetch in flight across the clear answers but is not cached', async () => {
    const f = manualFetcher();
    const client = await start({ fetcher: f.fetcher });
    const a = client.fetch(URL_A);
    await vi.waitFor(() => expect(f.calls).toHaveLength(1));
    f.resolve(0, 'users');
    await a;
    const b = client.fetch(URL_B);
    await vi.waitFor(() => expect(f.calls).toHaveLength(2));
    client.clear();
    f.resolve(1, 'orders');
    expect(await b).toEqual({ data: 'orders', source: 'fetched' });
    expect(client.stats().size).toBe(0);
  });

  it('fails a fetch that outlives fetchTimeout with TaskTimeoutError, uncached', async () => {
    vi.useFakeTimers();
    const client = await start({ fetchTimeout: 2000, fetcher: () => new Promise<string>(() => {}) });
    const waiting = [client.fetch(URL_A), client.fetch(URL_A)].map((p) => p.catch((e: unknown) => e));
    await vi.advanceTimersByTimeAsync(2000);
    const [e1, e2] = await Promise.all(waiting);
    expect(e1).toBeInstanceOf(TaskTimeoutError);
    expect(e2).toBe(e1);
    expect(client.stats().size).toBe(0);
  });

  it('stops: fetches in flight fail with ShutdownError, later calls with StoppedError, the table is dropped', async () => {
    const f = manualFetcher();
    const client = await CachedApiClient.start({ fetcher: f.fetcher });
    const inFlight = client.fetch(URL_A).catch((e: unknown) => e);
    await vi.waitFor(() => expect(f.calls).toHaveLength(1));
    await client.stop();
    expect(await inFlight).toBeInstanceOf(ShutdownError);
    await expect(client.fetch(URL_A)).rejects.toBeInstanceOf(StoppedError);
    expect(() => client.stats()).toThrow(StoppedError);
    expect(await client.exited).toEqual({ kind: 'shutdown' });
    await client.stop(); // idempotent
  });

  it('rejects bad arguments, naming them and the value', async () => {
    await expect(CachedApiClient.start({ ttl: -1 })).rejects.toThrow(
      'Expected `ttl` to be a non-negative number of milliseconds, got `-1` (number)',
    );
    await expect(CachedApiClient.start({ sweepInterval: Number.NaN })).rejects.toThrow('`sweepInterval`');
    const client = await start();
    await expect(client.fetch('')).rejects.toThrow(
      'Expected `url` to be a non-empty string, got `""` (string)',
    );
  });
});
