import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { defineJob } from '../../src/index.js';
import { waitFor } from '../../src/testing/index.js';
import { startSteward } from './helpers.js';

const module = new URL('../fixtures/spin-worker.ts', import.meta.url);
const dir = mkdtempSync(join(tmpdir(), 'steward-threads-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const jobs = {
  double: defineJob({ queue: 'cpu', thread: { module, fn: 'double' } }),
  spin: defineJob({ queue: 'cpu', maxAttempts: 1, thread: { module, fn: 'spin' } }),
  fail: defineJob({ queue: 'cpu', maxAttempts: 1, thread: { module, fn: 'fail' } }),
};

describe('thread kinds', () => {
  it('runs a thread kind on the pool and stores its result; a thread error fails the job', async () => {
    const steward = await startSteward({ queues: { cpu: { concurrency: 2 } }, jobs });
    const ok = await steward.enqueue('double', { n: 21 });
    const bad = await steward.enqueue('fail', { message: 'thread says no' });
    await steward.drain();
    expect((await steward.getJob(ok.id))?.result).toBe(42);
    expect((await steward.getJob(bad.id))?.errors[0]?.message).toBe('thread says no');
  });

  it('kills the thread of a cancelled job: the one thread of its pool is free again', async () => {
    // Concurrency 1 gives the kind's pool one thread: a spin that was not killed would hold it forever.
    const steward = await startSteward({ queues: { cpu: { concurrency: 1 } }, jobs });
    const marker = join(dir, 'cancel');
    const spinning = await steward.enqueue('spin', { marker });
    await waitFor(() => existsSync(marker), { timeout: 15_000 });
    expect((await steward.cancelJob(spinning.id))?.state).toBe('cancelled');
    const after = await steward.enqueue('double', { n: 5 });
    await steward.drain({ timeoutMs: 15_000 });
    expect((await steward.getJob(after.id))?.result).toBe(10);
  });

  it('kills the thread of a job that times out, failing it with JobTimeoutError', async () => {
    const steward = await startSteward({ queues: { cpu: { concurrency: 1 } }, jobs });
    const marker = join(dir, 'timeout');
    const spinning = await steward.enqueue('spin', { marker }, { timeoutMs: 1500 });
    const after = await steward.enqueue('double', { n: 4 });
    await steward.drain({ timeoutMs: 15_000 });
    expect(existsSync(marker)).toBe(true);
    expect((await steward.getJob(spinning.id))?.errors[0]?.name).toBe('JobTimeoutError');
    expect((await steward.getJob(after.id))?.result).toBe(8);
  });
});
