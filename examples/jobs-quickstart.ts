/**
 * The README's job-system example: define kinds (one with a zod schema, one that fails
 * and retries), enqueue with priorities, a delay and a dependency, run, and read stats.
 *
 * Run: npx tsx examples/jobs-quickstart.ts
 */
import { z } from 'zod';
import { Priority, UnrecoverableError, createSteward, defineJob } from '../src/index.js';
import { isMain } from './support/is-main.js';

/** Runs the quickstart; returns what it printed. */
export async function quickstart(log: (line: string) => void = console.log): Promise<void> {
  let flakyCalls = 0;
  const steward = createSteward({
    store: 'memory:', // or 'sqlite:./steward.db' (durable), 'postgres://…' (many nodes)
    queues: {
      default: { concurrency: 10 },
      email: { concurrency: 2, rateLimit: { limit: 100, windowMs: 1000 } },
    },
    jobs: {
      // A bare handler: the payload arrives as stored; the return value is the job's result.
      resize: async (payload: { width: number }, { signal }) => {
        await new Promise((resolve) => setTimeout(resolve, 10, { signal }));
        return { width: payload.width / 2 };
      },
      // A definition: a schema checked at enqueue and before each run, defaults, retries.
      email: defineJob({
        queue: 'email',
        schema: z.object({ to: z.string().email(), subject: z.string() }),
        maxAttempts: 3,
        backoff: { type: 'fixed', delayMs: 20 },
        handler: async ({ to }, ctx) => {
          flakyCalls++;
          if (ctx.attempt < 2) throw new Error(`smtp timeout for ${to}`); // retried after 20 ms
          ctx.log.info('sent', { to });
          return { sent: true };
        },
      }),
      // Errors that retrying cannot fix skip straight to the dead-letter queue.
      bad: () => {
        throw new UnrecoverableError('malformed input');
      },
    },
  });
  steward.on('job.exception', ({ job, error, outcome }) =>
    log(`job ${job.kind} #${job.id}: ${error.message} (${outcome})`),
  );
  await steward.start();

  const image = await steward.enqueue('resize', { width: 800 }, { priority: Priority.high });
  await steward.enqueue(
    'email',
    { to: 'ada@example.com', subject: 'resized' },
    { dependsOn: [image.id], delayMs: 5 },
  );
  await steward.enqueue('bad', {});
  try {
    await steward.enqueue('email', { to: 'not an address', subject: 'x' });
  } catch (err) {
    log(`rejected at enqueue: ${(err as Error).name}`);
  }

  await steward.drain();
  const done = await steward.listJobs({ state: 'completed' });
  log(`completed: ${done.map((j) => `${j.kind}=${JSON.stringify(j.result)}`).join(' ')}`);
  const dead = await steward.listJobs({ state: 'discarded' });
  log(
    `dead letters: ${dead.map((j) => `${j.kind} (${j.errors.map((e) => e.message).join('; ')})`).join(' ')}`,
  );
  const stats = await steward.stats();
  log(
    `stats: enqueued ${stats.enqueued}, completed ${stats.completed}, failed ${stats.failed}, discarded ${stats.discarded}; email handler ran ${flakyCalls} times`,
  );
  await steward.stop();
}

if (isMain(import.meta.url)) await quickstart();
