/**
 * Prometheus text exposition: parsed back into samples and checked by name, labels and
 * value — after real runs through a Steward, and with known durations injected.
 */
import { describe, expect, it } from 'vitest';
import { createSteward, UnrecoverableError } from '../../src/index.js';
import { Telemetry } from '../../src/queue/instrument.js';
import { createMetrics } from '../../src/queue/metrics.js';
import type { JobRecord } from '../../src/index.js';
import { deferred, startSteward } from './helpers.js';

interface Sample {
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly value: number;
}

/** Parses the text format (0.0.4): `# TYPE` lines and samples, label values unescaped. */
function parse(text: string): { samples: Sample[]; types: Map<string, string> } {
  const samples: Sample[] = [];
  const types = new Map<string, string>();
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('# HELP')) continue;
    const type = /^# TYPE (\S+) (\S+)$/.exec(line);
    if (type) {
      types.set(type[1]!, type[2]!);
      continue;
    }
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!m) throw new Error(`not a sample line: ${line}`);
    const labels: Record<string, string> = {};
    for (const [, key, raw] of (m[2] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)) {
      labels[key!] = raw!.replace(/\\(.)/g, (_, c: string) => (c === 'n' ? '\n' : c));
    }
    samples.push({ name: m[1]!, labels, value: m[3] === '+Inf' ? Infinity : Number(m[3]) });
  }
  return { samples, types };
}

/** The value of the one sample with this name and exactly these labels (undefined if none). */
function value(
  samples: readonly Sample[],
  name: string,
  labels: Record<string, string> = {},
): number | undefined {
  const hits = samples.filter(
    (s) =>
      s.name === name &&
      Object.keys(s.labels).length === Object.keys(labels).length &&
      Object.entries(labels).every(([k, v]) => s.labels[k] === v),
  );
  if (hits.length > 1) throw new Error(`${hits.length} samples of ${name} ${JSON.stringify(labels)}`);
  return hits[0]?.value;
}

function record(kind: string, queue = 'default'): JobRecord {
  return { id: `${kind}-${Math.random()}`, kind, queue, attempt: 1, errors: [] } as unknown as JobRecord;
}

describe('steward.metrics()', () => {
  it('exports labelled counters, gauges and the duration histogram after a run', async () => {
    const hold = deferred();
    const holding = deferred();
    let flaky = 0;
    const steward = await startSteward({
      queues: { default: { concurrency: 4 }, mail: { concurrency: 2 } },
      jobs: {
        noop: () => null,
        flaky: {
          backoff: { type: 'fixed', delayMs: 0 },
          handler: () => {
            if (flaky++ === 0) throw new Error('once');
          },
        },
        bad: { queue: 'mail', handler: () => Promise.reject(new UnrecoverableError('bounced')) },
        slow: async () => {
          holding.resolve();
          await hold.promise;
        },
      },
    });
    for (let i = 0; i < 3; i++) await steward.enqueue('noop', { i });
    await steward.enqueue('flaky', null);
    await steward.enqueue('bad', null);
    const cancelled = await steward.enqueue('noop', null, { delayMs: 60_000 });
    await steward.cancelJob(cancelled.id);
    await steward.enqueue('bad', null, { delayMs: 60_000 }); // stays scheduled
    await steward.drain({ scheduled: false });
    await steward.enqueue('slow', null);
    await holding.promise;

    const { samples, types } = parse(await steward.metrics());
    expect(types.get('steward_jobs_enqueued_total')).toBe('counter');
    expect(types.get('steward_jobs_in_progress')).toBe('gauge');
    expect(types.get('steward_queue_jobs')).toBe('gauge');
    expect(types.get('steward_job_duration_seconds')).toBe('histogram');
    const noop = { queue: 'default', kind: 'noop' };
    const bad = { queue: 'mail', kind: 'bad' };
    const flakyL = { queue: 'default', kind: 'flaky' };
    expect(value(samples, 'steward_jobs_enqueued_total', noop)).toBe(4);
    expect(value(samples, 'steward_jobs_completed_total', noop)).toBe(3);
    expect(value(samples, 'steward_jobs_cancelled_total', noop)).toBe(1);
    expect(value(samples, 'steward_jobs_started_total', flakyL)).toBe(2);
    expect(value(samples, 'steward_jobs_failed_total', flakyL)).toBe(1);
    expect(value(samples, 'steward_jobs_retried_total', flakyL)).toBe(1);
    expect(value(samples, 'steward_jobs_completed_total', flakyL)).toBe(1);
    expect(value(samples, 'steward_jobs_enqueued_total', bad)).toBe(2);
    expect(value(samples, 'steward_jobs_discarded_total', bad)).toBe(1);
    expect(value(samples, 'steward_jobs_retried_total', bad)).toBe(0);
    expect(value(samples, 'steward_jobs_in_progress', { queue: 'default' })).toBe(1);
    expect(value(samples, 'steward_jobs_in_progress', { queue: 'mail' })).toBe(0);
    // queue gauges come from the store at scrape time, every state present
    expect(value(samples, 'steward_queue_jobs', { queue: 'default', state: 'executing' })).toBe(1);
    expect(value(samples, 'steward_queue_jobs', { queue: 'default', state: 'completed' })).toBe(4);
    expect(value(samples, 'steward_queue_jobs', { queue: 'default', state: 'cancelled' })).toBe(1);
    expect(value(samples, 'steward_queue_jobs', { queue: 'mail', state: 'scheduled' })).toBe(1);
    expect(value(samples, 'steward_queue_jobs', { queue: 'mail', state: 'discarded' })).toBe(1);
    expect(value(samples, 'steward_queue_jobs', { queue: 'mail', state: 'available' })).toBe(0);
    expect(samples.filter((s) => s.name === 'steward_queue_jobs' && s.labels.queue === 'mail')).toHaveLength(
      8,
    );
    // histogram: cumulative buckets ending in +Inf = count = completed
    const buckets = samples.filter(
      (s) => s.name === 'steward_job_duration_seconds_bucket' && s.labels.kind === 'noop',
    );
    expect(buckets.at(-1)?.labels.le).toBe('+Inf');
    expect(buckets.at(-1)?.value).toBe(3);
    expect(buckets.map((b) => b.value)).toEqual([...buckets.map((b) => b.value)].sort((x, y) => x - y));
    expect(value(samples, 'steward_job_duration_seconds_count', noop)).toBe(3);
    expect(value(samples, 'steward_job_duration_seconds_count', bad)).toBe(0);
    expect(value(samples, 'steward_job_duration_seconds_sum', noop)).toBeGreaterThanOrEqual(0);
    // no process metrics unless asked
    expect(samples.some((s) => s.name.startsWith('process_'))).toBe(false);
    hold.resolve();
  });

  it('keeps each Steward’s metrics apart (a custom registry each, never the global one)', async () => {
    const a = await startSteward({ jobs: { alpha: () => null } });
    const b = await startSteward({ jobs: { beta: () => null } });
    await a.enqueue('alpha', null);
    await b.enqueue('beta', null);
    await Promise.all([a.drain(), b.drain()]);
    const textA = await a.metrics();
    expect(textA).toContain('kind="alpha"');
    expect(textA).not.toContain('kind="beta"');
    const { register } = await import('prom-client');
    expect(await register.metrics()).not.toContain('steward_');
  });

  it('adds prom-client’s default process metrics when asked', async () => {
    const steward = await startSteward({ jobs: { noop: () => null }, metrics: { defaultMetrics: true } });
    const { samples, types } = parse(await steward.metrics());
    expect(types.get('process_cpu_user_seconds_total')).toBe('counter');
    expect(value(samples, 'process_cpu_user_seconds_total')).toBeGreaterThan(0);
  });

  it('escapes label values', async () => {
    const queue = 'we"ird\\queue\nname';
    const steward = await startSteward({ jobs: { odd: { queue, handler: () => null } } });
    await steward.enqueue('odd', null);
    await steward.drain();
    const text = await steward.metrics();
    expect(text).toContain('steward_jobs_completed_total{queue="we\\"ird\\\\queue\\nname",kind="odd"} 1');
    expect(value(parse(text).samples, 'steward_jobs_completed_total', { queue, kind: 'odd' })).toBe(1);
  });

  it('rejects a bad `metrics` option, naming it', () => {
    expect(() =>
      createSteward({ jobs: {}, metrics: { defaultMetrics: 'yes' as unknown as boolean } }),
    ).toThrow(/Expected `metrics.defaultMetrics` to be a boolean, got `"yes"` \(string\)/);
    expect(() => createSteward({ jobs: {}, metrics: { histogram: true } as never })).toThrow(/histogram/);
  });
});

describe('the duration histogram', () => {
  it('puts known durations in the right cumulative buckets, in seconds', async () => {
    const telemetry = new Telemetry('test');
    const metrics = createMetrics();
    metrics.attach(telemetry);
    const durations = [0.5, 1, 2, 2, 20, 99, 1500, 400_000];
    for (const durationMs of durations) {
      const job = record('k', 'q');
      telemetry.emit('job.start', { job, at: 0 });
      telemetry.emit('job.stop', { job, outcome: 'success', durationMs, result: null });
    }
    const { samples } = parse(await metrics.prometheus());
    const le = (bound: string): number | undefined =>
      value(samples, 'steward_job_duration_seconds_bucket', { queue: 'q', kind: 'k', le: bound });
    expect(le('0.001')).toBe(2); // 0.5 ms and exactly 1 ms: a bucket counts values <= its bound
    expect(le('0.005')).toBe(4);
    expect(le('0.025')).toBe(5);
    expect(le('0.1')).toBe(6);
    expect(le('1')).toBe(6);
    expect(le('2.5')).toBe(7);
    expect(le('300')).toBe(7);
    expect(le('+Inf')).toBe(8);
    const sum = value(samples, 'steward_job_duration_seconds_sum', { queue: 'q', kind: 'k' });
    expect(sum).toBeCloseTo(durations.reduce((a, b) => a + b, 0) / 1000, 9);
    expect(value(samples, 'steward_jobs_completed_total', { queue: 'q', kind: 'k' })).toBe(8);
  });

  it('renders each scrape from its own moment, even when scrapes overlap', async () => {
    const telemetry = new Telemetry('test');
    const metrics = createMetrics();
    metrics.attach(telemetry);
    telemetry.emit('job.insert', { jobs: [record('k')], duplicates: 0 });
    const first = metrics.prometheus();
    telemetry.emit('job.insert', { jobs: [record('k')], duplicates: 0 });
    const second = metrics.prometheus();
    const [a, b] = await Promise.all([first, second]);
    const labels = { queue: 'default', kind: 'k' };
    expect(value(parse(a).samples, 'steward_jobs_enqueued_total', labels)).toBe(1);
    expect(value(parse(b).samples, 'steward_jobs_enqueued_total', labels)).toBe(2);
  });
});
