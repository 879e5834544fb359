import { afterEach, describe, expect, it } from 'vitest';
import { deferred } from '../../src/runtime/internal/deferred.js';
import type { ExitReason, Process } from '../../src/runtime/process.js';
import { crashed, NORMAL } from '../../src/runtime/process.js';
import { onReport } from '../../src/runtime/report.js';
import type { RuntimeReport } from '../../src/runtime/report.js';
import { $1, Table, TableAccessError, TableDroppedError } from '../../src/runtime/table/index.js';
import type { TableAccess } from '../../src/runtime/table/index.js';

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

/** Lets the table's `exited` callbacks run. */
function settle(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

const owned: Table<never>[] = [];
function own<R extends readonly unknown[]>(t: Table<R>): Table<R> {
  owned.push(t as unknown as Table<never>);
  return t;
}
const offs: (() => void)[] = [];

afterEach(() => {
  for (const t of owned.splice(0)) if (t.isOwner) t.drop();
  for (const off of offs.splice(0)) off();
});

type Row = [string, number];

function tableWith(access: TableAccess, name?: string): Table<Row> {
  const t = own(Table.new<Row>(name === undefined ? { access } : { access, name }));
  t.insert(['a', 1]);
  return t;
}

describe('access', () => {
  it('the owner handle reads and writes a protected table; share() reads but every write throws naming table and verb', () => {
    const owner = tableWith('protected', 'acc-protected');
    const shared = owner.share();
    expect(owner.isOwner).toBe(true);
    expect(shared.isOwner).toBe(false);
    expect(shared.lookup('a')).toEqual([['a', 1]]);
    expect(shared.match(['a', $1])).toEqual([[1]]);
    const writes: [string, () => unknown][] = [
      ['insert', () => shared.insert(['b', 2])],
      ['insertNew', () => shared.insertNew(['b', 2])],
      ['delete', () => shared.delete('a')],
      ['take', () => shared.take('a')],
      ['updateCounter', () => shared.updateCounter('a', 1)],
      ['updateElement', () => shared.updateElement('a', [1, 5])],
      ['deleteAllObjects', () => shared.deleteAllObjects()],
      ['matchDelete', () => shared.matchDelete(['a', 1])],
      ['drop', () => shared.drop()],
    ];
    for (const [verb, write] of writes) {
      let err: unknown;
      try {
        write();
      } catch (e) {
        err = e;
      }
      expect(err, verb).toBeInstanceOf(TableAccessError);
      expect((err as TableAccessError).verb).toBe(verb);
      expect((err as TableAccessError).table).toBe('acc-protected');
      expect((err as Error).message).toContain('acc-protected');
      expect((err as Error).message).toContain(`\`${verb}\``);
    }
    expect(owner.toList()).toEqual([['a', 1]]);
  });

  it('a public table accepts writes through shared handles', () => {
    const owner = tableWith('public');
    const shared = owner.share();
    shared.insert(['b', 2]);
    expect(shared.updateCounter('a', 4)).toBe(5);
    expect(owner.toList()).toEqual([
      ['a', 5],
      ['b', 2],
    ]);
  });

  it('a private table cannot be shared or found by name, and its owner uses it freely', () => {
    const owner = tableWith('private', 'acc-private');
    expect(() => owner.share()).toThrow(TableAccessError);
    expect(() => owner.share()).toThrow(/acc-private.*share.*private/);
    expect(() => Table.whereis('acc-private')).toThrow(/acc-private.*whereis.*private/);
    owner.insert(['b', 2]);
    expect(owner.info().size).toBe(2);
  });

  it('share() returns the same non-owner handle each time', () => {
    const owner = tableWith('protected');
    expect(owner.share()).toBe(owner.share());
  });
});

describe('names', () => {
  it('whereis finds a named table as a non-owner handle, and the name is unique while it lives', () => {
    const owner = tableWith('protected', 'jobs-names');
    const found = Table.whereis<Row>('jobs-names');
    expect(found?.isOwner).toBe(false);
    expect(found?.lookup('a')).toEqual([['a', 1]]);
    expect(owner.name).toBe('jobs-names');
    expect(() => Table.new({ name: 'jobs-names' })).toThrow(/`name`.*"jobs-names"/);
    expect(Table.whereis('no-such-table')).toBeUndefined();
  });

  it('dropping frees the name', () => {
    const first = tableWith('protected', 'reused-name');
    first.drop();
    expect(Table.whereis('reused-name')).toBeUndefined();
    const second = own(Table.new<Row>({ name: 'reused-name' }));
    expect(Table.whereis<Row>('reused-name')?.toList()).toEqual([]);
    expect(second.isOwner).toBe(true);
  });
});

describe('lifetime', () => {
  it('after drop every verb on every handle throws TableDroppedError naming the table', () => {
    const owner = tableWith('public', 'dropped-one');
    const shared = owner.share();
    owner.drop();
    for (const h of [owner, shared]) {
      for (const call of [
        () => h.lookup('a'),
        () => h.insert(['b', 1]),
        () => h.toList(),
        () => h.info(),
        () => h.share(),
        () => h.transaction(() => 1),
        () => h.drop(),
      ]) {
        expect(call).toThrow(TableDroppedError);
        expect(call).toThrow(/"dropped-one" has been dropped/);
      }
    }
  });

  it('drops the table when its owner process ends', async () => {
    const proc = fakeProcess('worker-1');
    const owner = own(Table.new<Row>({ owner: proc, name: 'dies-with-owner' }));
    owner.insert(['a', 1]);
    expect(owner.info().owner).toBe('worker-1');
    const shared = owner.share();
    await proc.exit(crashed(new Error('boom')));
    expect(() => owner.lookup('a')).toThrow(TableDroppedError);
    expect(() => shared.lookup('a')).toThrow(/"dies-with-owner" has been dropped \(called `lookup`\)/);
    expect(Table.whereis('dies-with-owner')).toBeUndefined();
  });

  it('hands the table to a live heir: onTransfer gets an owner handle, the old handle loses owner rights', async () => {
    const proc = fakeProcess('owner');
    const heirProc = fakeProcess('heir');
    const transfers: [Table<Row>, unknown][] = [];
    const old = own(
      Table.new<Row>({
        owner: proc,
        heir: {
          process: heirProc,
          data: { why: 'failover' },
          onTransfer: (t, data) => transfers.push([t, data]),
        },
      }),
    );
    old.insert(['a', 1]);
    expect(old.info().heir).toBe('heir');
    await proc.exit();
    expect(transfers).toHaveLength(1);
    const [inherited, data] = transfers[0] as [Table<Row>, unknown];
    expect(data).toEqual({ why: 'failover' });
    expect(inherited.isOwner).toBe(true);
    expect(old.isOwner).toBe(false);
    expect(inherited.lookup('a')).toEqual([['a', 1]]);
    expect(() => old.insert(['b', 2])).toThrow(TableAccessError);
    inherited.insert(['b', 2]);
    expect(inherited.info()).toMatchObject({ owner: 'heir', heir: undefined, size: 2 });
    await heirProc.exit();
    expect(() => inherited.lookup('a')).toThrow(TableDroppedError);
  });

  it('drops the table when the heir has already ended', async () => {
    const proc = fakeProcess('owner');
    const heirProc = fakeProcess('heir');
    let transferred = false;
    const t = own(
      Table.new<Row>({ owner: proc, heir: { process: heirProc, onTransfer: () => (transferred = true) } }),
    );
    await heirProc.exit();
    await proc.exit();
    expect(transferred).toBe(false);
    expect(() => t.toList()).toThrow(TableDroppedError);
  });

  it('reports an onTransfer that throws; the heir still owns the table', async () => {
    const reports: RuntimeReport[] = [];
    offs.push(onReport((r) => reports.push(r)));
    const proc = fakeProcess('owner');
    const heirProc = fakeProcess('heir');
    const t = own(
      Table.new<Row>({
        name: 'bad-transfer',
        owner: proc,
        heir: {
          process: heirProc,
          onTransfer: () => {
            throw new Error('hook failed');
          },
        },
      }),
    );
    await proc.exit();
    expect(reports).toMatchObject([
      { source: 'table', name: 'bad-transfer', event: 'table.transfer_failed' },
    ]);
    expect(reports[0]?.reason?.message).toBe('hook failed');
    expect(t.info().owner).toBe('heir');
    await heirProc.exit();
    expect(() => t.info()).toThrow(TableDroppedError);
  });

  it('giveAway moves ownership to another process, whose end then drops the table', async () => {
    const first = fakeProcess('first');
    const second = fakeProcess('second');
    const old = own(Table.new<Row>({ owner: first }));
    old.insert(['a', 1]);
    const received: unknown[] = [];
    const handle = old.giveAway(second, 'gift', (t, data) => received.push(t.isOwner, data));
    expect(received).toEqual([true, 'gift']);
    expect(handle.isOwner).toBe(true);
    expect(old.isOwner).toBe(false);
    expect(() => old.insert(['b', 2])).toThrow(TableAccessError);
    expect(() => old.giveAway(first)).toThrow(/giveAway.*only the owner/);
    await first.exit();
    expect(handle.lookup('a')).toEqual([['a', 1]]);
    await second.exit();
    expect(() => handle.lookup('a')).toThrow(TableDroppedError);
  });

  it('giveAway refuses the current owner and non-processes, naming them', () => {
    const proc = fakeProcess('me');
    const t = own(Table.new<Row>({ owner: proc }));
    expect(() => t.giveAway(proc)).toThrow(/other than the owner.*"me"/);
    expect(() => t.giveAway({ name: 'x' } as unknown as Process)).toThrow(/`process`.*Process/);
    expect(t.isOwner).toBe(true);
  });
});
