import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ShutdownError, StoppedError } from '../../src/runtime/errors.js';
import { deferred } from '../../src/runtime/internal/deferred.js';
import { onReport } from '../../src/runtime/report.js';
import type { RuntimeReport } from '../../src/runtime/report.js';
import { Task } from '../../src/runtime/task.js';
import { TaskSupervisor } from '../../src/runtime/task-supervisor.js';
import type { TaskSupervisorEvents } from '../../src/runtime/task-supervisor.js';

let reports: RuntimeReport[] = [];
let unsubscribe: () => void = () => {};
const started: TaskSupervisor[] = [];

beforeEach(() => {
  reports = [];
  unsubscribe = onReport((r) => reports.push(r));
});

afterEach(async () => {
  vi.useRealTimers();
  await Promise.all(started.splice(0).map((sup) => sup.shutdown(0)));
  unsubscribe();
});

function startSupervisor(opts: Parameters<typeof TaskSupervisor.start>[0] = {}): TaskSupervisor {
  const sup = TaskSupervisor.start(opts);
  started.push(sup);
  return sup;
}

/** Records every event of a supervisor as [event, child name]. */
function recordEvents(sup: TaskSupervisor): Array<[string, string]> {
  const events: Array<[string, string]> = [];
  for (const name of ['child.crashed', 'child.restarted', 'child.gave_up', 'child.exited'] as const) {
    sup.on(name, (payload: TaskSupervisorEvents[typeof name]) => events.push([name, payload.task.name]));
  }
  return events;
}

async function macrotasks(n = 3): Promise<void> {
  for (let i = 0; i < n; i++) await new Promise<void>((resolve) => setImmediate(resolve));
}

const never = (): Promise<never> => new Promise<never>(() => {});

describe('TaskSupervisor children', () => {
  it('runs 10 children concurrently and forgets them once they finish', async () => {
    const sup = startSupervisor();
    const gate = deferred<void>();
    let running = 0;
    let maxRunning = 0;
    const exits: string[] = [];
    sup.on('child.exited', ({ reason }) => exits.push(reason.kind));
    for (let i = 0; i < 10; i++) {
      sup.startChild(
        async () => {
          running++;
          maxRunning = Math.max(maxRunning, running);
          await gate.promise;
          running--;
        },
        { name: `job_${i}` },
      );
    }
    expect(maxRunning).toBe(10);
    expect(sup.children().map((t) => t.name)).toEqual(Array.from({ length: 10 }, (_, i) => `job_${i}`));
    gate.resolve();
    await macrotasks();
    expect(running).toBe(0);
    expect(sup.children()).toEqual([]);
    expect(exits).toEqual(Array.from({ length: 10 }, () => 'normal'));
  });

  it("isolates a crash: siblings keep running and the crash is emitted and reported, never 'unobserved'", async () => {
    const sup = startSupervisor({ name: 'jobs' });
    const crashes: Array<{ task: Task<unknown>; reason: Error }> = [];
    sup.on('child.crashed', (payload) => crashes.push(payload));
    const signals: AbortSignal[] = [];
    const sibling = (signal: AbortSignal): Promise<never> => {
      signals.push(signal);
      return never();
    };
    const a = sup.startChild(sibling, { name: 'a' });
    const boom = new Error('b failed');
    const b = sup.startChild(
      async () => {
        throw boom;
      },
      { name: 'b' },
    );
    const c = sup.startChild(sibling, { name: 'c' });
    await macrotasks();
    expect(crashes).toEqual([{ task: b, reason: boom }]);
    expect(signals.map((s) => s.aborted)).toEqual([false, false]);
    expect(sup.children()).toEqual([a, c]);
    expect(reports).toEqual([
      { source: 'task_supervisor', name: 'jobs', event: 'child.crashed', reason: boom, meta: { child: 'b' } },
    ]);
  });

  it('does not restart a temporary child that crashes', async () => {
    const sup = startSupervisor();
    const events = recordEvents(sup);
    const fn = vi.fn(() => {
      throw new Error('once');
    });
    sup.startChild(fn, { name: 'temp' });
    await macrotasks();
    expect(fn).toHaveBeenCalledTimes(1);
    expect(events).toEqual([
      ['child.crashed', 'temp'],
      ['child.exited', 'temp'],
    ]);
  });
});

describe('TaskSupervisor transient children', () => {
  it('restarts a transient child when it crashes, not when it returns', async () => {
    const sup = startSupervisor();
    const events = recordEvents(sup);
    let attempts = 0;
    const restarts: number[] = [];
    sup.on('child.restarted', (p) => restarts.push(p.restarts));
    sup.startChild(
      async () => {
        attempts++;
        if (attempts < 3) throw new Error(`attempt ${attempts}`);
        return 'ok';
      },
      { name: 'flaky', restart: 'transient' },
    );
    await macrotasks(5);
    expect(attempts).toBe(3);
    expect(restarts).toEqual([1, 2]);
    expect(events.map(([e]) => e)).toEqual([
      'child.crashed',
      'child.exited',
      'child.restarted',
      'child.crashed',
      'child.exited',
      'child.restarted',
      'child.exited',
    ]);
    expect(sup.children()).toEqual([]);
  });

  it('gives up on a transient child that crashes more than maxRestarts times within maxSeconds', async () => {
    const sup = startSupervisor({ maxRestarts: 2, maxSeconds: 5 });
    const gaveUp: number[] = [];
    sup.on('child.gave_up', (p) => gaveUp.push(p.crashes));
    const fn = vi.fn(() => {
      throw new Error('always');
    });
    sup.startChild(fn, { name: 'doomed', restart: 'transient' });
    await macrotasks(5);
    expect(fn).toHaveBeenCalledTimes(3); // the start and 2 restarts
    expect(gaveUp).toEqual([3]);
    expect(sup.children()).toEqual([]);
    const gaveUpReport = reports.find((r) => r.event === 'child.gave_up');
    expect(gaveUpReport).toMatchObject({ name: 'task_supervisor', reason: { message: 'always' } });
    expect(gaveUpReport?.meta).toMatchObject({ child: 'doomed', crashes: 3, maxRestarts: 2, maxSeconds: 5 });
  });

  it('forgets crashes older than maxSeconds', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'] });
    const sup = startSupervisor({ maxRestarts: 1, maxSeconds: 1 });
    let gaveUp = false;
    sup.on('child.gave_up', () => (gaveUp = true));
    let attempts = 0;
    sup.startChild(
      async () => {
        attempts++;
        await new Promise((resolve) => setTimeout(resolve, 1500));
        throw new Error('slow crash');
      },
      { name: 'slow-crasher', restart: 'transient' },
    );
    for (let i = 0; i < 4; i++) await vi.advanceTimersByTimeAsync(1500);
    expect(attempts).toBe(5);
    expect(gaveUp).toBe(false);
  });

  it('keeps the first handle valid for terminateChild across restarts, and does not restart a terminated child', async () => {
    const sup = startSupervisor();
    let attempts = 0;
    const signals: AbortSignal[] = [];
    const first = sup.startChild(
      (signal) => {
        signals.push(signal);
        if (++attempts === 1) throw new Error('first run crashes');
        return new Promise<never>((_, reject) =>
          signal.addEventListener('abort', () => reject(signal.reason)),
        );
      },
      { name: 'worker', restart: 'transient' },
    );
    await macrotasks();
    expect(attempts).toBe(2);
    const [current] = sup.children();
    expect(current).not.toBe(first);
    await expect(sup.terminateChild(first, 1000)).resolves.toBe(true);
    expect(signals[1]!.reason).toBeInstanceOf(ShutdownError);
    await macrotasks();
    expect(attempts).toBe(2);
    expect(sup.children()).toEqual([]);
    await expect(current!.exited).resolves.toEqual({ kind: 'shutdown' });
  });

  it('reports but does not restart a terminated transient child that fails while stopping', async () => {
    const sup = startSupervisor();
    const events = recordEvents(sup);
    const fn = vi.fn(
      (signal: AbortSignal) =>
        new Promise<never>((_, reject) =>
          signal.addEventListener('abort', () => reject(new Error('cleanup failed'))),
        ),
    );
    const task = sup.startChild(fn, { name: 'messy', restart: 'transient' });
    await expect(sup.terminateChild(task, 1000)).resolves.toBe(true);
    await macrotasks();
    expect(fn).toHaveBeenCalledTimes(1);
    expect(events).toEqual([
      ['child.crashed', 'messy'],
      ['child.exited', 'messy'],
    ]);
  });
});

describe('TaskSupervisor.asyncNolink', () => {
  it('resolves await with the value', async () => {
    const sup = startSupervisor();
    await expect(sup.asyncNolink(async () => 21 * 2).await()).resolves.toBe(42);
  });

  it('delivers a crash only to the caller that awaits it, never as unobserved', async () => {
    const sup = startSupervisor({ name: 'nolink' });
    const crashed: Error[] = [];
    sup.on('child.crashed', ({ reason }) => crashed.push(reason));
    const boom = new Error('nolink crash');
    const fail = async (): Promise<never> => {
      throw boom;
    };
    const awaited = sup.asyncNolink(fail);
    await expect(awaited.await()).rejects.toBe(boom);
    const yielded = sup.asyncNolink(fail);
    await expect(yielded.yield(1000)).resolves.toEqual({ ok: false, reason: boom });
    sup.asyncNolink(fail); // nobody awaits this one
    await macrotasks();
    expect(crashed).toEqual([boom, boom, boom]);
    expect(reports.map((r) => r.event)).toEqual(['child.crashed', 'child.crashed', 'child.crashed']);
  });
});

describe('TaskSupervisor.terminateChild', () => {
  it('aborts the child and resolves true once it ended', async () => {
    const sup = startSupervisor();
    const exits: string[] = [];
    sup.on('child.exited', ({ reason }) => exits.push(reason.kind));
    const task = sup.startChild(
      (signal) => new Promise((_, reject) => signal.addEventListener('abort', () => reject(signal.reason))),
    );
    await expect(sup.terminateChild(task)).resolves.toBe(true);
    expect(task.signal.aborted).toBe(true);
    await macrotasks();
    expect(exits).toEqual(['shutdown']);
    expect(reports).toEqual([]);
  });

  it('resolves true after the grace for a child that ignores its signal, and reports it abandoned', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    const sup = startSupervisor();
    const task = sup.startChild(never, { name: 'deaf' });
    const terminating = sup.terminateChild(task, 200);
    await vi.advanceTimersByTimeAsync(200);
    await expect(terminating).resolves.toBe(true);
    expect(sup.children()).toEqual([]);
    expect(reports.map((r) => [r.event, r.meta?.child])).toEqual([['child.abandoned', 'deaf']]);
  });

  it('resolves false for a task that is not a running child', async () => {
    const sup = startSupervisor();
    const other = Task.async(() => 1);
    await expect(sup.terminateChild(other)).resolves.toBe(false);
    const finished = sup.startChild(() => 'done');
    await macrotasks();
    await expect(sup.terminateChild(finished)).resolves.toBe(false);
  });
});

describe('TaskSupervisor.shutdown', () => {
  it('aborts all children, waits the grace, reports the abandoned ones and refuses new children', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    const sup = startSupervisor({ name: 'pool' });
    const restarted = vi.fn();
    sup.on('child.restarted', restarted);
    const polite = sup.startChild(
      (signal) => new Promise((_, reject) => signal.addEventListener('abort', () => reject(signal.reason))),
      { name: 'polite', restart: 'transient' },
    );
    const deaf = sup.startChild(never, { name: 'deaf', restart: 'transient' });
    const stopping = sup.shutdown(1000);
    expect(() => sup.startChild(() => 1)).toThrow(StoppedError);
    expect(() => sup.asyncNolink(() => 1)).toThrow('task supervisor "pool" has stopped');
    expect(sup.stop(1000)).toBe(stopping);
    await vi.advanceTimersByTimeAsync(1000);
    await stopping;
    expect(polite.signal.aborted && deaf.signal.aborted).toBe(true);
    await expect(sup.exited).resolves.toEqual({ kind: 'shutdown' });
    expect(sup.children()).toEqual([]);
    expect(restarted).not.toHaveBeenCalled();
    expect(reports.map((r) => [r.event, r.meta?.child])).toEqual([['child.abandoned', 'deaf']]);
  });
});

describe('TaskSupervisor bad arguments', () => {
  it('throws a TypeError naming the value', async () => {
    expect(() => TaskSupervisor.start({ maxRestarts: -1 })).toThrow(
      'Expected `maxRestarts` to be a non-negative integer, got `-1` (number)',
    );
    expect(() => TaskSupervisor.start({ maxSeconds: 0 })).toThrow(
      'Expected `maxSeconds` to be a positive finite number of seconds, got `0` (number)',
    );
    expect(() => TaskSupervisor.start({ name: 7 as never })).toThrow(
      'Expected `name` to be a non-empty string',
    );
    const sup = startSupervisor();
    expect(() => sup.startChild(() => 1, { restart: 'permanent' as never })).toThrow(
      'Expected `restart` to be one of "temporary", "transient", got `"permanent"` (string)',
    );
    expect(() => sup.startChild(null as never)).toThrow('Expected `fn` to be a function, got `null` (null)');
    expect(() => sup.asyncNolink(() => 1, { timeout: -3 })).toThrow('got `-3` (number)');
    await expect(sup.terminateChild({} as never)).rejects.toThrow(
      'Expected `task` to be a Task, got `{}` (object)',
    );
    expect(() => sup.shutdown(-1)).toThrow('Expected `graceMs`');
  });
});
