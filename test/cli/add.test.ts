/** `steward add`: enqueueing from the command line, with and without a jobs module. */
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { JobRecord } from '../../src/index.js';
import { fixture, jsonOf, runOn, tempDir } from './helpers.js';

const tmp = tempDir('add');
afterAll(() => tmp.cleanup());
let n = 0;
/** A fresh store file per test. */
const db = (): string => join(tmp.dir, `add-${++n}.db`);

describe('steward add', () => {
  it('prints the new job id; the job is stored with the defaults and the payload', async () => {
    const file = db();
    expect(await runOn(file, ['add', 'email', '{"to":"ada@example.com"}'])).toEqual({
      code: 0,
      out: '1\n',
      err: '',
    });
    expect(await runOn(file, ['add', 'ping'])).toMatchObject({ code: 0, out: '2\n' });
    const [email, ping] = jsonOf<JobRecord[]>(await runOn(file, ['jobs', '--json']));
    expect(email).toMatchObject({
      id: '1',
      kind: 'email',
      queue: 'default',
      priority: 5,
      maxAttempts: 20,
      state: 'available',
      payload: { to: 'ada@example.com' },
    });
    expect(ping?.payload).toEqual({});
  });

  it('prints the stored record with --json', async () => {
    const job = jsonOf<JobRecord>(
      await runOn(db(), ['add', 'resize', '[1,2]', '--json', '--tag', 'a', '--tag', 'b']),
    );
    expect(job).toMatchObject({
      id: '1',
      kind: 'resize',
      payload: [1, 2],
      tags: ['a', 'b'],
      state: 'available',
    });
  });

  it('takes queue, priority (a number or a level name), attempts and timeout', async () => {
    const file = db();
    const flags = [
      '--queue',
      'mail',
      '--priority',
      'critical',
      '--max-attempts',
      '3',
      '--timeout',
      '500',
      '--json',
    ];
    expect(jsonOf<JobRecord>(await runOn(file, ['add', 'email', '{}', ...flags]))).toMatchObject({
      queue: 'mail',
      priority: 1,
      maxAttempts: 3,
      timeoutMs: 500,
    });
    expect(jsonOf<JobRecord>(await runOn(file, ['add', 'x', '-p', '8', '--json'])).priority).toBe(8);
    expect(jsonOf<JobRecord>(await runOn(file, ['add', 'x', '-p', 'background', '--json'])).priority).toBe(9);
  });

  it('schedules with --delay and --run-at', async () => {
    const file = db();
    const before = Date.now();
    const delayed = jsonOf<JobRecord>(await runOn(file, ['add', 'later', '--delay', '60000', '--json']));
    expect(delayed.state).toBe('scheduled');
    expect(delayed.runAt).toBeGreaterThanOrEqual(before + 60_000);
    const at = jsonOf<JobRecord>(
      await runOn(file, ['add', 'later', '--run-at', '2099-01-02T03:04:05Z', '--json']),
    );
    expect(at).toMatchObject({ state: 'scheduled', runAt: Date.parse('2099-01-02T03:04:05Z') });
  });

  it('returns the existing job for an equal --unique add', async () => {
    const file = db();
    const first = await runOn(file, ['add', 'sync', '{"user":7}', '--unique']);
    const second = await runOn(file, ['add', 'sync', '{"user":7}', '--unique']);
    const other = await runOn(file, ['add', 'sync', '{"user":8}', '--unique']);
    expect(first.out).toBe('1\n');
    expect(second.out).toBe('1\n');
    expect(other.out).toBe('2\n');
  });

  it('makes a job wait for --depends-on, and exits 3 when that job does not exist', async () => {
    const file = db();
    await runOn(file, ['add', 'parent']);
    expect(
      jsonOf<JobRecord>(await runOn(file, ['add', 'child', '--depends-on', '1', '--json'])),
    ).toMatchObject({
      state: 'waiting',
      dependsOn: ['1'],
    });
    const missing = await runOn(file, ['add', 'child', '--depends-on', '99']);
    expect(missing.code).toBe(3);
    expect(missing.err).toBe(
      'steward: job 99 (named by --depends-on) not found — list the jobs with "steward jobs"\n',
    );
  });

  it('exits 2 naming bad payload JSON, and stores nothing', async () => {
    const file = db();
    const { code, out, err } = await runOn(file, ['add', 'email', '{to: ada}']);
    expect(code).toBe(2);
    expect(out).toBe('');
    expect(err.split('\n').filter(Boolean)).toHaveLength(1);
    expect(err).toMatch(/^steward: .*'\{to: ada\}' is invalid for argument 'payload'\. It is not JSON/);
    expect(err).toContain('run "steward add --help" for usage');
    await runOn(file, ['migrate']);
    expect((await runOn(file, ['jobs'])).out).toBe('no jobs\n');
  });

  it.each([
    [['--priority', 'urgent'], /--priority.*'urgent' is invalid.*0-9.*critical/],
    [['--priority', '10'], /'10' is invalid/],
    [['--delay', '-5'], /--delay.*'-5' is invalid/],
    [['--run-at', 'next tuesday'], /--run-at.*ISO time/],
    [['--max-attempts', '0'], /--max-attempts.*at least 1/],
    [['--delay', '5', '--run-at', '2099-01-01T00:00:00Z'], /cannot be used with option '--run-at/],
  ])('exits 2 on bad flags: %j', async (flags, message) => {
    const { code, err } = await runOn(db(), ['add', 'x', ...flags]);
    expect(code).toBe(2);
    expect(err).toMatch(message);
    expect(err).toMatch(/^steward: /);
  });

  it('exits 2 for an empty kind or queue name', async () => {
    const kind = await runOn(db(), ['add', '']);
    expect(kind.code).toBe(2);
    expect(kind.err).toMatch(/^steward: the job was refused: .*non-empty.* — check the kind and --queue\n$/);
    expect((await runOn(db(), ['add', 'x', '--queue', ''])).code).toBe(2);
  });

  describe('with --jobs', () => {
    const jobs = fixture('jobs.ts');

    it("enqueues through the kind's definition: its queue, priority and attempts apply", async () => {
      const job = jsonOf<JobRecord>(
        await runOn(db(), ['add', 'email', '{"to":"ada@example.com"}', '--jobs', jobs, '--json']),
      );
      expect(job).toMatchObject({ kind: 'email', queue: 'email', priority: 3, maxAttempts: 4 });
    });

    it("exits 2 when the payload fails the kind's schema, naming the kind", async () => {
      const { code, err } = await runOn(db(), ['add', 'email', '{"to":"not an address"}', '--jobs', jobs]);
      expect(code).toBe(2);
      expect(err).toMatch(
        /^steward: the payload does not fit the schema of "email": .* — fix the payload\n$/,
      );
    });

    it('exits 2 for a kind the module does not define, listing the ones it does', async () => {
      const { code, err } = await runOn(db(), ['add', 'emial', '--jobs', jobs]);
      expect(code).toBe(2);
      expect(err).toMatch(
        /^steward: the job was refused: .*"echo", "broken", "slow", "email".*got `"emial"`/,
      );
    });

    it('accepts a module with a default export { jobs }', async () => {
      const job = jsonOf<JobRecord>(
        await runOn(db(), ['add', 'hello', '"world"', '--jobs', fixture('default-export.ts'), '--json']),
      );
      expect(job).toMatchObject({ kind: 'hello', payload: 'world' });
    });

    it('resolves a relative module path against the working directory', async () => {
      const r = await runOn(db(), ['add', 'echo', '--jobs', './fixtures/jobs.ts'], { cwd: fixture('..') });
      expect(r).toMatchObject({ code: 0, out: '1\n' });
    });

    it('exits 2 when the module does not exist, or exports no jobs, or its jobs are not valid', async () => {
      const missing = await runOn(db(), ['add', 'x', '--jobs', './nope.js'], { cwd: tmp.dir });
      expect(missing.code).toBe(2);
      expect(missing.err).toBe(
        `steward: jobs module "./nope.js" not found (looked for ${join(tmp.dir, 'nope.js')}) — --jobs must name a module that export \`jobs\` (kind → handler or defineJob(...)) and optionally \`queues\`, or a default export { jobs, queues }\n`,
      );
      const empty = await runOn(db(), ['add', 'x', '--jobs', fixture('no-jobs.ts')]);
      expect(empty.code).toBe(2);
      expect(empty.err).toMatch(
        /^steward: the jobs module .*no-jobs\.ts exports no `jobs` object — the module must export `jobs`/,
      );
      const bad = await runOn(db(), ['add', 'oops', '--jobs', fixture('bad-jobs.ts')]);
      expect(bad.code).toBe(2);
      expect(bad.err).toMatch(/^steward: the jobs module .*bad-jobs\.ts is not valid: .*jobs\.oops/);
    });

    it('exits 1 when the module throws while loading', async () => {
      const { code, err } = await runOn(db(), ['add', 'x', '--jobs', fixture('throws.ts')]);
      expect(code).toBe(1);
      expect(err).toMatch(
        /^steward: the jobs module .*throws\.ts failed to load: this module fails at import — fix the error in the module\n$/,
      );
    });
  });
});
