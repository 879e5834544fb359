/**
 * Structured logging (pino): the job logger behind ctx.log, the system's own lines, the
 * default level, and the `logger` option.
 */
import { describe, expect, it } from 'vitest';
import pino from 'pino';
import { createSteward, UnrecoverableError } from '../../src/index.js';
import type { JobRecord } from '../../src/index.js';
import { defaultLevel, jobLogger } from '../../src/queue/logger.js';
import { waitFor } from '../../src/testing/index.js';
import { manualStore, startSteward } from './helpers.js';

type Line = Record<string, unknown> & { level: number; msg: string };

/** A pino logger writing parsed JSON lines into `lines`. */
function captureLogger(level = 'info'): { logger: pino.Logger; lines: Line[] } {
  const lines: Line[] = [];
  const logger = pino({ level }, { write: (line: string) => void lines.push(JSON.parse(line) as Line) });
  return { logger, lines };
}

describe('ctx.log', () => {
  it('writes through a child logger bound to the job, and still emits job.log', async () => {
    const { logger, lines } = captureLogger();
    const steward = await startSteward({
      logger,
      node: 'node-a',
      queues: { reports: {} },
      jobs: {
        build: {
          queue: 'reports',
          handler: (_p, ctx) => {
            ctx.log.info('halfway', { step: 1 });
            ctx.log.warn('slow disk');
            ctx.log.error('partial failure', { missing: ['b.csv'] });
            return null;
          },
        },
      },
    });
    const events: string[] = [];
    steward.on('job.log', (e) => events.push(`${e.level}:${e.message}`));
    const job = await steward.enqueue('build', null);
    await steward.drain();
    const mine = lines.filter((l) => l.jobId === job.id);
    expect(mine.map((l) => [l.level, l.msg])).toEqual([
      [30, 'halfway'],
      [40, 'slow disk'],
      [50, 'partial failure'],
    ]);
    const bindings = { jobId: job.id, kind: 'build', queue: 'reports', attempt: 1, node: 'node-a' };
    expect(mine[0]).toMatchObject({ ...bindings, step: 1 });
    expect(mine[2]).toMatchObject({ ...bindings, missing: ['b.csv'] });
    expect(events).toEqual(['info:halfway', 'warn:slow disk', 'error:partial failure']);
  });

  it('drops lines below the logger’s level', async () => {
    const { logger, lines } = captureLogger('warn');
    const steward = await startSteward({
      logger,
      jobs: {
        chatty: (_p, ctx) => {
          ctx.log.info('noise');
          ctx.log.warn('signal');
        },
      },
    });
    await steward.enqueue('chatty', null);
    await steward.drain();
    expect(lines.map((l) => l.msg)).toEqual(['signal']);
  });

  it('with logger: false, logs nothing but still emits job.log', async () => {
    const steward = await startSteward({
      logger: false,
      jobs: { chatty: (_p, ctx) => ctx.log.error('only telemetry hears this') },
    });
    const events: string[] = [];
    steward.on('job.log', (e) => events.push(e.message));
    await steward.enqueue('chatty', null);
    await steward.drain();
    expect(events).toEqual(['only telemetry hears this']);
  });

  it('makes one child logger per attempt', () => {
    const { logger } = captureLogger();
    const job = { id: '1', kind: 'k', queue: 'q', attempt: 1 } as JobRecord;
    expect(jobLogger(logger, job)).toBe(jobLogger(logger, job));
    expect(jobLogger(logger, { ...job, attempt: 2 })).not.toBe(jobLogger(logger, job));
  });
});

describe('system log lines', () => {
  it('logs start and stop at info, a retried attempt at info and a discarded job at warn', async () => {
    const { logger, lines } = captureLogger();
    let runs = 0;
    const steward = await startSteward({
      logger,
      jobs: {
        flaky: {
          backoff: { type: 'fixed', delayMs: 0 },
          handler: () => {
            if (runs++ === 0) throw new Error('first try');
          },
        },
        doomed: () => Promise.reject(new UnrecoverableError('never')),
      },
    });
    const flaky = await steward.enqueue('flaky', null);
    const doomed = await steward.enqueue('doomed', null);
    await steward.drain();
    await steward.stop();
    const retry = lines.find((l) => l.jobId === flaky.id);
    expect(retry).toMatchObject({
      level: 30,
      msg: 'job attempt failed; will retry',
      outcome: 'failure',
      attempt: 1,
    });
    expect((retry?.err as { message: string }).message).toBe('first try');
    const discard = lines.find((l) => l.jobId === doomed.id);
    expect(discard).toMatchObject({ level: 40, msg: 'job discarded', outcome: 'discard', kind: 'doomed' });
    expect((discard?.err as { type: string; message: string }).message).toBe('never');
    expect(lines.filter((l) => l.jobId === undefined).map((l) => l.msg)).toEqual([
      'steward started',
      'steward stopped',
    ]);
    expect(lines[0]).toMatchObject({ queues: ['default'], run: true });
  });

  it('warns when jobs are rescued from an expired lease', async () => {
    const { clock, store } = manualStore();
    const { logger, lines } = captureLogger('warn');
    const client = await startSteward({ store, run: false, jobs: { work: () => null } });
    const { id } = await client.enqueue('work', null);
    await store.fetchJobs({ queue: 'default', demand: 1, owner: 'dead-node', leaseMs: 60 });
    await startSteward({ store, logger, leaseMs: 60, jobs: { work: () => null } });
    clock.advance(60);
    const line = await waitFor(() => lines.find((l) => String(l.msg).startsWith('rescued jobs')));
    expect(line).toMatchObject({ level: 40, count: 1, jobIds: [id] });
  });
});

describe('the logger option', () => {
  it('defaults to warn, and to silent under NODE_ENV=test', () => {
    expect(defaultLevel({ NODE_ENV: 'production' })).toBe('warn');
    expect(defaultLevel({})).toBe('warn');
    expect(defaultLevel({ NODE_ENV: 'test' })).toBe('silent');
    expect(process.env['NODE_ENV']).toBe('test');
    expect(defaultLevel()).toBe('silent');
  });

  it('rejects anything but a pino logger or false, naming the value', () => {
    expect(() => createSteward({ jobs: {}, logger: 'yes' as never })).toThrow(
      /Expected `logger` to be a pino logger \(or false for no logs\), got `"yes"` \(string\)/,
    );
    expect(() => createSteward({ jobs: {}, logger: true as never })).toThrow(/Expected `logger`/);
    expect(() => createSteward({ jobs: {}, logger: console as never })).toThrow(/Expected `logger`/);
  });
});
