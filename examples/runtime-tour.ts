/**
 * The README's tour of `steward/runtime`, as a file that runs and is tested.
 *
 * Run: npx tsx examples/runtime-tour.ts
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { Agent, Supervisor, Task, TaskSupervisor, ThreadPool, onReport } from '../src/runtime/index.js';
import { isMain } from './support/is-main.js';

/** Runs each building block once and returns what it printed. */
export async function tour(log: (line: string) => void = console.log): Promise<void> {
  // Crashes nobody can be thrown at (supervised children, forgotten tasks) arrive here;
  // with no listener they go to stderr.
  const unsubscribe = onReport((r) => log(`report: ${r.source} ${r.event} (${r.reason?.message})`));

  // Task: start now, await later; a timeout aborts the task's signal.
  const answer = Task.async(async (signal) => {
    await sleep(10, undefined, { signal });
    return 42;
  });
  log(`Task: ${await answer.await(1000)}`);

  // asyncStream: bounded, lazy, ordered; a throwing item is a value, not a crash.
  const squares: string[] = [];
  for await (const r of Task.asyncStream(
    [1, 2, 3, 4],
    async (n) => {
      if (n === 3) throw new Error('three');
      return n * n;
    },
    { maxConcurrency: 2 },
  )) {
    squares.push(r.ok ? String(r.value) : `error(${r.reason.message})`);
  }
  log(`asyncStream: ${squares.join(' ')}`);

  // Agent: state behind a queue of functions, applied one at a time.
  const counter = await Agent.start(() => 0);
  await Promise.all(Array.from({ length: 1000 }, () => counter.update((n) => n + 1)));
  log(`Agent: ${await counter.get()}`);

  // TaskSupervisor: fire-and-forget children; one crash touches nobody else.
  const jobs = TaskSupervisor.start({ name: 'jobs' });
  jobs.on('child.crashed', ({ reason }) => log(`TaskSupervisor: a child crashed (${reason.message})`));
  const ok = jobs.asyncNolink(async () => 'fine');
  jobs.startChild(() => {
    throw new Error('bad job');
  });
  log(`TaskSupervisor: sibling says ${await ok.await()}`);

  // Supervisor: restarts what crashes, stops children in reverse order.
  let runs = 0;
  const tree = await Supervisor.start(
    [
      { id: 'counter', start: () => counter },
      Supervisor.worker('flaky', async (signal) => {
        if (++runs === 1) throw new Error('first run fails');
        await sleep(60_000, undefined, { signal }).catch(() => {});
      }),
      { id: 'jobs', start: () => jobs },
    ],
    { strategy: 'one_for_one' },
  );
  await sleep(50);
  log(
    `Supervisor: flaky ran ${runs} times; children ${tree
      .whichChildren()
      .map((c) => `${c.id}:${c.status}`)
      .join(' ')}`,
  );
  await tree.stop();

  // ThreadPool: CPU-bound functions on worker threads; an abort kills a runaway thread.
  const pool = ThreadPool.start({ filename: new URL('./support/cpu.ts', import.meta.url), size: 2 });
  log(`ThreadPool: fib(25) = ${await pool.run<number>('fib', 25)}`);
  const runaway = pool.run('forever', null, { timeout: 100 }).catch((e: Error) => e.name);
  log(`ThreadPool: the runaway call ended with ${await runaway}`);
  await pool.stop();
  unsubscribe();
}

if (isMain(import.meta.url)) await tour();
