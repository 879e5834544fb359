import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { StoppedError } from '../../src/runtime/errors.js';
import { deferred } from '../../src/runtime/internal/deferred.js';
import type { Process } from '../../src/runtime/process.js';
import type { RuntimeReport } from '../../src/runtime/report.js';
import { ChildStartError, Supervisor } from '../../src/runtime/supervisor.js';
import { Task } from '../../src/runtime/task.js';
import { Children, FakeProcess, captureReports, nextEvent, record, settle } from './supervisor-fixtures.js';

// Restart at once: these tests are about who restarts, not when (see supervisor-intensity.test.ts).
const now = { backoff: { initialMs: 0 } } as const;

let reports: RuntimeReport[];
let stopCapture: () => void;
const running: Supervisor[] = [];
beforeEach(() => {
  ({ reports, stop: stopCapture } = captureReports());
});
afterEach(async () => {
  await Promise.all(running.splice(0).map((s) => s.stop()));
  stopCapture();
});

async function start(...args: Parameters<typeof Supervisor.start>): Promise<Supervisor> {
  const sup = await Supervisor.start(...args);
  running.push(sup);
  return sup;
}

describe('Supervisor.start', () => {
  it('starts children in order, awaiting each asynchronous start', async () => {
    const c = new Children();
    const gate = deferred<void>();
    const slow = c.spec('b');
    const starting = Supervisor.start([
      c.spec('a'),
      { id: 'b', start: async () => (await gate.promise, slow.start()) },
      c.spec('c'),
    ]);
    await settle();
    expect(c.log).toEqual(['start a']);
    gate.resolve();
    running.push(await starting);
    expect(c.log).toEqual(['start a', 'start b', 'start c']);
  });

  it('lists children in start order with their status, and counts them', async () => {
    const c = new Children();
    const inner = await Supervisor.start([], { name: 'inner' });
    const sup = await start([
      c.spec('a'),
      { id: 'inner', type: 'supervisor', start: () => inner },
      c.spec('t', { restart: 'transient' }),
    ]);
    expect(sup.whichChildren()).toEqual([
      { id: 'a', status: 'running', restart: 'permanent', type: 'worker', restarts: 0, process: c.proc('a') },
      {
        id: 'inner',
        status: 'running',
        restart: 'permanent',
        type: 'supervisor',
        restarts: 0,
        process: inner,
      },
      { id: 't', status: 'running', restart: 'transient', type: 'worker', restarts: 0, process: c.proc('t') },
    ]);
    c.proc('t').finish();
    await settle();
    expect(sup.whichChildren()[2]).toEqual({
      id: 't',
      status: 'stopped',
      restart: 'transient',
      type: 'worker',
      restarts: 0,
    });
    expect(sup.countChildren()).toEqual({ specs: 3, active: 2, supervisors: 1, workers: 2 });
  });

  it('stops the started children in reverse order and names the child when a start fails', async () => {
    const c = new Children();
    const starting = Supervisor.start(
      [c.spec('a'), c.spec('b'), c.spec('c', { failOn: () => true }), c.spec('d')],
      { name: 'app' },
    );
    await expect(starting).rejects.toThrow(ChildStartError);
    await expect(starting).rejects.toThrow('supervisor "app" could not start child "c": c refused to start');
    expect(c.log).toEqual(['start a', 'start b', 'fail c', 'stop b', 'stop a']);
    expect(c.starts('d')).toBe(0);
  });

  it('treats a start that returns something other than a Process as a failed start', async () => {
    const bogus = { id: 'bogus', start: () => 42 as unknown as Process };
    await expect(Supervisor.start([bogus])).rejects.toThrow(
      /could not start child "bogus": Expected `start\(\) of child "bogus"` to be a Process, got `42`/,
    );
  });
});

describe('strategies', () => {
  it('one_for_one restarts only the crashed child', async () => {
    const c = new Children();
    const sup = await start([c.spec('a'), c.spec('b'), c.spec('c')], { ...now, strategy: 'one_for_one' });
    c.log.length = 0;
    const restarted = nextEvent(sup, 'child.restarted');
    c.proc('b').crash();
    expect(await restarted).toMatchObject({ id: 'b', restarts: 1 });
    expect(c.log).toEqual(['start b']);
    expect([c.starts('a'), c.starts('b'), c.starts('c')]).toEqual([1, 2, 1]);
    expect(sup.whichChildren().map((ch) => [ch.id, ch.status, ch.restarts])).toEqual([
      ['a', 'running', 0],
      ['b', 'running', 1],
      ['c', 'running', 0],
    ]);
  });

  it('one_for_all stops the others in reverse order, then restarts all in start order', async () => {
    const c = new Children();
    const sup = await start([c.spec('a'), c.spec('b'), c.spec('c')], { ...now, strategy: 'one_for_all' });
    c.log.length = 0;
    const lastRestart = nextEvent(sup, 'child.restarted', (e) => e.id === 'c');
    c.proc('b').crash();
    await lastRestart;
    expect(c.log).toEqual(['stop c', 'stop a', 'start a', 'start b', 'start c']);
    expect([c.starts('a'), c.starts('b'), c.starts('c')]).toEqual([2, 2, 2]);
  });

  it('one_for_all drops a temporary sibling it stopped but restarts a transient one', async () => {
    const c = new Children();
    const sup = await start(
      [c.spec('tmp', { restart: 'temporary' }), c.spec('tr', { restart: 'transient' }), c.spec('p')],
      { ...now, strategy: 'one_for_all' },
    );
    const lastRestart = nextEvent(sup, 'child.restarted', (e) => e.id === 'p');
    c.proc('p').crash();
    await lastRestart;
    expect([c.starts('tmp'), c.starts('tr'), c.starts('p')]).toEqual([1, 2, 2]);
    expect(sup.whichChildren().map((ch) => ch.id)).toEqual(['tr', 'p']);
  });

  it('one_for_all leaves a terminated sibling stopped', async () => {
    const c = new Children();
    const sup = await start([c.spec('a'), c.spec('b')], { ...now, strategy: 'one_for_all' });
    await sup.terminateChild('a');
    const restarted = nextEvent(sup, 'child.restarted');
    c.proc('b').crash();
    await restarted;
    await settle();
    expect([c.starts('a'), c.starts('b')]).toEqual([1, 2]);
    expect(sup.whichChildren().map((ch) => ch.status)).toEqual(['stopped', 'running']);
  });

  it('rest_for_one restarts exactly the crashed child and the ones started after it', async () => {
    const c = new Children();
    const sup = await start([c.spec('a'), c.spec('b'), c.spec('c'), c.spec('d')], {
      ...now,
      strategy: 'rest_for_one',
    });
    c.log.length = 0;
    const lastRestart = nextEvent(sup, 'child.restarted', (e) => e.id === 'd');
    c.proc('b').crash();
    await lastRestart;
    expect(c.log).toEqual(['stop d', 'stop c', 'start b', 'start c', 'start d']);
    expect(['a', 'b', 'c', 'd'].map((id) => c.starts(id))).toEqual([1, 2, 2, 2]);

    c.log.length = 0;
    const restarted = nextEvent(sup, 'child.restarted');
    c.proc('d').crash();
    await restarted;
    await settle();
    expect(c.log).toEqual(['start d']);
  });
});

describe('restart types', () => {
  it('restarts a permanent child after a crash and after a normal exit', async () => {
    const c = new Children();
    const sup = await start([c.spec('p')], now);
    let restarted = nextEvent(sup, 'child.restarted');
    c.proc('p').crash();
    await restarted;
    restarted = nextEvent(sup, 'child.restarted');
    c.proc('p').finish();
    expect(await restarted).toMatchObject({ id: 'p', restarts: 2 });
    expect(c.starts('p')).toBe(3);
  });

  it('restarts a transient child after a crash only, keeping its spec after a normal exit', async () => {
    const c = new Children();
    const sup = await start([c.spec('t', { restart: 'transient' })], now);
    const restarted = nextEvent(sup, 'child.restarted');
    c.proc('t').crash();
    await restarted;
    const exited = nextEvent(sup, 'child.exited');
    c.proc('t').finish();
    expect(await exited).toEqual({ id: 't', reason: { kind: 'normal' } });
    await settle();
    expect(c.starts('t')).toBe(2);
    expect(sup.whichChildren()).toMatchObject([{ id: 't', status: 'stopped', restarts: 1 }]);
  });

  it('never restarts a temporary child and forgets it once it ends', async () => {
    const c = new Children();
    const sup = await start(
      [c.spec('crashes', { restart: 'temporary' }), c.spec('ends', { restart: 'temporary' })],
      now,
    );
    c.proc('crashes').crash();
    c.proc('ends').finish();
    await settle();
    expect([c.starts('crashes'), c.starts('ends')]).toEqual([1, 1]);
    expect(sup.whichChildren()).toEqual([]);
    expect(sup.countChildren()).toEqual({ specs: 0, active: 0, supervisors: 0, workers: 0 });
  });
});

describe('stop', () => {
  it('stops children in reverse start order and exits with shutdown', async () => {
    const c = new Children();
    const sup = await Supervisor.start([c.spec('a'), c.spec('b'), c.spec('c')]);
    const exits = record(sup, 'child.exited');
    const supExit = nextEvent(sup, 'supervisor.exited');
    await sup.stop();
    expect(c.log.slice(3)).toEqual(['stop c', 'stop b', 'stop a']);
    expect(exits.map((e) => e.id)).toEqual(['c', 'b', 'a']);
    expect(await sup.exited).toEqual({ kind: 'shutdown' });
    expect(await supExit).toEqual({ reason: { kind: 'shutdown' } });
    expect(sup.whichChildren().map((ch) => ch.status)).toEqual(['stopped', 'stopped', 'stopped']);
    await sup.stop(); // idempotent
    expect(c.log).toHaveLength(6);
  });

  it('does not restart a child that ends while the supervisor is shutting down', async () => {
    const c = new Children();
    const sup = await Supervisor.start([c.spec('a'), c.spec('b', { hang: true, shutdown: 20 })], now);
    const stopping = sup.stop();
    await settle(); // now waiting for b
    c.proc('a').crash();
    await stopping;
    await settle();
    expect(c.starts('a')).toBe(1);
    expect(reports.filter((r) => r.event === 'child.crashed').map((r) => r.meta?.id)).toEqual(['a']);
  });

  it('refuses calls once stopped', async () => {
    const c = new Children();
    const sup = await Supervisor.start([c.spec('a')]);
    await sup.stop();
    await expect(sup.startChild(c.spec('b'))).rejects.toThrow(StoppedError);
    await expect(sup.restartChild('a')).rejects.toThrow('supervisor "' + sup.name + '" has stopped');
  });
});

describe('dynamic children', () => {
  it('adds, terminates, restarts and deletes children at runtime', async () => {
    const c = new Children();
    const sup = await start([c.spec('a')], now);
    const started = await sup.startChild(c.spec('b', { type: 'supervisor' }));
    expect(started).toBe(c.proc('b'));
    expect(sup.whichChildren().map((ch) => ch.id)).toEqual(['a', 'b']);
    expect(sup.countChildren()).toEqual({ specs: 2, active: 2, supervisors: 1, workers: 1 });

    await sup.terminateChild('b');
    expect(c.log.at(-1)).toBe('stop b');
    expect(sup.whichChildren()[1]).toMatchObject({ id: 'b', status: 'stopped' });
    expect(sup.countChildren().active).toBe(1);
    await settle();
    expect(c.starts('b')).toBe(1); // a terminated child is not restarted

    await expect(sup.deleteChild('a')).rejects.toThrow('cannot delete child "a" of supervisor');
    const again = await sup.restartChild('b');
    expect(again).toBe(c.proc('b'));
    expect(c.starts('b')).toBe(2);
    await expect(sup.restartChild('b')).rejects.toThrow(/it is running/);

    await sup.terminateChild('b');
    await sup.deleteChild('b');
    expect(sup.whichChildren().map((ch) => ch.id)).toEqual(['a']);
  });

  it('rejects a duplicate or unknown id with a TypeError naming it', async () => {
    const c = new Children();
    const sup = await start([c.spec('a')]);
    await expect(sup.startChild(c.spec('a'))).rejects.toThrow(
      new TypeError(
        `Expected \`spec.id\` to be an id not yet used in supervisor "${sup.name}", got \`"a"\` (string)`,
      ),
    );
    await expect(sup.terminateChild('nope')).rejects.toThrow(/Expected `id` .* got `"nope"` \(string\)/);
    expect(c.starts('a')).toBe(1);
  });

  it('does not keep a child whose dynamic start fails', async () => {
    const c = new Children();
    const sup = await start([]);
    await expect(sup.startChild(c.spec('x', { failOn: () => true }))).rejects.toThrow(ChildStartError);
    expect(sup.whichChildren()).toEqual([]);
  });

  it('removes a temporary child when it is terminated', async () => {
    const c = new Children();
    const sup = await start([c.spec('t', { restart: 'temporary' })]);
    await sup.terminateChild('t');
    expect(sup.whichChildren()).toEqual([]);
  });
});

describe('events and reports', () => {
  it('emits started, exited, crashed and restarted, and reports the crash', async () => {
    const c = new Children();
    const sup = await start([c.spec('w')], { ...now, name: 'events' });
    const seen: string[] = [];
    for (const event of ['child.started', 'child.exited', 'child.crashed', 'child.restarted'] as const) {
      sup.on(event, (e) => seen.push(`${event} ${e.id}`));
    }
    const restarted = nextEvent(sup, 'child.restarted');
    c.proc('w').crash('kaput');
    await restarted;
    expect(seen).toEqual(['child.exited w', 'child.crashed w', 'child.started w', 'child.restarted w']);
    expect(reports).toEqual([
      {
        source: 'supervisor',
        name: 'events',
        event: 'child.crashed',
        reason: new Error('kaput'),
        meta: { id: 'w', restarts: 0, phase: 'run' },
      },
    ]);
  });

  it('reports a crashing Task child once, as the supervisor’s child.crashed (not also as unobserved)', async () => {
    let runs = 0;
    const sup = await start(
      [
        {
          id: 'task',
          restart: 'temporary',
          start: () =>
            Task.async(() => {
              runs++;
              return Promise.reject(new Error('task boom'));
            }),
        },
      ],
      { ...now, name: 'tasks' },
    );
    await vi.waitFor(() => expect(reports.some((r) => r.event === 'child.crashed')).toBe(true));
    await new Promise((resolve) => setTimeout(resolve, 20)); // past the task's unobserved check
    expect(runs).toBe(1);
    expect(reports.map((r) => `${r.source}:${r.event}`)).toEqual(['supervisor:child.crashed']);
    expect(reports[0]?.reason).toEqual(new Error('task boom'));
    await sup.stop();
  });

  it('keeps working when an event listener throws', async () => {
    const c = new Children();
    const sup = await start([c.spec('w')], now);
    const off = sup.on('child.exited', () => {
      throw new Error('broken listener');
    });
    const stderr = vi.spyOn(process.stderr, 'write').mockReturnValue(true);
    try {
      const restarted = nextEvent(sup, 'child.restarted');
      c.proc('w').crash();
      expect(await restarted).toMatchObject({ id: 'w' });
      expect(stderr).toHaveBeenCalledWith('[steward] listener for "child.exited" threw: broken listener\n');
    } finally {
      off();
      stderr.mockRestore();
    }
  });
});

describe('bad arguments', () => {
  const ok = { id: 'ok', start: () => new FakeProcess('ok', []) };
  it.each([
    [
      [{ id: '', start: ok.start }],
      {},
      'Expected `children[0].id` to be a non-empty string, got `""` (string)',
    ],
    [[ok, ok], {}, 'Expected `children[1].id` to be unique among the children, got `"ok"` (string)'],
    [
      [{ id: 'x', start: 'nope' }],
      {},
      'Expected `children[0].start` to be a function, got `"nope"` (string)',
    ],
    [[{ ...ok, restart: 'sometimes' }], {}, 'Expected `children[0].restart` to be one of "permanent"'],
    [[{ ...ok, shutdown: -1 }], {}, 'Expected `children[0].shutdown` to be a non-negative number'],
    [[{ ...ok, type: 'boss' }], {}, 'Expected `children[0].type` to be one of "worker", "supervisor"'],
    ['ok', {}, 'Expected `children` to be an array of child specs, got `"ok"` (string)'],
    [[], { strategy: 'all_for_one' }, 'Expected `strategy` to be one of "one_for_one", "one_for_all"'],
    [[], { maxRestarts: -1 }, 'Expected `maxRestarts` to be a non-negative integer, got `-1` (number)'],
    [[], { maxSeconds: -5 }, 'Expected `maxSeconds` to be a positive finite number, got `-5` (number)'],
    [[], { name: '' }, 'Expected `name` to be a non-empty string, got `""` (string)'],
    [[], { backoff: { initialMs: -1 } }, 'Expected `backoff.initialMs` to be a non-negative finite number'],
  ])('rejects %j with options %j', async (children, opts, message) => {
    const starting = Supervisor.start(children as never, opts as never);
    await expect(starting).rejects.toThrow(TypeError);
    await expect(starting).rejects.toThrow(message);
  });

  it('rejects a bad grace period for stop', async () => {
    const sup = await start([]);
    await expect(sup.stop(-1)).rejects.toThrow(
      'Expected `graceMs` to be a non-negative number of milliseconds',
    );
  });
});
