import { describe, expect, it, vi } from 'vitest';
import { deferred } from '../../src/runtime/internal/deferred.js';
import { Supervisor, SupervisorIntensityError } from '../../src/runtime/supervisor.js';
import type { ChildSpec } from '../../src/runtime/supervisor.js';
import { Children, nextEvent, record, useFakeTimeSupervisors } from './supervisor-fixtures.js';

const env = useFakeTimeSupervisors();
const { start, tick } = env;

describe('restart intensity', () => {
  it('gives up after more than maxRestarts restarts within maxSeconds, stopping all children', async () => {
    const c = new Children();
    const sup = await start([c.spec('a'), c.spec('flaky'), c.spec('z')], {
      name: 'app',
      maxRestarts: 2,
      maxSeconds: 5,
      backoff: { initialMs: 0 },
    });
    for (let i = 0; i < 2; i++) {
      c.proc('flaky').crash();
      await tick();
    }
    expect(c.starts('flaky')).toBe(3);
    c.log.length = 0;
    c.proc('flaky').crash('third strike');
    const reason = await sup.exited;
    expect(c.log).toEqual(['stop z', 'stop a']);
    expect(c.starts('flaky')).toBe(3);
    expect(reason.kind).toBe('error');
    const error = reason.kind === 'error' ? reason.error : undefined;
    expect(error).toBeInstanceOf(SupervisorIntensityError);
    expect(error?.message).toBe(
      'supervisor "app" gave up: child "flaky" needed more than 2 restarts within 5 s',
    );
    expect(error).toMatchObject({ supervisor: 'app', childId: 'flaky', maxRestarts: 2, maxSeconds: 5 });
    expect((error?.cause as Error).message).toBe('third strike');
    expect(env.reports.map((r) => r.event)).toEqual([
      'child.crashed',
      'child.crashed',
      'child.crashed',
      'supervisor.shutdown',
    ]);
  });

  it('gives up on the first crash when maxRestarts is 0', async () => {
    const c = new Children();
    const sup = await start([c.spec('w')], { maxRestarts: 0 });
    c.proc('w').crash();
    expect((await sup.exited).kind).toBe('error');
    expect(c.starts('w')).toBe(1);
  });

  it('forgets restarts older than maxSeconds', async () => {
    const c = new Children();
    const sup = await start([c.spec('w')], { maxRestarts: 1, maxSeconds: 1, backoff: { initialMs: 0 } });
    for (let i = 0; i < 4; i++) {
      c.proc('w').crash();
      await tick(1000);
    }
    expect(c.starts('w')).toBe(5);
    expect(sup.whichChildren()).toMatchObject([{ id: 'w', status: 'running', restarts: 4 }]);
  });

  it('counts a failed start during a restart as another crash', async () => {
    const c = new Children();
    const sup = await start([c.spec('w', { failOn: (n) => n >= 2 })], {
      maxRestarts: 2,
      backoff: { initialMs: 0 },
    });
    const crashes = record(sup, 'child.crashed');
    c.proc('w').crash();
    const reason = await sup.exited;
    expect(reason.kind === 'error' && reason.error).toBeInstanceOf(SupervisorIntensityError);
    expect(c.starts('w')).toBe(3);
    expect(crashes.map((e) => e.error.message)).toEqual([
      'w crashed',
      `supervisor "${sup.name}" could not start child "w": w refused to start`,
      `supervisor "${sup.name}" could not start child "w": w refused to start`,
    ]);
  });

  it('retries a failed restart under rest_for_one without starting later siblings twice', async () => {
    const c = new Children();
    const sup = await start([c.spec('a'), c.spec('b', { failOn: (n) => n === 2 }), c.spec('c')], {
      strategy: 'rest_for_one',
      backoff: { initialMs: 0 },
    });
    c.log.length = 0;
    c.proc('b').crash();
    await tick();
    expect(c.log).toEqual(['stop c', 'fail b', 'start b', 'start c']);
    expect(sup.whichChildren().map((ch) => ch.status)).toEqual(['running', 'running', 'running']);
  });
});

describe('escalation through a tree', () => {
  const inner =
    (c: Children): ChildSpec['start'] =>
    () =>
      Supervisor.start([c.spec('w')], { name: 'inner', maxRestarts: 0 });

  it('has the parent restart a child supervisor that gave up, then give up itself', async () => {
    const c = new Children();
    const parent = await start([{ id: 'inner', type: 'supervisor', start: inner(c) }, c.spec('sibling')], {
      name: 'root',
      maxRestarts: 1,
      backoff: { initialMs: 0 },
    });
    const crashed = nextEvent(parent, 'child.crashed');
    const restarted = nextEvent(parent, 'child.restarted');
    c.proc('w').crash();
    const crash = await crashed;
    expect(crash.id).toBe('inner');
    expect(crash.error).toBeInstanceOf(SupervisorIntensityError);
    expect(crash.error.message).toContain('supervisor "inner" gave up: child "w"');
    await restarted;
    expect(c.starts('w')).toBe(2);

    c.proc('w').crash();
    const reason = await parent.exited;
    const error = reason.kind === 'error' ? reason.error : undefined;
    expect(error).toBeInstanceOf(SupervisorIntensityError);
    expect(error?.message).toBe(
      'supervisor "root" gave up: child "inner" needed more than 1 restart within 5 s',
    );
    expect((error?.cause as SupervisorIntensityError).supervisor).toBe('inner');
    expect(c.log.at(-1)).toBe('stop sibling');
  });

  it('escalates to the grandparent, which restarts the whole branch', async () => {
    const c = new Children();
    const middle: ChildSpec = {
      id: 'middle',
      type: 'supervisor',
      start: () =>
        Supervisor.start([{ id: 'inner', type: 'supervisor', start: inner(c) }], {
          name: 'middle',
          maxRestarts: 0,
        }),
    };
    const root = await start([middle], { name: 'root', backoff: { initialMs: 0 } });
    const restarted = nextEvent(root, 'child.restarted');
    c.proc('w').crash();
    expect(await restarted).toMatchObject({ id: 'middle', restarts: 1 });
    expect(c.starts('w')).toBe(2);
    expect(root.whichChildren()).toMatchObject([{ id: 'middle', status: 'running' }]);
  });
});

describe('backoff', () => {
  it('waits initialMs * 2^(n-1), capped at maxMs, before each restart in the window', async () => {
    const c = new Children();
    const sup = await start([c.spec('w')], { maxRestarts: 10, backoff: { initialMs: 100, maxMs: 500 } });
    for (const [n, waitMs] of [
      [2, 100],
      [3, 200],
      [4, 400],
      [5, 500],
    ] as const) {
      c.proc('w').crash();
      await tick(waitMs - 1);
      expect(c.starts('w')).toBe(n - 1);
      expect(sup.whichChildren()[0]?.status).toBe('restarting');
      await tick(1);
      expect(c.starts('w')).toBe(n);
      expect(sup.whichChildren()[0]?.status).toBe('running');
    }
  });

  it('defaults to 10 ms before the first restart', async () => {
    const c = new Children();
    await start([c.spec('w')]);
    c.proc('w').crash();
    await tick(9);
    expect(c.starts('w')).toBe(1);
    await tick(1);
    expect(c.starts('w')).toBe(2);
  });

  it('starts again from initialMs once earlier restarts leave the window', async () => {
    const c = new Children();
    await start([c.spec('w')], { maxSeconds: 1, backoff: { initialMs: 100 } });
    c.proc('w').crash();
    await tick(100);
    c.proc('w').crash();
    await tick(200);
    expect(c.starts('w')).toBe(3);
    await tick(1000);
    c.proc('w').crash();
    await tick(99);
    expect(c.starts('w')).toBe(3);
    await tick(1);
    expect(c.starts('w')).toBe(4);
  });

  it('cancels a pending restart when the supervisor stops, leaving no timer', async () => {
    const c = new Children();
    const sup = await Supervisor.start([c.spec('w')], { backoff: { initialMs: 1000 } });
    c.proc('w').crash();
    await tick();
    expect(vi.getTimerCount()).toBe(1);
    await sup.stop();
    expect(vi.getTimerCount()).toBe(0);
    await tick(5000);
    expect(c.starts('w')).toBe(1);
  });

  it('cancels a pending restart when the child is terminated', async () => {
    const c = new Children();
    const sup = await start([c.spec('w')], { backoff: { initialMs: 1000 } });
    c.proc('w').crash();
    await tick();
    await sup.terminateChild('w');
    expect(vi.getTimerCount()).toBe(0);
    await tick(5000);
    expect(c.starts('w')).toBe(1);
    expect(sup.whichChildren()).toMatchObject([{ id: 'w', status: 'stopped' }]);
  });
});

describe('races', () => {
  it('handles a crash that arrives while another child is being restarted', async () => {
    const c = new Children();
    const gate = deferred<void>();
    const a = c.spec('a');
    let aStarts = 0;
    const slowA: ChildSpec = {
      id: 'a',
      start: async () => (++aStarts > 1 && (await gate.promise), a.start()),
    };
    const sup = await start([slowA, c.spec('b')], { backoff: { initialMs: 0 } });
    c.proc('a').crash();
    await tick(); // a's restart is now waiting on its start
    c.proc('b').crash();
    await tick();
    expect(c.starts('b')).toBe(1);
    gate.resolve();
    await tick();
    expect([c.starts('a'), c.starts('b')]).toEqual([2, 2]);
    expect(sup.whichChildren().map((ch) => ch.status)).toEqual(['running', 'running']);
  });
});

describe('races (stop)', () => {
  it('stops a group restart half-way when the supervisor is stopped during it', async () => {
    const c = new Children();
    const gate = deferred<void>();
    const a = c.spec('a');
    let aStarts = 0;
    const slowA: ChildSpec = {
      id: 'a',
      start: async () => (++aStarts > 1 && (await gate.promise), a.start()),
    };
    const sup = await Supervisor.start([slowA, c.spec('b')], {
      strategy: 'one_for_all',
      backoff: { initialMs: 0 },
    });
    c.proc('b').crash();
    await tick(); // a was stopped and its restart is waiting on its start
    const stopping = sup.stop();
    gate.resolve();
    await stopping;
    expect([c.starts('a'), c.starts('b')]).toEqual([2, 1]);
    expect(c.log).toEqual(['start a', 'start b', 'stop a', 'start a', 'stop a']);
    expect(sup.whichChildren().map((ch) => ch.status)).toEqual(['stopped', 'stopped']);
  });
});

describe('shutdown budget', () => {
  it('abandons a child that does not stop within its shutdown budget, and env.reports it', async () => {
    const c = new Children();
    const sup = await Supervisor.start([c.spec('stuck', { hang: true, shutdown: 50 }), c.spec('fine')]);
    let stopped = false;
    const stopping = sup.stop().then(() => (stopped = true));
    await tick(49);
    expect(stopped).toBe(false);
    await tick(1);
    await stopping;
    expect(c.log.slice(2)).toEqual(['stop fine', 'stop stuck']);
    expect(env.reports).toEqual([
      {
        source: 'supervisor',
        name: sup.name,
        event: 'child.abandoned',
        meta: { id: 'stuck', shutdownMs: 50 },
      },
    ]);
    expect(await sup.exited).toEqual({ kind: 'shutdown' });
  });

  it('bounds the whole stop by graceMs, giving later children what is left', async () => {
    const c = new Children();
    const sup = await Supervisor.start([
      c.spec('first', { hang: true, shutdown: 100 }),
      c.spec('second', { hang: true, shutdown: 100 }),
    ]);
    let stopped = false;
    const stopping = sup.stop(60).then(() => (stopped = true));
    await tick(59);
    expect(stopped).toBe(false);
    await tick(1); // second is abandoned; first then gets the 0 ms left (a timer of at least 1 ms in Node)
    expect(stopped).toBe(false);
    await tick(1);
    expect(stopped).toBe(true);
    await stopping;
    expect(env.reports.map((r) => r.meta)).toEqual([
      { id: 'second', shutdownMs: 60 },
      { id: 'first', shutdownMs: 0 },
    ]);
  });

  it('env.reports a child whose stop throws, and abandons it when it does not end', async () => {
    const never = new Promise<never>(() => {});
    const broken: ChildSpec = {
      id: 'broken',
      shutdown: 20,
      start: () => ({
        name: 'broken',
        exited: never,
        stop: () => Promise.reject(new Error('cannot stop')),
      }),
    };
    const sup = await Supervisor.start([broken]);
    const stopping = sup.stop();
    await tick(20);
    await stopping;
    expect(env.reports.map((r) => [r.event, r.reason?.message, r.meta])).toEqual([
      ['child.stop_failed', 'cannot stop', { id: 'broken' }],
      ['child.abandoned', undefined, { id: 'broken', shutdownMs: 20 }],
    ]);
  });
});
