import { afterEach, describe, expect, it, vi } from 'vitest';
import { Agent } from '../../src/runtime/agent.js';
import { StoppedError } from '../../src/runtime/errors.js';
import { deferred } from '../../src/runtime/internal/deferred.js';
import { onReport } from '../../src/runtime/report.js';
import type { RuntimeReport } from '../../src/runtime/report.js';

const started: Agent<unknown>[] = [];
const unsubscribes: (() => void)[] = [];

async function start<S>(init: () => S | Promise<S>, name?: string): Promise<Agent<S>> {
  const agent = await Agent.start(init, name === undefined ? {} : { name });
  started.push(agent as Agent<unknown>);
  return agent;
}

function collectReports(): RuntimeReport[] {
  const reports: RuntimeReport[] = [];
  unsubscribes.push(onReport((r) => reports.push(r)));
  return reports;
}

afterEach(async () => {
  vi.useRealTimers();
  await Promise.all(started.splice(0).map((a) => a.stop(0)));
  for (const off of unsubscribes.splice(0)) off();
});

describe('Agent.start', () => {
  it('holds the value init returns or resolves to', async () => {
    const a = await start(() => 41);
    const b = await start(async () => ({ n: 1 }));
    expect(await a.get()).toBe(41);
    expect(await b.get((s) => s.n)).toBe(1);
  });

  it('uses the given name, else a generated one', async () => {
    expect((await start(() => 0, 'counter')).name).toBe('counter');
    expect((await start(() => 0)).name).toMatch(/^agent-\d+$/);
  });

  it('rejects with the error init throws, wrapping non-Errors', async () => {
    await expect(Agent.start(() => Promise.reject(new Error('no db')))).rejects.toThrow('no db');
    const err = await Agent.start(() => {
      throw 'boom';
    }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Error);
    expect((err as Error).cause).toBe('boom');
  });
});

describe('Agent calls', () => {
  it('applies 10,000 concurrent async updates without losing one', async () => {
    const agent = await start(() => 0);
    const updates = Array.from({ length: 10_000 }, () =>
      agent.update(async (s) => {
        await Promise.resolve();
        return s + 1;
      }),
    );
    await Promise.all(updates);
    expect(await agent.get()).toBe(10_000);
  });

  it('applies mixed sync and async calls in arrival order', async () => {
    const agent = await start((): number[] => []);
    const log: number[] = [];
    const calls: Promise<unknown>[] = [];
    for (let i = 0; i < 60; i++) {
      if (i % 3 === 0) {
        calls.push(
          agent.update(async (s) => {
            await new Promise((r) => setImmediate(r));
            log.push(i);
            return [...s, i];
          }),
        );
      } else if (i % 3 === 1) {
        calls.push(
          agent.update((s) => {
            log.push(i);
            return [...s, i];
          }),
        );
      } else {
        calls.push(agent.get((s) => expect(s.at(-1)).toBe(i - 1)).then(() => log.push(i)));
      }
    }
    await Promise.all(calls);
    const expected = Array.from({ length: 60 }, (_, i) => i);
    expect(log).toEqual(expected);
    expect(await agent.get()).toEqual(expected.filter((i) => i % 3 !== 2));
  });

  it('holds a later sync call until an earlier async one has settled', async () => {
    const agent = await start(() => 'start');
    const gate = deferred<void>();
    const slow = agent.update(async (s) => {
      await gate.promise;
      return `${s}>slow`;
    });
    const fast = agent.update((s) => `${s}>fast`);
    const read = agent.get();
    gate.resolve();
    await Promise.all([slow, fast]);
    expect(await read).toBe('start>slow>fast');
  });

  it('applies a synchronous function at once when the agent is idle', async () => {
    const agent = await start(() => 1);
    let seen: number | undefined;
    const done = agent.update((s) => {
      seen = s;
      return s + 1;
    });
    expect(seen).toBe(1); // ran during the call, before any microtask
    await done;
    expect(await agent.get()).toBe(2);
  });

  it('queues a call made from inside a running function behind it', async () => {
    const agent = await start(() => 1);
    await agent.update((s) => {
      agent.cast((x) => x * 10);
      return s + 1;
    });
    expect(await agent.get()).toBe(20);
  });

  it('getAndUpdate resolves with the reply and sets the new state', async () => {
    const agent = await start(() => [3, 2, 1]);
    const top = await agent.getAndUpdate(([head, ...rest]) => [head, rest]);
    expect(top).toBe(3);
    expect(await agent.get()).toEqual([2, 1]);
    const next = await agent.getAndUpdate(async ([head, ...rest]) => [head, rest]);
    expect(next).toBe(2);
    expect(await agent.get()).toEqual([1]);
  });

  it('rejects a getAndUpdate that does not return a pair and keeps the state', async () => {
    const agent = await start(() => 5);
    const bad = agent.getAndUpdate((s) => s as unknown as [number, number]);
    await expect(bad).rejects.toThrow(
      'Expected `the result of the getAndUpdate function` to be a [reply, newState] pair, got `5` (number)',
    );
    expect(await agent.get()).toBe(5);
  });
});

describe('Agent failures', () => {
  it('rejects only the caller whose update throws, keeps the state, and keeps serving', async () => {
    const agent = await start(() => 10);
    const before = agent.update((s) => s + 1);
    const throwing = agent.update(() => {
      throw new Error('bad update');
    });
    const rejecting = agent.update(async () => {
      throw new Error('bad async update');
    });
    const after = agent.update((s) => s + 1);
    await expect(throwing).rejects.toThrow('bad update');
    await expect(rejecting).rejects.toThrow('bad async update');
    await Promise.all([before, after]);
    expect(await agent.get()).toBe(12);
  });

  it('rejects a throwing get or getAndUpdate with a wrapped non-Error, state unchanged', async () => {
    const agent = await start(() => 'kept');
    const err = await agent
      .get(() => {
        throw 7;
      })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Error);
    expect((err as Error).cause).toBe(7);
    await expect(agent.getAndUpdate(() => Promise.reject(new Error('nope')))).rejects.toThrow('nope');
    expect(await agent.get()).toBe('kept');
  });

  it('reports a failing cast and leaves the state unchanged', async () => {
    const reports = collectReports();
    const agent = await start(() => 1, 'casting');
    agent.cast(() => {
      throw new Error('sync cast failure');
    });
    agent.cast(async () => {
      throw new Error('async cast failure');
    });
    agent.cast((s) => s + 1);
    expect(await agent.get()).toBe(2);
    expect(reports.map((r) => [r.source, r.name, r.event, r.reason?.message])).toEqual([
      ['agent', 'casting', 'agent.cast_failed', 'sync cast failure'],
      ['agent', 'casting', 'agent.cast_failed', 'async cast failure'],
    ]);
  });
});

describe('Agent.stop', () => {
  it('finishes accepted calls, then refuses new ones with StoppedError', async () => {
    const agent = await start(() => 0, 'stopping');
    const gate = deferred<void>();
    const first = agent.update(async (s) => {
      await gate.promise;
      return s + 1;
    });
    const second = agent.getAndUpdate((s) => [s, s + 1]);
    const stopped = agent.stop();
    await expect(agent.get()).rejects.toThrow(StoppedError);
    await expect(agent.update((s) => s)).rejects.toThrow('agent "stopping" has stopped');
    gate.resolve();
    await first;
    expect(await second).toBe(1);
    await stopped;
    expect(await agent.exited).toEqual({ kind: 'shutdown' });
    expect(agent.stop()).toBe(stopped);
  });

  it('stops at once when idle and reports a cast that arrives afterwards', async () => {
    const reports = collectReports();
    const agent = await start(() => 0, 'idle');
    await agent.stop();
    agent.cast((s) => s + 1);
    expect(reports.map((r) => [r.event, r.reason?.name])).toEqual([['agent.cast_refused', 'StoppedError']]);
  });

  it('rejects calls still unfinished when the grace period ends, and ignores late results', async () => {
    vi.useFakeTimers();
    const reports = collectReports();
    const agent = await start(() => 0, 'graceful');
    const gate = deferred<number>();
    const stuck = agent.update(() => gate.promise).catch((e: unknown) => e);
    const queued = agent.get().catch((e: unknown) => e);
    agent.cast((s) => s + 1);
    const stopped = agent.stop(100);
    let done = false;
    void stopped.then(() => (done = true));
    await vi.advanceTimersByTimeAsync(99);
    expect(done).toBe(false);
    await vi.advanceTimersByTimeAsync(1);
    expect(await stuck).toBeInstanceOf(StoppedError);
    expect(await queued).toBeInstanceOf(StoppedError);
    await stopped;
    expect(await agent.exited).toEqual({ kind: 'shutdown' });
    expect(reports.map((r) => r.event)).toEqual(['agent.cast_abandoned']);
    gate.resolve(5); // the abandoned call settling later must change nothing
    await Promise.resolve();
    await expect(agent.get()).rejects.toThrow(StoppedError);
  });
});

describe('Agent arguments', () => {
  it('throws a TypeError naming the bad value', async () => {
    expect(() => Agent.start(42 as never)).toThrow('Expected `init` to be a function, got `42` (number)');
    expect(() => Agent.start(() => 0, { name: '' })).toThrow(
      'Expected `name` to be a non-empty string, got `""` (string)',
    );
    expect(() => Agent.start(() => 0, null as never)).toThrow(
      'Expected `opts` to be an options object, got `null` (null)',
    );
    const agent = await start(() => 0);
    expect(() => agent.update('x' as never)).toThrow('Expected `fn` to be a function, got `"x"` (string)');
    expect(() => agent.get(null as never)).toThrow('Expected `fn` to be a function, got `null` (null)');
    expect(() => agent.getAndUpdate({} as never)).toThrow(
      'Expected `fn` to be a function, got `{}` (object)',
    );
    expect(() => agent.cast(undefined as never)).toThrow(
      'Expected `fn` to be a function, got `undefined` (undefined)',
    );
    expect(() => agent.stop(-1)).toThrow(
      'Expected `graceMs` to be a non-negative number of milliseconds (or Infinity), got `-1` (number)',
    );
  });
});
