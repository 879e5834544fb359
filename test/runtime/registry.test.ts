import { afterEach, describe, expect, it } from 'vitest';
import { Agent } from '../../src/runtime/agent.js';
import { StoppedError } from '../../src/runtime/errors.js';
import { deferred } from '../../src/runtime/internal/deferred.js';
import type { ExitReason, Process } from '../../src/runtime/process.js';
import { NORMAL } from '../../src/runtime/process.js';
import { Registry } from '../../src/runtime/registry.js';
import type { RegistryEvents, RegistryKeys } from '../../src/runtime/registry.js';
import { Supervisor } from '../../src/runtime/supervisor.js';
import { Task } from '../../src/runtime/task.js';
import { $1, Table, TableBadArgError, _ } from '../../src/runtime/table/index.js';

/** A Process whose end the test decides. */
interface FakeProcess extends Process {
  exit(reason?: ExitReason): Promise<void>;
}

function fakeProcess(name: string): FakeProcess {
  const done = deferred<ExitReason>();
  const exit = async (reason: ExitReason = NORMAL): Promise<void> => {
    done.resolve(reason);
    await settle();
  };
  return { name, exited: done.promise, stop: () => exit(), exit };
}

/** Lets `exited` callbacks run. */
function settle(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

const started: Process[] = [];
function start<V>(keys: RegistryKeys, name?: string): Registry<V> {
  const r = Registry.start<V>(name === undefined ? { keys } : { keys, name });
  started.push(r);
  return r;
}

afterEach(async () => {
  await Promise.all(started.splice(0).map((p) => p.stop()));
});

describe('Registry, unique keys', () => {
  it('refuses a taken key with the existing value and owner, and never overwrites it', () => {
    const reg = start<string>('unique');
    const owner = fakeProcess('w1');
    expect(reg.register('a', 'first', { owner })).toEqual({ ok: true });
    expect(reg.register('a', 'second')).toEqual({ ok: false, existing: 'first', owner });
    expect(reg.register('b', 'x')).toEqual({ ok: true });
    expect(reg.register('b', 'y')).toEqual({ ok: false, existing: 'x' });
    expect(reg.whereis('a')).toBe('first');
    expect(reg.lookup('a')).toEqual([{ value: 'first', owner }]);
    expect(reg.lookup('b')).toEqual([{ value: 'x' }]);
    expect(reg.whereis('missing')).toBeUndefined();
    expect(reg.count()).toBe(2);
  });

  it('treats keys as Table does: tuple keys by value, 1 and 1n as one key', () => {
    const reg = start<string>('unique');
    reg.register(['worker', 1], 'w1');
    expect(reg.whereis(['worker', 1])).toBe('w1');
    expect(reg.register(['worker', 1n], 'again')).toEqual({ ok: false, existing: 'w1' });
    expect(reg.whereis(['worker', 2])).toBeUndefined();
  });

  it('frees the key when its owner ends, so it can be registered again', async () => {
    const reg = start<string>('unique');
    const owner = fakeProcess('w1');
    reg.register('job', 'one', { owner });
    await owner.exit();
    expect(reg.whereis('job')).toBeUndefined();
    expect(reg.register('job', 'two')).toEqual({ ok: true });
    expect(reg.whereis('job')).toBe('two');
  });
});

describe('Registry, duplicate keys', () => {
  it('accumulates entries in registration order, the same value twice included', () => {
    const reg = start<string>('duplicate');
    const a = fakeProcess('a');
    expect(reg.register('topic', 'x', { owner: a })).toEqual({ ok: true });
    expect(reg.register('topic', 'y')).toEqual({ ok: true });
    expect(reg.register('topic', 'x', { owner: a })).toEqual({ ok: true });
    expect(reg.lookup('topic')).toEqual([{ value: 'x', owner: a }, { value: 'y' }, { value: 'x', owner: a }]);
    expect(reg.countKey('topic')).toBe(3);
    expect(reg.countKey('other')).toBe(0);
    expect(reg.keys(a)).toEqual(['topic', 'topic']);
  });

  it('dispatches to every entry of a key and rethrows failures only after calling them all', () => {
    const reg = start<(msg: string) => void>('duplicate');
    const got: string[] = [];
    reg.register('t', (m) => got.push(`a:${m}`));
    reg.register('t', () => {
      throw new Error('bad subscriber');
    });
    reg.register('t', (m) => got.push(`c:${m}`));
    expect(() => reg.dispatch('t', (e) => e.value('hi'))).toThrow('bad subscriber');
    expect(got).toEqual(['a:hi', 'c:hi']);
    reg.unregister('t');
    reg.register('t', (m) => got.push(`d:${m}`));
    expect(reg.dispatch('t', (e) => e.value('yo'))).toBe(1);
    expect(reg.dispatch('nobody', (e) => e.value('x'))).toBe(0);
    expect(got).toEqual(['a:hi', 'c:hi', 'd:yo']);
  });

  it('throws an AggregateError when several dispatch calls throw', () => {
    const reg = start<number>('duplicate');
    reg.register('t', 1);
    reg.register('t', 2);
    let err: unknown;
    try {
      reg.dispatch('t', (e) => {
        throw new Error(`no ${e.value}`);
      });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(AggregateError);
    expect((err as AggregateError).errors.map((e: Error) => e.message)).toEqual(['no 1', 'no 2']);
  });

  it('matches values under a key by a Table pattern and a guard', () => {
    type Sub = { kind: string; priority: number };
    const reg = start<Sub>('duplicate');
    reg.register('jobs', { kind: 'email', priority: 1 });
    reg.register('jobs', { kind: 'sms', priority: 5 });
    reg.register('jobs', { kind: 'email', priority: 9 });
    reg.register('other', { kind: 'email', priority: 9 });
    expect(reg.match('jobs', { kind: 'email' }).map((e) => e.value.priority)).toEqual([1, 9]);
    expect(reg.match('jobs', { priority: $1 }, (b) => (b.$1 as number) > 3).map((e) => e.value.kind)).toEqual(
      ['sms', 'email'],
    );
    expect(reg.match('jobs', _)).toHaveLength(3);
    expect(reg.match('none', _)).toEqual([]);
  });

  it('throws on whereis, which needs a unique registry', () => {
    const reg = start('duplicate', 'dups');
    expect(() => reg.whereis('k')).toThrow(/"dups".*`whereis` needs a unique registry/);
  });
});

describe.each<RegistryKeys>(['unique', 'duplicate'])('Registry (%s): owners', (mode) => {
  it('removes exactly the ended owner’s entries, emitting an exit event for each', async () => {
    const reg = start<string>(mode);
    const a = fakeProcess('a');
    const b = fakeProcess('b');
    reg.register('k1', 'a1', { owner: a });
    reg.register('k2', 'a2', { owner: a });
    reg.register('k3', 'b3', { owner: b });
    reg.register('k4', 'free');
    if (mode === 'duplicate') {
      reg.register('k1', 'b1', { owner: b });
      reg.register('k1', 'a1-again', { owner: a });
    }
    const gone: RegistryEvents<string>['unregistered'][] = [];
    reg.on('unregistered', (e) => gone.push(e));
    await a.exit();
    expect(gone.map((e) => [e.key, e.value, e.owner?.name, e.reason])).toEqual(
      mode === 'unique'
        ? [
            ['k1', 'a1', 'a', 'exit'],
            ['k2', 'a2', 'a', 'exit'],
          ]
        : [
            ['k1', 'a1', 'a', 'exit'],
            ['k1', 'a1-again', 'a', 'exit'],
            ['k2', 'a2', 'a', 'exit'],
          ],
    );
    expect(reg.keys(a)).toEqual([]);
    expect(reg.lookup('k2')).toEqual([]);
    expect(reg.lookup('k1')).toEqual(mode === 'unique' ? [] : [{ value: 'b1', owner: b }]);
    expect(reg.lookup('k3')).toEqual([{ value: 'b3', owner: b }]);
    expect(reg.lookup('k4')).toEqual([{ value: 'free' }]);
    expect(reg.keys(b).sort()).toEqual(mode === 'unique' ? ['k3'] : ['k1', 'k3']);
    expect(reg.count()).toBe(mode === 'unique' ? 2 : 3);
  });

  it('unregisters by key, or only one owner’s entries under it, keeping keys(owner) in step', () => {
    const reg = start<string>(mode);
    const a = fakeProcess('a');
    const b = fakeProcess('b');
    reg.register('k', 'a', { owner: a });
    reg.register('j', 'a', { owner: a });
    if (mode === 'duplicate') reg.register('k', 'b', { owner: b });
    expect(reg.unregister('k', b)).toBe(mode === 'unique' ? 0 : 1);
    expect(reg.keys(b)).toEqual([]);
    expect(reg.unregister('k', fakeProcess('stranger'))).toBe(0);
    expect(reg.unregister('k')).toBe(1);
    expect(reg.keys(a)).toEqual(['j']);
    expect(reg.unregister('k')).toBe(0);
    expect(reg.unregister('j', a)).toBe(1);
    expect(reg.keys(a)).toEqual([]);
    expect(reg.count()).toBe(0);
  });

  it('removes a registerProcess entry when the process (an Agent) stops', async () => {
    const reg = start<Process>(mode);
    const agent = await Agent.start(() => 0, { name: 'counter' });
    expect(reg.registerProcess('counter', agent)).toEqual({ ok: true });
    expect(reg.lookup('counter')).toEqual([{ value: agent, owner: agent }]);
    await agent.stop();
    await settle();
    expect(reg.lookup('counter')).toEqual([]);
  });

  it('removes a Task’s entry when the task finishes, and a Table-owning process’s when it ends', async () => {
    const reg = start<Process | Table>(mode);
    const gate = deferred<void>();
    const task = Task.async(() => gate.promise, { name: 'job' });
    reg.registerProcess('task', task);
    const owner = fakeProcess('table-owner');
    const table = Table.new({ owner });
    reg.register('table', table, { owner });
    expect(reg.count()).toBe(2);
    gate.resolve();
    await task.await();
    await settle();
    expect(reg.lookup('task')).toEqual([]);
    await owner.exit();
    expect(reg.lookup('table')).toEqual([]);
    expect(() => table.lookup('x')).toThrow(/dropped/); // the table went with its owner too
  });

  it('removes, on the next turn, an entry whose owner had already ended', async () => {
    const reg = start<string>(mode);
    const dead = fakeProcess('dead');
    await dead.exit();
    reg.register('k', 'v', { owner: dead });
    await settle();
    expect(reg.lookup('k')).toEqual([]);
  });
});

describe('Registry as a process', () => {
  it('emits registered and unregistered events', () => {
    const reg = start<number>('unique');
    const events: string[] = [];
    const off = reg.on('registered', (e) => events.push(`+${String(e.key)}=${e.value}`));
    reg.on('unregistered', (e) => events.push(`-${String(e.key)}=${e.value} (${e.reason})`));
    reg.register('a', 1);
    reg.register('a', 2); // refused: no event
    reg.unregister('a');
    off();
    reg.register('b', 3);
    expect(events).toEqual(['+a=1', '-a=1 (unregister)']);
  });

  it('stops: drops every entry, resolves exited with shutdown, and later calls throw StoppedError', async () => {
    const reg = Registry.start<string>({ keys: 'unique', name: 'names' });
    const owner = fakeProcess('w');
    reg.register('a', 'x', { owner });
    const gone: unknown[] = [];
    reg.on('unregistered', (e) => gone.push(e));
    await reg.stop();
    await reg.stop(); // idempotent
    expect(await reg.exited).toEqual({ kind: 'shutdown' });
    const calls: [string, () => unknown][] = [
      ['register', () => reg.register('b', 'y')],
      ['registerProcess', () => reg.registerProcess('b', owner as unknown as string & Process)],
      ['lookup', () => reg.lookup('a')],
      ['whereis', () => reg.whereis('a')],
      ['unregister', () => reg.unregister('a')],
      ['keys', () => reg.keys(owner)],
      ['count', () => reg.count()],
      ['countKey', () => reg.countKey('a')],
      ['dispatch', () => reg.dispatch('a', () => {})],
      ['match', () => reg.match('a', _)],
      ['on', () => reg.on('registered', () => {})],
    ];
    for (const [what, call] of calls) {
      expect(call, what).toThrow(StoppedError);
      expect(call, what).toThrow('registry "names" has stopped');
    }
    await owner.exit(); // the owner ending afterwards is harmless
    expect(gone).toEqual([]);
  });

  it('can be supervised: the supervisor starts it and stops it', async () => {
    let reg: Registry | undefined;
    const sup = await Supervisor.start([
      {
        id: 'registry',
        start: () => (reg = Registry.start({ keys: 'unique', name: 'supervised' })),
      },
    ]);
    reg!.register('x', 1);
    await sup.stop();
    expect(() => reg!.count()).toThrow(StoppedError);
  });
});

describe('Registry: bad arguments', () => {
  it('names a bad option and its value', () => {
    expect(() => Registry.start({ keys: 'many' as RegistryKeys })).toThrow(
      'Expected `keys` to be one of "unique", "duplicate", got `"many"` (string)',
    );
    expect(() => Registry.start(undefined as unknown as { keys: 'unique' })).toThrow(/`opts`/);
    expect(() => Registry.start({ keys: 'unique', name: '' })).toThrow(
      'Expected `name` to be a non-empty string, got `""` (string)',
    );
  });

  it('names a bad key, leaving the registry unchanged', () => {
    const reg = start<string>('unique');
    for (const bad of [NaN, undefined, { id: 1 }, ['ok', undefined]]) {
      let err: unknown;
      try {
        reg.register(bad as unknown as string, 'v');
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(TableBadArgError);
      expect((err as Error).message).toMatch(/^Expected `key` to be a valid key/);
    }
    expect(() => reg.lookup(NaN)).toThrow('got `NaN` (number)');
    expect(() => reg.unregister({} as string)).toThrow(TableBadArgError);
    expect(reg.count()).toBe(0);
  });

  it('names a bad owner, process, callback or event', () => {
    const reg = start<unknown>('duplicate');
    expect(() => reg.register('k', 1, { owner: {} as Process })).toThrow(
      'Expected `owner` to be a Process (with name, exited and stop), got `{}` (object)',
    );
    expect(() => reg.registerProcess('k', 'nope' as unknown as Process)).toThrow(/`process`/);
    expect(() => reg.keys(null as unknown as Process)).toThrow(/`owner`/);
    expect(() => reg.dispatch('k', 'fn' as unknown as () => void)).toThrow(
      'Expected `fn` to be a function, got `"fn"` (string)',
    );
    expect(() => reg.match('k', _, 1 as unknown as () => boolean)).toThrow(/`where`/);
    expect(() => reg.on('changed' as 'registered', () => {})).toThrow(/`event`/);
    expect(() => reg.stop(-1)).toThrow(/`graceMs`/);
    expect(reg.count()).toBe(0);
  });
});
