/**
 * `steward demo`: the seed's scenario and stress test, small and 100× faster, run in-process on a
 * SQLite file; its summary must account for every job. Then the ways a run ends early: Ctrl-C
 * (in-process) and SIGKILL (a child process), each followed by a rerun that resumes the rest.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { CommanderError } from 'commander';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { PayloadValidationError, createSteward, openStore } from '../../src/index.js';
import type { JobRecord } from '../../src/index.js';
import { demoCommand, runDemo } from '../../src/cli/demo.js';
import type { DemoOptions, DemoSummary } from '../../src/cli/demo.js';
import { BROKEN_MESSAGE, DEMO_QUEUE, demoJobs } from '../../src/cli/demo-jobs.js';
import { resolveDemoOptions } from '../../src/cli/demo-options.js';
import { waitFor } from '../../src/testing/index.js';

const SMALL: Partial<DemoOptions> = {
  jobs: 60,
  failing: 4,
  submitters: 3,
  perSubmitter: 20,
  speed: 100,
  concurrency: 50,
};

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'steward-demo-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

/** A writable that keeps what was written (and says it is a terminal when asked to). */
function capture(isTTY = false): Writable & { text: () => string } {
  const chunks: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer | string, _encoding, callback) {
      chunks.push(String(chunk));
      callback();
    },
  });
  return Object.assign(stream, { isTTY, columns: 160, text: () => chunks.join('') });
}

/** Runs the demo in-process, capturing stdout and stderr. */
async function demo(options: Partial<DemoOptions>, extra: { isTTY?: boolean; signal?: AbortSignal } = {}) {
  const stdout = capture(extra.isTTY);
  const stderr = capture();
  const result = await runDemo(options, {
    stdout,
    stderr,
    isTTY: extra.isTTY ?? false,
    env: {},
    ...(extra.signal ? { signal: extra.signal } : {}),
  });
  return { ...result, out: stdout.text(), err: stderr.text() };
}

/** Every job of the demo queue in the file, oldest first. */
async function demoJobsIn(file: string): Promise<JobRecord[]> {
  const store = openStore(`sqlite:${file}`);
  await store.open();
  try {
    return await store.listJobs({ queue: DEMO_QUEUE, limit: 100_000 });
  } finally {
    await store.close();
  }
}

/** Jobs of the demo queue not final yet, and completed ones, in the file. */
async function countsIn(file: string): Promise<{ unfinished: number; completed: number }> {
  const store = openStore(`sqlite:${file}`);
  await store.open();
  try {
    const byState = (await store.countJobs())[DEMO_QUEUE] ?? {};
    const unfinished = ['scheduled', 'available', 'waiting', 'executing', 'retryable'] as const;
    return {
      unfinished: unfinished.reduce((n, s) => n + (byState[s] ?? 0), 0),
      completed: byState.completed ?? 0,
    };
  } finally {
    await store.close();
  }
}

/** The checks every finished run must pass: each job ended as its kind should, errors kept. */
function expectEveryJobEndedAsExpected(jobs: readonly JobRecord[]): void {
  expect(jobs.length).toBeGreaterThan(0);
  for (const job of jobs) {
    const payload = job.payload as Record<string, number | string>;
    if (job.kind === 'broken') {
      expect(job.state).toBe('discarded');
      // Every attempt's error is kept (an attempt a kill interrupted says so instead).
      expect(job.errors).toHaveLength(job.attempt);
      expect(job.attempt).toBe(job.maxAttempts);
    } else {
      expect({ id: job.id, kind: job.kind, state: job.state }).toEqual({
        id: job.id,
        kind: job.kind,
        state: 'completed',
      });
      if (job.kind === 'compute') expect(job.result).toMatchObject({ doubled: Number(payload.n) * 2 });
      if (job.kind === 'io') expect(job.result).toBe(`processed ${payload.path}`);
      if (job.kind === 'network') expect(job.result).toBe(`fetched ${payload.url}`);
    }
  }
}

/** The summary's books balance: every job of the run is in exactly one column. */
function expectBalanced(summary: DemoSummary): void {
  const j = summary.jobs;
  expect(j.total).toBe(j.completed + j.discarded + j.cancelled + j.queued);
  expect(summary.missing).toBe(0);
}

describe('steward demo', () => {
  it('runs the scenario, the failing jobs and the stress test, and accounts for every job', async () => {
    const file = join(dir, 'demo.db');
    const { exitCode, summary, out } = await demo({ ...SMALL, store: `sqlite:${file}` });

    expect(exitCode).toBe(0);
    expect(summary).toMatchObject({
      mode: 'fresh',
      ok: true,
      interrupted: false,
      queueSize: 0,
      unexpectedCount: 0,
    });
    expectBalanced(summary);
    // 60 scenario jobs + 2 flaky + 2 broken + 3 × 20 stress jobs.
    expect(summary.jobs).toMatchObject({ total: 124, completed: 122, discarded: 2, cancelled: 0, queued: 0 });
    expect(summary.expected).toEqual({ completed: 122, discarded: 2 });
    expect(summary.jobs.byKind.flaky).toMatchObject({ total: 2, completed: 2 });
    expect(summary.jobs.byKind.broken).toMatchObject({ total: 2, discarded: 2 });

    // The seed's final stats: enqueued = completed + discarded + cancelled + queued.
    const st = summary.stats;
    expect(st.enqueued).toBe(124);
    expect(st.enqueued).toBe(st.completed + st.discarded + st.cancelled + summary.queueSize);
    // flaky #1 fails once, flaky #2 twice; each broken job fails all 3 attempts.
    expect(st).toMatchObject({ completed: 122, discarded: 2, failed: 1 + 2 + 3 * 2, retried: 1 + 2 + 2 * 2 });
    expect(st.started).toBe(124 + st.retried);
    expect(summary.deadLetters.count).toBe(2);
    for (const dead of summary.deadLetters.jobs) {
      expect(dead).toMatchObject({ kind: 'broken', attempts: 3, errors: Array(3).fill(BROKEN_MESSAGE) });
    }

    const jobs = await demoJobsIn(file);
    expect(jobs).toHaveLength(124);
    expectEveryJobEndedAsExpected(jobs);
    for (const job of jobs.filter((j) => j.kind === 'flaky')) {
      const { failures } = job.payload as { failures: number };
      expect(job.attempt).toBe(failures + 1);
      expect(job.errors.map((e) => e.message)).toEqual(
        Array.from({ length: failures }, (_, i) =>
          expect.stringContaining(`transient failure ${i + 1} of ${failures}`),
        ),
      );
    }
    expect(jobs.every((j) => j.tags.includes('demo') && j.tags.some((t) => t.startsWith('run:')))).toBe(true);
    expect(jobs.filter((j) => j.tags.includes('phase:stress')).map((j) => j.kind)).toEqual(
      Array(60).fill('compute'),
    );

    // Not a terminal: plain lines — the plan, a status line, then the seed's final stats.
    expect(out).toContain('steward demo: 124 jobs on sqlite:');
    expect(out).toContain('stress: 3 concurrent submitters × 20 compute jobs');
    expect(out).toMatch(
      /^\s*\d+\.\ds {2}124\/124 finished \(100%\) {2}completed 122 {2}retried 7 {2}dead 2 {2}running 0/m,
    );
    expect(out).toContain(
      'final stats: enqueued 124 · started 131 · completed 122 · failed 9 (7 retried) · discarded 2',
    );
    expect(out).toContain("dead letters: 2 (broken ×2, every attempt's error kept)");
    expect(out).toContain('queue size: 0');
    expect(out).toContain('jobs of this run: 124 = 122 completed + 2 discarded + 0 cancelled + 0 queued');
    expect(out).toContain('ok: every job completed, except the 2 broken ones, discarded as expected');
    expect(out).not.toContain('\u001b['); // no cursor codes off a terminal
  });

  it('draws a progress bar with live stats on a terminal, and prints JSON with --json', async () => {
    const tty = await demo({ ...SMALL, store: 'memory:', stress: false }, { isTTY: true });
    expect(tty.exitCode).toBe(0);
    expect(tty.out).toMatch(
      /demo [█░]+ 100% \| 64\/64 \| completed 62 · retried 7 · dead 2 · running 0 · [\d,]+ jobs\/s/,
    );
    expect(tty.out).toContain('\u001b['); // it moves the cursor: a bar, redrawn in place

    const json = await demo({ ...SMALL, store: 'memory:', stress: false, json: true, quiet: true });
    expect(json.exitCode).toBe(0);
    const parsed = JSON.parse(json.out) as DemoSummary;
    expect(parsed).toMatchObject({
      ok: true,
      queueSize: 0,
      jobs: { total: 64, completed: 62, discarded: 2 },
    });
    expect(json.err).toBe(''); // --quiet --json: nothing but the JSON
  });

  it("gives every job the data its handler needs, and refuses a job without it (the seed's defect)", async () => {
    const steward = createSteward({ store: 'memory:', jobs: demoJobs(100), logger: false, run: false });
    try {
      // The seed submits %{type: :io, data: i}: its io handler then fails matching on `path`.
      await expect(steward.enqueue('io', { data: 1 })).rejects.toThrow(PayloadValidationError);
      await expect(steward.enqueue('network', { data: 1 })).rejects.toThrow(/url: expected a string/);
      await expect(steward.enqueue('compute', { n: 1 })).resolves.toMatchObject({ queue: DEMO_QUEUE });
    } finally {
      await steward.stop();
    }
  });

  it('refuses bad options in one line naming the value', async () => {
    expect(() => resolveDemoOptions({ concurrency: 0 }, {})).toThrow(
      'Expected `concurrency` to be a whole number of at least 1, got `0` (number)',
    );
    expect(() => resolveDemoOptions({ speed: -2 }, {})).toThrow(/`speed` to be a positive number/);
    expect(() => resolveDemoOptions({ jobs: 1.5 }, {})).toThrow(/`jobs` to be a whole number/);
    expect(resolveDemoOptions({}, { STEWARD_STORE: 'memory:' }).store).toBe('memory:');
    expect(resolveDemoOptions({}, {})).toMatchObject({
      store: 'sqlite:./steward.db',
      jobs: 1000,
      submitters: 10,
    });

    const cmd = demoCommand()
      .exitOverride()
      .configureOutput({ writeErr: () => {}, writeOut: () => {} });
    const refused = await cmd.parseAsync(['--speed', 'fast'], { from: 'user' }).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(CommanderError);
    expect((refused as CommanderError).message).toContain('Expected a positive number');
  });

  it('stops gracefully on Ctrl-C, and a rerun resumes the unfinished jobs', async () => {
    const file = join(dir, 'interrupted.db');
    const store = `sqlite:${file}`;
    const controller = new AbortController();
    const first = demo(
      { ...SMALL, jobs: 400, stress: false, speed: 10, concurrency: 10, store },
      { signal: controller.signal },
    );
    await waitFor(async () => (await countsIn(file)).completed >= 20, { timeout: 15_000, interval: 10 });
    controller.abort();
    const stopped = await first;
    expect(stopped.exitCode).toBe(1);
    expect(stopped.summary).toMatchObject({
      interrupted: true,
      ok: false,
      unexpectedCount: 0,
      notSubmitted: 0,
    });
    expect(stopped.summary.jobs.queued).toBeGreaterThan(0);
    expectBalanced(stopped.summary);
    expect(stopped.out).toContain('interrupted: stopping gracefully');
    expect(stopped.out).toContain(
      `run \`steward demo --store ${store}\` again to finish the unfinished jobs`,
    );
    // Handed back, not left executing: nothing waits for a lease to run out.
    expect((await demoJobsIn(file)).filter((j) => j.state === 'executing')).toEqual([]);

    const left = (await countsIn(file)).unfinished;
    expect(left).toBe(stopped.summary.jobs.queued);
    const resumed = await demo({ ...SMALL, store });
    expect(resumed.out).toContain(`resuming ${left} unfinished jobs from an earlier run`);
    expect(resumed.exitCode).toBe(0);
    expect(resumed.summary).toMatchObject({ mode: 'resume', ok: true, queueSize: 0 });
    expect(resumed.summary.jobs.total).toBe(left);
    expect(resumed.summary.stats.enqueued).toBe(0); // nothing new was inserted
    const jobs = await demoJobsIn(file);
    expect(jobs).toHaveLength(404);
    expectEveryJobEndedAsExpected(jobs);
  }, 60_000);

  it('resumes after its process was killed: every job ends completed or discarded, none lost', async () => {
    const file = join(dir, 'killed.db');
    const store = `sqlite:${file}`;
    const root = fileURLToPath(new URL('../..', import.meta.url));
    const options: Partial<DemoOptions> = {
      ...SMALL,
      jobs: 300,
      submitters: 2,
      perSubmitter: 100,
      speed: 4,
      concurrency: 10,
      store,
      quiet: true,
    };
    const child = spawn(
      process.execPath,
      [
        '--import',
        'tsx',
        '--input-type=module',
        '-e',
        `const { runDemo } = await import(process.argv[1]);
         await runDemo(JSON.parse(process.argv[2]), { stdout: process.stdout, stderr: process.stderr, isTTY: false });`,
        join(root, 'src/cli/demo.ts'),
        JSON.stringify(options),
      ],
      { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let output = '';
    child.stdout.on('data', (d: Buffer) => (output += String(d)));
    child.stderr.on('data', (d: Buffer) => (output += String(d)));
    const exited = new Promise<NodeJS.Signals | number | null>((resolve) =>
      child.on('exit', (code, signal) => resolve(signal ?? code)),
    );
    try {
      await waitFor(
        async () => {
          if (child.exitCode !== null) throw new Error(`the demo ended before the kill: ${output}`);
          return (await countsIn(file).catch(() => ({ completed: 0 }))).completed >= 30;
        },
        { timeout: 30_000, interval: 10 },
      );
    } finally {
      child.kill('SIGKILL');
    }
    expect(await exited).toBe('SIGKILL');

    const atKill = await demoJobsIn(file);
    const unfinished = atKill.filter((j) => !['completed', 'discarded', 'cancelled'].includes(j.state));
    expect(unfinished.length).toBeGreaterThan(0);
    const executing = new Set(unfinished.filter((j) => j.state === 'executing').map((j) => j.id));
    expect(executing.size).toBeGreaterThan(0); // the kill interrupted running jobs

    const resumed = await demo({ ...SMALL, store });
    expect(resumed.out).toContain(`resuming ${unfinished.length} unfinished jobs from an earlier run`);
    expect(resumed.exitCode).toBe(0);
    expect(resumed.summary).toMatchObject({ mode: 'resume', ok: true, queueSize: 0, missing: 0 });
    expect(resumed.summary.jobs.total).toBe(unfinished.length);

    const after = await demoJobsIn(file);
    expect(after.map((j) => j.id)).toEqual(atKill.map((j) => j.id)); // none lost, none added
    expectEveryJobEndedAsExpected(after);
    // The attempts the kill interrupted were taken back (the process is gone) and say so.
    for (const job of after.filter((j) => executing.has(j.id))) {
      expect(job.errors.map((e) => e.name)).toContain('LeaseExpiredError');
    }
  }, 60_000);
});
