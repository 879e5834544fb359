import { describe, expect, it } from 'vitest';
import { PayloadValidationError, createSteward, defineJob } from '../../src/index.js';
import type { Steward } from '../../src/index.js';
import { startSteward, stringField } from './helpers.js';

async function client(): Promise<Steward> {
  return startSteward({
    run: false,
    queues: { mail: {} },
    jobs: {
      work: () => null,
      email: defineJob({ queue: 'mail', schema: stringField('to'), handler: ({ to }) => to.length }),
    },
  });
}

/** Expects `attempt` to reject with `message` and to leave the store empty. */
async function rejectsAndChangesNothing(
  steward: Steward,
  attempt: Promise<unknown>,
  message: string | RegExp,
): Promise<void> {
  await expect(attempt).rejects.toThrow(message);
  expect(await steward.store.listJobs()).toEqual([]);
}

describe('enqueue validation: bad input gets a clear error and changes nothing', () => {
  it('rejects an unknown job kind', async () => {
    const s = await client();
    await rejectsAndChangesNothing(
      s,
      s.enqueue('wrok', {}),
      'Expected `kind` to be a registered job kind ("work", "email"), got `"wrok"` (string)',
    );
  });

  it('rejects a payload that fails its schema, naming the field', async () => {
    const s = await client();
    const attempt = s.enqueue('email', { to: 42 });
    await expect(attempt).rejects.toBeInstanceOf(PayloadValidationError);
    await rejectsAndChangesNothing(
      s,
      attempt,
      'payload of job kind "email" failed its schema: to: expected a string',
    );
  });

  it.each([
    [
      'a function',
      { cb: () => 1 },
      /Expected `payload.cb` to be a JSON value .*got `\[function cb\]` \(function\)/,
    ],
    ['a BigInt', { n: 10n }, /Expected `payload.n` to be a JSON value .*got `10n` \(bigint\)/],
    ['NaN', [1, Number.NaN], /Expected `payload\[1\]` to be a JSON value .*got `NaN` \(number\)/],
    ['Infinity', { x: Infinity }, /got `Infinity` \(number\)/],
    [
      'undefined at the top level',
      undefined,
      /Expected `payload` to be a JSON value \(use null for "no payload"\)/,
    ],
    ['undefined in an array', [undefined], /Expected `payload\[0\]` to be a JSON value/],
    ['a Date', { at: new Date(0) }, /Expected `payload.at` to be a JSON value .*got `Date\(1970/],
    ['a Map', new Map(), /got `\[object Map\]` \(object\)/],
    ['a symbol', { s: Symbol('x') }, /got `Symbol\(x\)` \(symbol\)/],
  ])('rejects a payload holding %s', async (_what, payload, message) => {
    const s = await client();
    await rejectsAndChangesNothing(s, s.enqueue('work', payload), message);
  });

  it('rejects a payload with a cycle', async () => {
    const s = await client();
    const a: Record<string, unknown> = { name: 'a' };
    a.self = { back: a };
    await rejectsAndChangesNothing(
      s,
      s.enqueue('work', a),
      /Expected `payload.self.back` to be .*not a cycle/,
    );
  });

  it.each([
    [
      { priority: 10 },
      'Expected `opts.priority` to be an integer from 0 (most urgent) to 9, got `10` (number)',
    ],
    [
      { priority: -1 },
      'Expected `opts.priority` to be an integer from 0 (most urgent) to 9, got `-1` (number)',
    ],
    [
      { priority: 2.5 },
      'Expected `opts.priority` to be an integer from 0 (most urgent) to 9, got `2.5` (number)',
    ],
    [{ maxAttempts: 0 }, 'Expected `opts.maxAttempts` to be an integer of at least 1, got `0` (number)'],
    [
      { runAt: new Date('nope') },
      'Expected `opts.runAt` to be a valid Date or a finite number of ms since the epoch, got `Date(invalid)` (object)',
    ],
    [
      { runAt: 1, delayMs: 1 },
      'Expected `opts.delayMs` to be absent when `runAt` is given (give one of them), got `1` (number)',
    ],
    [
      { delayMs: -5 },
      'Expected `opts.delayMs` to be a non-negative finite number of milliseconds, got `-5` (number)',
    ],
    [
      { timeoutMs: 0 },
      'Expected `opts.timeoutMs` to be a positive finite number of milliseconds, got `0` (number)',
    ],
    [
      { queue: 'nowhere' },
      'Expected `opts.queue` to be a configured queue ("mail", "default"), got `"nowhere"` (string)',
    ],
    [
      { priorty: 1 },
      /Expected `opts.priorty` to be absent: it is not an option \(known: queue, priority, .*\), got `1` \(number\)/,
    ],
    [
      { dependsOn: 'abc' },
      'Expected `opts.dependsOn` to be an array of job ids or `{ ref }` objects, got `"abc"` (string)',
    ],
    [
      { unique: { periodMs: -1 } },
      'Expected `opts.unique.periodMs` to be a positive number of milliseconds (or Infinity), got `-1` (number)',
    ],
    [
      { ref: 'a' },
      'Expected `opts.ref` to be absent outside `enqueueMany` (refs name jobs of one batch), got `"a"` (string)',
    ],
  ])('rejects the options %o', async (opts, message) => {
    const s = await client();
    await rejectsAndChangesNothing(s, s.enqueue('work', {}, opts as never), message);
  });

  it('rejects a dependency on a job that does not exist (the store says so)', async () => {
    const s = await client();
    await rejectsAndChangesNothing(s, s.enqueue('work', {}, { dependsOn: ['999'] }), /999/);
  });

  it('rejects a batch with a cycle, inserting none of it', async () => {
    const s = await client();
    await rejectsAndChangesNothing(
      s,
      s.enqueueMany([
        { kind: 'work', payload: 1 },
        { kind: 'work', payload: 2, opts: { ref: 'a', dependsOn: [{ ref: 'b' }] } },
        { kind: 'work', payload: 3, opts: { ref: 'b', dependsOn: [{ ref: 'a' }] } },
      ]),
      /cycle/i,
    );
  });

  it('rejects a batch naming an unknown ref, or one bad job, inserting none of it', async () => {
    const s = await client();
    await rejectsAndChangesNothing(
      s,
      s.enqueueMany([
        { kind: 'work', payload: 1, opts: { ref: 'a' } },
        { kind: 'work', payload: 2, opts: { dependsOn: [{ ref: 'c' }] } },
      ]),
      'Expected `jobs[1].opts.dependsOn[0]` to be a job id or `{ ref }` naming a job of this batch (refs: "a"), got `{"ref":"c"}` (object)',
    );
    await rejectsAndChangesNothing(
      s,
      s.enqueueMany([
        { kind: 'work', payload: 1 },
        { kind: 'work', payload: 2, opts: { priority: 99 } },
      ]),
      'Expected `jobs[1].opts.priority` to be an integer from 0 (most urgent) to 9, got `99` (number)',
    );
  });
});

const none = (): null => null;

describe('createSteward validation', () => {
  it.each<[unknown, string | RegExp]>([
    [
      { jobs: { a: () => null }, queues: { q: { concurrency: 0 } } },
      'Expected `queues.q.concurrency` to be a positive integer, got `0` (number)',
    ],
    [
      { jobs: { a: () => null }, queues: { q: { concurency: 2 } } },
      /Expected `queues.q.concurency` to be absent: it is not an option/,
    ],
    [
      { jobs: { a: () => null }, queues: { q: { rateLimit: { limit: 0, windowMs: 10 } } } },
      'Expected `queues.q.rateLimit.limit` to be a positive integer, got `0` (number)',
    ],
    [
      { jobs: { a: () => null }, queues: { q: { rateLimit: { limit: 1, windowMs: -1 } } } },
      'Expected `queues.q.rateLimit.windowMs` to be a positive finite number of milliseconds, got `-1` (number)',
    ],
    [
      { jobs: { a: () => null }, queues: { q: { paused: 'yes' } } },
      'Expected `queues.q.paused` to be a boolean, got `"yes"` (string)',
    ],
    [
      { jobs: { a: { handler: none, priority: 12 } } },
      'Expected `jobs.a.priority` to be an integer from 0 (most urgent) to 9, got `12` (number)',
    ],
    [
      { jobs: { a: { handler: none, backoff: { type: 'linear' } } } },
      'Expected `jobs.a.backoff.type` to be one of "exponential", "fixed", got `"linear"` (string)',
    ],
    [
      { jobs: { a: { queue: 'x' } } },
      'Expected `jobs.a.handler` to be a function (or give `thread` instead), got `undefined` (undefined)',
    ],
    [
      { jobs: { a: 42 } },
      'Expected `jobs.a` to be a job definition object or a handler function, got `42` (number)',
    ],
    [
      { jobs: {}, leaseMs: 0 },
      'Expected `leaseMs` to be a positive finite number of milliseconds, got `0` (number)',
    ],
    [{ jobs: {}, store: 'redis://x' }, /Expected `store` to be a Store or a store URL/],
    [{ jobs: {}, colour: 'red' }, /Expected `options.colour` to be absent: it is not an option/],
  ])('rejects %o', (options, message) => {
    expect(() => createSteward(options as never)).toThrow(message);
  });

  it('rejects a bad definition in defineJob at once', () => {
    expect(() => defineJob({ handler: () => null, maxAttempts: 0 })).toThrow(
      'Expected `definition.maxAttempts` to be an integer of at least 1, got `0` (number)',
    );
    expect(() => defineJob({ handler: () => null, thread: { module: 'x.js', fn: 'f' } })).toThrow(
      /Expected `definition.handler` to be absent when `thread` is given/,
    );
  });
});
