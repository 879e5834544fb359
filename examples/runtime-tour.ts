/**
 * The README's tour of `steward/runtime`, as a file that runs and is tested.
 *
 * Run: npx tsx examples/runtime-tour.ts
 */
import { setTimeout as sleep } from 'node:timers/promises';
import {
  $1,
  $2,
  _,
  Agent,
  Registry,
  Supervisor,
  Table,
  Task,
  TaskSupervisor,
  ThreadPool,
  onReport,
} from '../src/runtime/index.js';
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

  // Table: ETS for TypeScript — synchronous (so atomic), typed rows, patterns with _ and $n.
  const people = Table.new<[name: string, age: number, role: string]>({
    name: 'people',
    type: 'ordered_set',
    owner: counter, // the table lives as long as the counter Agent
  });
  people.insertMany([
    ['alice', 30, 'engineer'],
    ['bob', 25, 'designer'],
    ['carol', 35, 'manager'],
  ]);
  const over28 = people.select({ match: [$1, $2, _], where: (b) => b.$2 > 28, result: (b) => b.$1 });
  log(`Table: over 28: ${over28.join(' ')}; engineers: ${people.matchObject([_, _, 'engineer']).length}`);

  // Registry: names to processes; an entry goes when its owner exits.
  const names = Registry.start<Agent<number>>({ keys: 'unique' });
  names.registerProcess('counter', counter);
  log(`Registry: counter is registered: ${names.whereis('counter') === counter}`);

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
  log(`Registry: after the tree stopped, counter is registered: ${names.whereis('counter') !== undefined}`);
  const dropped = Table.whereis('people') === undefined && !attempt(() => people.lookup('alice'));
  log(`Table: dropped with its owner: ${dropped}`);

  // ThreadPool: CPU-bound functions on worker threads; an abort kills a runaway thread.
  const pool = ThreadPool.start({ filename: new URL('./support/cpu.ts', import.meta.url), size: 2 });
  log(`ThreadPool: fib(25) = ${await pool.run<number>('fib', 25)}`);
  const runaway = pool.run('forever', null, { timeout: 100 }).catch((e: Error) => e.name);
  log(`ThreadPool: the runaway call ended with ${await runaway}`);
  await pool.stop();
  unsubscribe();
}

/** True when `fn` runs without throwing. */
function attempt(fn: () => unknown): boolean {
  try {
    fn();
    return true;
  } catch {
    return false;
  }
}

if (isMain(import.meta.url)) await tour();
