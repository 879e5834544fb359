import { describe, expect, it } from 'vitest';
import { UnrecoverableError } from '../../src/index.js';
import { waitFor } from '../../src/testing/index.js';
import { startSteward } from './helpers.js';

describe('dependencies', () => {
  it('runs a DAG inserted at once with refs: each job after all its parents', async () => {
    const order: string[] = [];
    const steward = await startSteward({
      queues: { default: { concurrency: 4 } },
      jobs: { step: async (p: { name: string }) => void order.push(p.name) },
    });
    //   a ─┬─► c ─► d
    //   b ─┘
    const jobs = await steward.enqueueMany([
      { kind: 'step', payload: { name: 'd' }, opts: { ref: 'd', dependsOn: [{ ref: 'c' }] } },
      { kind: 'step', payload: { name: 'c' }, opts: { ref: 'c', dependsOn: [{ ref: 'a' }, { ref: 'b' }] } },
      { kind: 'step', payload: { name: 'a' }, opts: { ref: 'a' } },
      { kind: 'step', payload: { name: 'b' }, opts: { ref: 'b' } },
    ]);
    expect(jobs.map((j) => j.state)).toEqual(['waiting', 'waiting', 'available', 'available']);
    expect(jobs[1]!.dependsOn).toEqual([jobs[2]!.id, jobs[3]!.id]);
    await steward.drain();
    expect(order.slice(2)).toEqual(['c', 'd']);
    expect(new Set(order.slice(0, 2))).toEqual(new Set(['a', 'b']));
  });

  it('waits for an existing parent by id', async () => {
    const order: string[] = [];
    const steward = await startSteward({
      queues: { default: { paused: true } },
      jobs: { step: (p: { name: string }) => void order.push(p.name) },
    });
    const parent = await steward.enqueue('step', { name: 'parent' });
    const child = await steward.enqueue('step', { name: 'child' }, { dependsOn: [parent.id], priority: 0 });
    expect(child.state).toBe('waiting');
    await steward.resumeQueue('default');
    await steward.drain();
    expect(order).toEqual(['parent', 'child']);
  });

  it('cancels dependants, cascading, when a parent ends discarded', async () => {
    const ran: string[] = [];
    const steward = await startSteward({
      jobs: {
        doomed: () => {
          throw new UnrecoverableError('parent failed');
        },
        step: (p: { name: string }) => void ran.push(p.name),
      },
    });
    const [parent, child, grandchild, other] = await steward.enqueueMany([
      { kind: 'doomed', payload: null, opts: { ref: 'p' } },
      { kind: 'step', payload: { name: 'child' }, opts: { ref: 'c', dependsOn: [{ ref: 'p' }] } },
      { kind: 'step', payload: { name: 'grandchild' }, opts: { dependsOn: [{ ref: 'c' }] } },
      { kind: 'step', payload: { name: 'independent' } },
    ]);
    await steward.drain();
    const states = await Promise.all(
      [parent, child, grandchild, other].map(async (j) => (await steward.getJob(j!.id))!.state),
    );
    expect(states).toEqual(['discarded', 'cancelled', 'cancelled', 'completed']);
    expect(ran).toEqual(['independent']);
    // The cascade is reported like any cancel, so the stats add up.
    await waitFor(async () => (await steward.stats()).cancelled === 2);
    const stats = await steward.stats();
    expect(stats.enqueued).toBe(stats.completed + stats.discarded + stats.cancelled);
    // A job enqueued later on the dead parent is born cancelled.
    const late = await steward.enqueue('step', { name: 'late' }, { dependsOn: [parent!.id] });
    expect(late.state).toBe('cancelled');
  });

  it('cascades a cancel of a queued parent to its dependants', async () => {
    const steward = await startSteward({ queues: { default: { paused: true } }, jobs: { step: () => null } });
    const [a, b, c] = await steward.enqueueMany([
      { kind: 'step', payload: 1, opts: { ref: 'a' } },
      { kind: 'step', payload: 2, opts: { ref: 'b', dependsOn: [{ ref: 'a' }] } },
      { kind: 'step', payload: 3, opts: { dependsOn: [{ ref: 'b' }] } },
    ]);
    const cancelled: string[] = [];
    steward.on('job.cancel', ({ job }) => cancelled.push(job.id));
    await steward.cancelJob(a!.id);
    const states = await Promise.all([a, b, c].map(async (j) => (await steward.getJob(j!.id))!.state));
    expect(states).toEqual(['cancelled', 'cancelled', 'cancelled']);
    await waitFor(() => cancelled.length === 3);
    expect([...cancelled].sort()).toEqual([a!.id, b!.id, c!.id].sort());
  });
});

describe('unique jobs', () => {
  it('returns the existing job for a second equal enqueue instead of a duplicate', async () => {
    const steward = await startSteward({
      queues: { default: { paused: true } },
      jobs: { sync: { unique: {}, handler: () => null } },
    });
    const inserts: [number, number][] = [];
    steward.on('job.insert', (e) => inserts.push([e.jobs.length, e.duplicates]));
    const first = await steward.enqueue('sync', { user: 1, scope: 'all' });
    const again = await steward.enqueue('sync', { scope: 'all', user: 1 }); // key order does not matter
    const other = await steward.enqueue('sync', { user: 2, scope: 'all' });
    expect(again.id).toBe(first.id);
    expect(other.id).not.toBe(first.id);
    expect(inserts).toEqual([
      [1, 0],
      [0, 1],
      [1, 0],
    ]);
    expect(await steward.queueSize()).toBe(2);
    const unrelated = await steward.enqueue('sync', { user: 1, scope: 'all' }, { unique: false });
    expect(unrelated.id).not.toBe(first.id);
  });

  it('honours an explicit key and states: a completed job no longer blocks by default', async () => {
    const steward = await startSteward({
      queues: { default: { paused: true } },
      jobs: { report: () => 'done' },
    });
    const first = await steward.enqueue('report', { day: 1 }, { unique: { key: 'daily' } });
    const dup = await steward.enqueue('report', { day: 2 }, { unique: { key: 'daily' } });
    expect(dup.id).toBe(first.id);
    await steward.resumeQueue('default');
    await steward.drain();
    await steward.pauseQueue('default');
    const next = await steward.enqueue('report', { day: 3 }, { unique: { key: 'daily' } });
    expect(next.id).not.toBe(first.id);
    const blocked = await steward.enqueue(
      'report',
      { day: 4 },
      { unique: { key: 'daily', states: ['completed'] } },
    );
    expect(blocked.id).toBe(first.id);
  });
});
