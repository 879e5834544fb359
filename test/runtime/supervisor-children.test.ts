import { describe, expect, it, vi } from 'vitest';
import { delay } from '../../src/runtime/internal/deferred.js';
import { Supervisor } from '../../src/runtime/supervisor.js';
import { nextEvent, record, useFakeTimeSupervisors } from './supervisor-fixtures.js';

const env = useFakeTimeSupervisors();
const { start, tick } = env;

describe('Supervisor.worker', () => {
  it('treats returning as a normal exit, so a transient worker stays stopped', async () => {
    let runs = 0;
    const once = async (): Promise<void> => {
      await delay(10);
      runs++;
    };
    const sup = await start([Supervisor.worker('once', once, { restart: 'transient' })]);
    const exited = nextEvent(sup, 'child.exited');
    await tick(10);
    expect(await exited).toEqual({ id: 'once', reason: { kind: 'normal' } });
    await tick(100);
    expect(runs).toBe(1);
    expect(sup.whichChildren()).toMatchObject([{ id: 'once', status: 'stopped' }]);
  });

  it('treats a throw as a crash, so the worker is restarted', async () => {
    let runs = 0;
    const sup = await start(
      [
        Supervisor.worker(
          'flaky',
          async () => {
            await delay(10);
            if (++runs === 1) throw new Error('first run fails');
            await new Promise(() => {}); // then runs until stopped... or abandoned
          },
          { shutdown: 10 },
        ),
      ],
      { backoff: { initialMs: 0 } },
    );
    const crashes = record(sup, 'child.crashed');
    await tick(20);
    expect(runs).toBe(2);
    expect(crashes.map((e) => e.error.message)).toEqual(['first run fails']);
    const stopping = sup.stop();
    await tick(10);
    await stopping;
    expect(env.reports.map((r) => r.event)).toEqual(['child.crashed', 'child.abandoned']);
  });

  it('aborts the signal on stop and exits with shutdown once run unwinds', async () => {
    let seen: unknown;
    const proc = await Supervisor.worker('loop', async (signal) => {
      await delay(1_000_000, signal);
      seen = signal.reason;
    }).start();
    expect(proc.name).toBe('loop');
    await proc.stop();
    expect(seen).toMatchObject({ name: 'ShutdownError', message: 'worker "loop" was stopped' });
    expect(await proc.exited).toEqual({ kind: 'shutdown' });
    expect(vi.getTimerCount()).toBe(0);
  });

  it('rejects bad arguments, naming them', () => {
    expect(() => Supervisor.worker('', () => {})).toThrow(
      'Expected `id` to be a non-empty string, got `""` (string)',
    );
    expect(() => Supervisor.worker('w', 'run' as never)).toThrow(
      'Expected `run` to be a function, got `"run"` (string)',
    );
    expect(() => Supervisor.worker('w', () => {}, { restart: 'never' as never })).toThrow(
      'Expected `options.restart` to be one of "permanent", "transient", "temporary", got `"never"` (string)',
    );
  });
});

describe('Supervisor.periodic', () => {
  it('calls fn every intervalMs', async () => {
    let calls = 0;
    await start([Supervisor.periodic('metrics', () => calls++, 100)]);
    await tick(99);
    expect(calls).toBe(0);
    await tick(1);
    expect(calls).toBe(1);
    await tick(200);
    expect(calls).toBe(3);
  });

  it('calls fn at start with runImmediately', async () => {
    let calls = 0;
    await start([Supervisor.periodic('metrics', () => calls++, 100, { runImmediately: true })]);
    await tick();
    expect(calls).toBe(1);
    await tick(100);
    expect(calls).toBe(2);
  });

  it('waits the interval after a slow run finishes, so runs never overlap', async () => {
    const startedAt: number[] = [];
    let active = 0;
    let maxActive = 0;
    const t0 = Date.now();
    await start([
      Supervisor.periodic(
        'slow',
        async () => {
          startedAt.push(Date.now() - t0);
          maxActive = Math.max(maxActive, ++active);
          await delay(150);
          active--;
        },
        100,
      ),
    ]);
    await tick(700);
    expect(startedAt).toEqual([100, 350, 600]);
    expect(maxActive).toBe(1);
  });

  it('crashes when fn throws, and is restarted by its supervisor', async () => {
    let calls = 0;
    const fn = (): void => {
      if (++calls === 2) throw new Error('report failed');
    };
    const sup = await start([Supervisor.periodic('metrics', fn, 100)], { backoff: { initialMs: 0 } });
    const restarted = nextEvent(sup, 'child.restarted');
    await tick(200);
    expect(await restarted).toMatchObject({ id: 'metrics', restarts: 1 });
    expect(env.reports.map((r) => [r.event, r.reason?.message])).toEqual([
      ['child.crashed', 'report failed'],
    ]);
    await tick(100); // the new instance keeps its own interval
    expect(calls).toBe(3);
  });

  it('stops gracefully: a running call finishes, and no timer is left behind', async () => {
    let finished = 0;
    let sawAbort = false;
    const sup = await Supervisor.start([
      Supervisor.periodic(
        'metrics',
        async (signal) => {
          await delay(50);
          sawAbort = signal.aborted;
          finished++;
        },
        100,
      ),
    ]);
    await tick(120); // the first call is halfway through
    const stopping = sup.stop();
    await tick(29);
    expect(finished).toBe(0);
    await tick(1);
    await stopping;
    expect([finished, sawAbort]).toEqual([1, true]);
    expect(await sup.exited).toEqual({ kind: 'shutdown' });
    expect(vi.getTimerCount()).toBe(0);
    expect(env.reports).toEqual([]);
  });

  it('stops at once between runs, leaving no timer', async () => {
    const sup = await Supervisor.start([Supervisor.periodic('metrics', () => {}, 1000)]);
    const exits = record(sup, 'child.exited');
    await tick(1500);
    expect(vi.getTimerCount()).toBe(1);
    await sup.stop();
    expect(exits).toEqual([{ id: 'metrics', reason: { kind: 'shutdown' } }]);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('rejects bad arguments, naming them', () => {
    expect(() => Supervisor.periodic('p', () => {}, 0)).toThrow(
      'Expected `intervalMs` to be a positive finite number of milliseconds, got `0` (number)',
    );
    expect(() => Supervisor.periodic('p', null as never, 10)).toThrow(
      'Expected `fn` to be a function, got `null`',
    );
    expect(() => Supervisor.periodic('p', () => {}, 10, { runImmediately: 'yes' as never })).toThrow(
      'Expected `options.runImmediately` to be a boolean, got `"yes"` (string)',
    );
    expect(() => Supervisor.periodic('p', () => {}, 10, { shutdown: -1 })).toThrow(
      'Expected `options.shutdown` to be a non-negative number of milliseconds (or Infinity), got `-1` (number)',
    );
  });
});
