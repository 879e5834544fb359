/** `retry`, `cancel`, `pause`, `resume`: what changed, line by line, and exit 3 for missing ids. */
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { JobRecord } from '../../src/index.js';
import { insert, jsonOf, runOn, seedStates, tempDir, withSqlite } from './helpers.js';

const tmp = tempDir('admin');
afterAll(() => tmp.cleanup());
let n = 0;
/** A fresh store per test, holding one job in each state (see seedStates). */
async function seeded(): Promise<string> {
  const file = join(tmp.dir, `admin-${++n}.db`);
  await seedStates(file);
  return file;
}
const stateOf = async (file: string, id: string): Promise<string> =>
  jsonOf<JobRecord>(await runOn(file, ['job', id, '--json'])).state;

describe('steward retry', () => {
  it('retries finished jobs and says what each was; leaves others unchanged', async () => {
    const file = await seeded();
    const { code, out, err } = await runOn(file, ['retry', '2', '1', '3']);
    expect(code).toBe(0);
    expect(err).toBe('');
    expect(out).toBe(
      'job 2: retried (was discarded; now available)\n' +
        'job 1: retried (was completed; now available)\n' +
        'job 3: unchanged (available; only completed, discarded or cancelled jobs are retried)\n',
    );
    const job = jsonOf<JobRecord>(await runOn(file, ['job', '2', '--json']));
    expect(job.state).toBe('available');
    expect(job.errors).toHaveLength(2); // kept
  });

  it('exits 3 when an id does not exist, after retrying the others', async () => {
    const file = await seeded();
    const { code, out, err } = await runOn(file, ['retry', '999', '6']);
    expect(code).toBe(3);
    expect(out).toBe('job 6: retried (was cancelled; now available)\n');
    expect(err).toBe('steward: job 999 not found — list the jobs with "steward jobs"\n');
    expect(await stateOf(file, '6')).toBe('available');
  });

  it('retries every job in a state with --state, paging through them, and only those', async () => {
    const file = join(tmp.dir, 'many-dead.db');
    await withSqlite(file, async (store) => {
      await store.insertJobs(
        Array.from({ length: 1203 }, (_, i) =>
          insert('k', { queue: i % 3 === 0 ? 'a' : 'b', maxAttempts: 1 }),
        ),
      );
      for (const queue of ['a', 'b']) {
        for (;;) {
          const got = await store.fetchJobs({ queue, demand: 500, owner: 't', leaseMs: 60_000 });
          if (got.length === 0) break;
          for (const j of got) {
            await store.errorJob(
              { id: j.id, token: j.lease!.token },
              { attempt: 1, at: Date.now(), name: 'Error', message: 'x' },
              null,
            );
          }
        }
      }
    });
    const onlyA = await runOn(file, ['retry', '--state', 'discarded', '--queue', 'a']);
    expect(onlyA).toEqual({ code: 0, out: 'retried 401 jobs (discarded)\n', err: '' });
    const rest = await runOn(file, ['retry', '--state', 'discarded']);
    expect(rest.out).toBe('retried 802 jobs (discarded)\n');
    expect(await runOn(file, ['retry', '--state', 'discarded'])).toMatchObject({
      code: 0,
      out: 'retried 0 jobs (discarded)\n',
    });
    const counts = await withSqlite(file, (store) => store.countJobs());
    expect(counts).toEqual({ a: { available: 401 }, b: { available: 802 } });
  });

  it('exits 2 with neither ids nor --state, with both, or with a state that cannot be retried', async () => {
    const file = await seeded();
    expect((await runOn(file, ['retry'])).code).toBe(2);
    expect((await runOn(file, ['retry', '1', '--state', 'discarded'])).code).toBe(2);
    const bad = await runOn(file, ['retry', '--state', 'executing']);
    expect(bad.code).toBe(2);
    expect(bad.err).toBe(
      'steward: jobs that are executing cannot be retried — use --state completed,discarded,cancelled\n',
    );
    expect(await stateOf(file, '5')).toBe('executing');
  });
});

describe('steward cancel', () => {
  it('cancels queued jobs at once, asks running ones, leaves finished ones, and exits 3 for missing ids', async () => {
    const file = await seeded();
    const { code, out, err } = await runOn(file, ['cancel', '3', '5', '1', '42', '4']);
    expect(code).toBe(3);
    expect(out).toBe(
      'job 3: cancelled\n' +
        'job 5: cancelling (running; its worker is told)\n' +
        'job 1: unchanged (already completed)\n' +
        'job 4: cancelled\n',
    );
    expect(err).toBe('steward: job 42 not found — list the jobs with "steward jobs"\n');
    expect(await stateOf(file, '3')).toBe('cancelled');
    expect(await stateOf(file, '4')).toBe('cancelled');
    const running = jsonOf<JobRecord>(await runOn(file, ['job', '5', '--json']));
    expect(running).toMatchObject({ state: 'executing', cancelRequested: true });
    expect((await runOn(file, ['jobs', '--state', 'executing'])).out).toContain('executing (cancelling)');
  });

  it('exits 0 when every id exists', async () => {
    const file = await seeded();
    expect(await runOn(file, ['cancel', '3'])).toEqual({ code: 0, out: 'job 3: cancelled\n', err: '' });
  });
});

describe('steward pause / resume', () => {
  it('pauses and resumes a queue in the store, and says when nothing changed', async () => {
    const file = await seeded();
    expect(await runOn(file, ['pause', 'email'])).toEqual({ code: 0, out: 'queue email: paused\n', err: '' });
    expect((await runOn(file, ['pause', 'email'])).out).toBe('queue email: already paused\n');
    const paused = await withSqlite(file, (store) => store.listQueues());
    expect(paused.find((q) => q.name === 'email')?.paused).toBe(true);
    expect((await runOn(file, ['stats'])).out).toContain('email (paused)');
    expect((await runOn(file, ['resume', 'email'])).out).toBe('queue email: resumed\n');
    expect((await runOn(file, ['resume', 'email'])).out).toBe('queue email: already running\n');
    const resumed = await withSqlite(file, (store) => store.listQueues());
    expect(resumed.find((q) => q.name === 'email')?.paused).toBe(false);
  });

  it('can pause a queue that has no jobs yet', async () => {
    const file = join(tmp.dir, 'empty-pause.db');
    expect((await runOn(file, ['pause', 'later'])).out).toBe('queue later: paused\n');
    const queues = await withSqlite(file, (store) => store.listQueues());
    expect(queues).toContainEqual({ name: 'later', paused: true });
  });

  it('exits 2 without a queue name', async () => {
    expect((await runOn(join(tmp.dir, 'x.db'), ['pause'])).code).toBe(2);
    expect((await runOn(join(tmp.dir, 'x.db'), ['resume', ''])).code).toBe(2);
  });
});
