/** `steward jobs` and `steward job <id>`: listing, filtering, paging and one job in full. */
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { JobRecord } from '../../src/index.js';
import { jsonOf, runOn, seedStates, tempDir } from './helpers.js';

const tmp = tempDir('jobs');
const file = join(tmp.dir, 'jobs.db');
beforeAll(() => seedStates(file));
afterAll(() => tmp.cleanup());

const ids = (r: { out: string; code: number; err: string }): string[] =>
  jsonOf<JobRecord[]>(r).map((j) => j.id);

describe('steward jobs', () => {
  it('prints an aligned table: id, state, kind, queue, priority, attempts, when, last error', async () => {
    const { code, out } = await runOn(file, ['jobs']);
    expect(code).toBe(0);
    const lines = out.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^ID\s+STATE\s+KIND\s+QUEUE\s+PRI\s+ATTEMPT\s+WHEN\s+LAST ERROR$/);
    expect(lines).toHaveLength(7);
    // Aligned: every column starts where its header does.
    const stateAt = lines[0]!.indexOf('STATE');
    const kindAt = lines[0]!.indexOf('KIND');
    for (const line of lines.slice(1)) {
      expect(line[stateAt - 1]).toBe(' ');
      expect(line[stateAt]).not.toBe(' ');
      expect(line[kindAt]).not.toBe(' ');
    }
    expect(lines[2]).toMatch(
      /^2\s+discarded\s+broken\s+other\s+5\s+2\/2\s+(now|\d+s ago)\s+failure number 2$/,
    );
    expect(lines[4]).toMatch(/^4\s+scheduled\s+report\s+default\s+5\s+0\/3\s+in (59m|1h)$/);
  });

  it('filters by state (repeatable or comma-separated), queue and kind', async () => {
    expect(ids(await runOn(file, ['jobs', '--state', 'completed,cancelled', '--json']))).toEqual(['1', '6']);
    expect(ids(await runOn(file, ['jobs', '-s', 'discarded', '-s', 'executing', '--json']))).toEqual([
      '2',
      '5',
    ]);
    expect(ids(await runOn(file, ['jobs', '--queue', 'email', '--json']))).toEqual(['3']);
    expect(ids(await runOn(file, ['jobs', '--kind', 'echo', '--json']))).toEqual(['1', '6']);
    expect(ids(await runOn(file, ['jobs', '--kind', 'echo', '--state', 'completed', '--json']))).toEqual([
      '1',
    ]);
  });

  it('pages with --limit and --after, newest first with --desc, and says when more may follow', async () => {
    const first = await runOn(file, ['jobs', '--limit', '2']);
    expect(
      first.out
        .trimEnd()
        .split('\n')
        .slice(1, 3)
        .map((l) => l.split(/\s+/)[0]),
    ).toEqual(['1', '2']);
    expect(first.out).toContain('(more may follow: add --after 2)');
    expect(ids(await runOn(file, ['jobs', '--limit', '2', '--after', '2', '--json']))).toEqual(['3', '4']);
    expect(ids(await runOn(file, ['jobs', '--desc', '--limit', '3', '--json']))).toEqual(['6', '5', '4']);
    expect((await runOn(file, ['jobs', '--limit', '50'])).out).not.toContain('more may follow');
  });

  it('prints JSON records with every field', async () => {
    const jobs = jsonOf<JobRecord[]>(await runOn(file, ['jobs', '--json']));
    expect(jobs).toHaveLength(6);
    expect(jobs[1]).toMatchObject({ id: '2', state: 'discarded', attempt: 2, maxAttempts: 2 });
    expect(jobs[1]!.errors.map((e) => e.message)).toEqual(['failure number 1', 'failure number 2']);
    expect(jobs[4]!.lease).toMatchObject({ owner: 'test' });
  });

  it('says so when nothing matches', async () => {
    expect(await runOn(file, ['jobs', '--queue', 'nothing-here'])).toEqual({
      code: 0,
      out: 'no jobs\n',
      err: '',
    });
    expect(jsonOf<unknown[]>(await runOn(file, ['jobs', '--queue', 'nothing-here', '--json']))).toEqual([]);
  });

  it('exits 2 on an unknown state, listing the valid ones', async () => {
    const { code, err } = await runOn(file, ['jobs', '--state', 'completed,failed']);
    expect(code).toBe(2);
    expect(err).toMatch(
      /^steward: option '-s, --state <states>' argument 'completed,failed' is invalid\. Expected job states from: scheduled, available, waiting, executing, retryable, completed, discarded, cancelled\./,
    );
  });

  it('exits 2 on a bad --limit or an --after the store could never have made', async () => {
    expect((await runOn(file, ['jobs', '--limit', '0'])).code).toBe(2);
    const after = await runOn(file, ['jobs', '--after', 'abc']);
    expect(after.code).toBe(2);
    expect(after.err).toMatch(
      /^steward: .*filter\.after.* — pass --after an id that "steward jobs" printed\n$/,
    );
  });
});

describe('steward job <id>', () => {
  it('shows one job in full', async () => {
    const { code, out } = await runOn(file, ['job', '3']);
    expect(code).toBe(0);
    expect(out).toMatch(/^job 3: email \(available\)\n/);
    expect(out).toMatch(/^ {2}queue {7}email$/m);
    expect(out).toMatch(/^ {2}priority {4}1 \(critical\)$/m);
    expect(out).toMatch(/^ {2}attempt {5}0 of 3$/m);
    expect(out).toContain('payload     {"to":"ada@example.com"}');
    expect(out).toMatch(/^ {2}finished {4}-$/m);
  });

  it('shows the result, the lease, and errors without stacks unless --verbose', async () => {
    expect((await runOn(file, ['job', '1'])).out).toContain('result      {"ok":true}');
    expect((await runOn(file, ['job', '5'])).out).toMatch(
      /lease {7}held by test \(token \d+\), expires .*\(in \d+s\)/,
    );
    const plain = (await runOn(file, ['job', '2'])).out;
    expect(plain).toMatch(/attempt 1 at .*: Error: failure number 1\n/);
    expect(plain).toMatch(/attempt 2 at .*: Error: failure number 2\n/);
    expect(plain).not.toContain('jobs.ts:1:1');
    expect(plain).toContain('(stacks: --verbose or --json)');
    const verbose = (await runOn(file, ['job', '2', '--verbose'])).out;
    expect(verbose).toContain('at handler (jobs.ts:1:1)');
    expect(verbose).toContain('at handler (jobs.ts:2:1)');
  });

  it('prints the record as JSON, stacks included', async () => {
    const job = jsonOf<JobRecord>(await runOn(file, ['job', '2', '--json']));
    expect(job).toMatchObject({ id: '2', kind: 'broken', state: 'discarded' });
    expect(job.errors[0]!.stack).toContain('at handler (jobs.ts:1:1)');
  });

  it('exits 3 with one line when the job does not exist', async () => {
    for (const id of ['999', 'abc']) {
      expect(await runOn(file, ['job', id])).toEqual({
        code: 3,
        out: '',
        err: `steward: job ${id} not found — list the jobs with "steward jobs"\n`,
      });
    }
  });
});
