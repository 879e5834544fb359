/**
 * `steward start`: workers run the module's jobs until a signal, then stop gracefully. In-process
 * (signals delivered by hand) for the details, and as a real child process for SIGTERM and the
 * exit codes a shell sees.
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import type { JobRecord } from '../../src/index.js';
import { waitFor } from '../../src/testing/index.js';
import { fixture, jsonOf, runOn, start, tempDir, withSqlite } from './helpers.js';

const tmp = tempDir('start');
afterAll(() => tmp.cleanup());
let n = 0;
const db = (): string => join(tmp.dir, `start-${++n}.db`);
const JOBS = fixture('jobs.ts');

/** The jobs of a store, by id. */
async function jobsOf(file: string): Promise<Map<string, JobRecord>> {
  const jobs = await withSqlite(file, (store) => store.listJobs({ limit: 1000 }));
  return new Map(jobs.map((j) => [j.id, j]));
}

describe('steward start (in-process)', () => {
  it('runs the jobs, prints one start line, and stops gracefully on SIGINT with exit 0', async () => {
    const file = db();
    await runOn(file, ['add', 'echo', '{"n":1}']);
    await runOn(file, ['add', 'broken']);
    await runOn(file, ['add', 'email', '{"to":"ada@example.com"}', '--jobs', JOBS]);
    const worker = start(['--store', `sqlite:${file}`, 'start', '--jobs', JOBS, '--grace', '5000']);
    await waitFor(
      async () => {
        const jobs = await jobsOf(file);
        return ['1', '2', '3'].every((id) => ['completed', 'discarded'].includes(jobs.get(id)?.state ?? ''));
      },
      { timeout: 15_000, interval: 50 },
    );
    worker.signal('SIGINT');
    const { code, out, err } = await worker.done;
    expect(err).toBe('');
    expect(code).toBe(0);
    const lines = out.trimEnd().split('\n');
    expect(lines[0]).toBe(
      `steward started: store sqlite:${file}, queues slow(2) email(1) default(10), pid ${process.pid}`,
    );
    expect(lines.slice(1)).toEqual([
      'steward: SIGINT: stopping, running jobs have up to 5000 ms to finish',
      'steward stopped',
    ]);
    const jobs = await jobsOf(file);
    expect(jobs.get('1')).toMatchObject({ state: 'completed', result: { n: 1 } });
    expect(jobs.get('2')).toMatchObject({ state: 'discarded' });
    expect(jobs.get('3')).toMatchObject({ state: 'completed', result: { sent: 'ada@example.com' } });
  });

  it('sets concurrency with --queue name=n and --concurrency, and serves extra queues', async () => {
    const file = db();
    const worker = start([
      '--store',
      `sqlite:${file}`,
      'start',
      '--jobs',
      JOBS,
      '--queue',
      'email=3',
      '--queue',
      'extra=1',
      '-c',
      '4',
    ]);
    await waitFor(() => worker.out().includes('steward started'), { timeout: 15_000 });
    worker.signal('SIGTERM');
    const { code, out } = await worker.done;
    expect(code).toBe(0);
    expect(out).toContain('queues slow(4) email(3) default(4) extra(1),');
    expect(out).toContain('steward: SIGTERM: stopping');
  });

  it('hands a job that outlives the grace period back to the store', async () => {
    const file = db();
    await runOn(file, ['add', 'slow', '{"ms":60000}', '--jobs', JOBS]);
    const worker = start(['--store', `sqlite:${file}`, 'start', '--jobs', JOBS, '--grace', '50']);
    await waitFor(async () => (await jobsOf(file)).get('1')?.state === 'executing', {
      timeout: 15_000,
      interval: 50,
    });
    worker.signal('SIGTERM');
    expect((await worker.done).code).toBe(0);
    expect((await jobsOf(file)).get('1')).toMatchObject({ state: 'available', lease: null });
  });

  it('prints the monitor line every --monitor ms', async () => {
    const file = db();
    const worker = start(['--store', `sqlite:${file}`, 'start', '--jobs', JOBS, '--monitor', '20']);
    await waitFor(() => (worker.out().match(/queued=\d+ executing=\d+/g) ?? []).length >= 2, {
      timeout: 15_000,
    });
    worker.signal();
    expect((await worker.done).code).toBe(0);
  });

  it('exits 2 when --jobs is missing, names a missing module, or a flag is bad', async () => {
    const file = db();
    const missing = await runOn(file, ['start']);
    expect(missing.code).toBe(2);
    expect(missing.err).toBe(
      `steward: required option '--jobs <module>' not specified — run "steward start --help" for usage\n`,
    );
    const nope = await runOn(file, ['start', '--jobs', './no-such-jobs.js'], { cwd: tmp.dir });
    expect(nope.code).toBe(2);
    expect(nope.err).toMatch(/^steward: jobs module "\.\/no-such-jobs\.js" not found/);
    const queue = await runOn(file, ['start', '--jobs', JOBS, '--queue', 'email']);
    expect(queue.code).toBe(2);
    expect(queue.err).toMatch(/--queue <name=concurrency>.*name=concurrency/);
    const empty = await runOn(file, ['start', '--jobs', fixture('no-jobs.ts')]);
    expect(empty.code).toBe(2);
    const level = await runOn(file, ['start', '--jobs', JOBS, '--log-level', 'loud']);
    expect(level.code).toBe(2);
    expect(level.err).toMatch(
      /--log-level.*'loud' is invalid\. Allowed choices are trace, debug, info, warn/,
    );
  });
});

const BIN = fileURLToPath(new URL('../../src/cli/bin.ts', import.meta.url));

/** Runs `steward <args>` as a child process (under tsx, as `npm run steward` does). */
function spawnCli(args: readonly string[], env: Record<string, string> = {}) {
  const child = spawn(process.execPath, ['--import', 'tsx', BIN, ...args], {
    // The repository root (vitest's directory), where `--import tsx` resolves.
    env: { ...process.env, STEWARD_STORE: '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stdout.setEncoding('utf8').on('data', (c: string) => (out += c));
  child.stderr.setEncoding('utf8').on('data', (c: string) => (err += c));
  const exited = new Promise<{ code: number | null; out: string; err: string }>((resolve) =>
    child.on('exit', (code) => resolve({ code, out, err })),
  );
  return { child, out: () => out, err: () => err, exited };
}

describe('steward as a process', () => {
  it('stops on SIGTERM after letting the running job finish, and exits 0', { timeout: 60_000 }, async () => {
    const file = db();
    await runOn(file, ['add', 'slow', '{"ms":1500}', '--jobs', JOBS]);
    await runOn(file, ['add', 'echo', '"after"']);
    const proc = spawnCli(['start', '--store', `sqlite:${file}`, '--jobs', JOBS]);
    try {
      await waitFor(async () => (await jobsOf(file)).get('1')?.state === 'executing', {
        timeout: 30_000,
        interval: 20,
      });
    } catch (e) {
      throw new Error(`the worker did not start the job: ${proc.out()} ${proc.err()}`, { cause: e });
    }
    proc.child.kill('SIGTERM');
    const { code, out, err } = await proc.exited;
    expect(err).toBe('');
    expect(code).toBe(0);
    expect(out).toMatch(
      /^steward started: store sqlite:.*, pid \d+\nsteward: SIGTERM: stopping.*\nsteward stopped\n$/,
    );
    const jobs = await jobsOf(file);
    // The slow job was running at SIGTERM: it finished within the grace period.
    expect(jobs.get('1')).toMatchObject({ state: 'completed', result: { slept: 1500 } });
    expect(jobs.get('2')?.state).toBe('completed');
  });

  it(
    'exits with the documented codes: 0, 2 (usage), 3 (not found), 1 (failure)',
    { timeout: 60_000 },
    async () => {
      const file = db();
      await runOn(file, ['add', 'echo']);
      const ok = await spawnCli(['job', '1', '--store', `sqlite:${file}`]).exited;
      expect(ok.code).toBe(0);
      const url = await spawnCli(['jobs', '--store', 'nosuch:thing']).exited;
      expect(url.code).toBe(2);
      expect(url.err).toMatch(/^steward: bad store URL "nosuch:thing"/);
      const notFound = await spawnCli(['job', '999'], { STEWARD_STORE: `sqlite:${file}` }).exited;
      expect(notFound).toMatchObject({
        code: 3,
        err: 'steward: job 999 not found — list the jobs with "steward jobs"\n',
      });
      const missing = await spawnCli(['stats', '--store', `sqlite:${join(tmp.dir, 'absent.db')}`]).exited;
      expect(missing.code).toBe(1);
      expect(
        jsonOf<JobRecord[]>({
          code: 0,
          out: (await spawnCli(['jobs', '--json', '--store', `sqlite:${file}`]).exited).out,
          err: '',
        }),
      ).toHaveLength(1);
    },
  );
});
