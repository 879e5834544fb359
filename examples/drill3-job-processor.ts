/**
 * Drill 3 — dynamic task supervision: a job processor that starts each job as a
 * child of a TaskSupervisor. Ten two-second jobs run together and finish together;
 * a job that crashes is reported and leaves the others alone.
 *
 * Run: npx tsx examples/drill3-job-processor.ts
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { TaskSupervisor, type Task } from '../src/runtime/index.js';
import { isMain } from './support/is-main.js';

/** The job processor: a TaskSupervisor plus the seed's perform_job. */
export class JobProcessor {
  /** Results of the jobs that completed, in completion order. */
  readonly results: string[] = [];
  /** Crashed jobs and why. */
  readonly crashes: { data: string; reason: Error }[] = [];

  private constructor(
    private readonly supervisor: TaskSupervisor,
    private readonly jobMs: number,
    private readonly log: (line: string) => void,
  ) {}

  /** Starts the processor's TaskSupervisor. */
  static start(opts: { jobMs?: number; log?: (line: string) => void } = {}): JobProcessor {
    const processor = new JobProcessor(
      TaskSupervisor.start({ name: 'job_processor' }),
      opts.jobMs ?? 2000,
      opts.log ?? ((line) => console.log(line)),
    );
    processor.supervisor.on('child.crashed', ({ task, reason }) => {
      processor.crashes.push({ data: task.name, reason });
      processor.log(`Job crashed: ${task.name}: ${reason.message}`);
    });
    return processor;
  }

  /** Starts a job and returns at once (fire-and-forget, supervised). */
  processAsync(data: string): Task<string> {
    return this.supervisor.startChild((signal) => this.performJob(data, signal), {
      name: data,
    }) as Task<string>;
  }

  /** Resolves when no job is running. */
  async onIdle(): Promise<void> {
    while (this.supervisor.children().length > 0) {
      await Promise.all(this.supervisor.children().map((task) => task.exited));
    }
  }

  /** Stops the supervisor, aborting jobs still running after `graceMs`. */
  stop(graceMs?: number): Promise<void> {
    return this.supervisor.shutdown(graceMs);
  }

  private async performJob(data: string, signal: AbortSignal): Promise<string> {
    this.log(`Processing job: ${data}`);
    await sleep(this.jobMs, undefined, { signal });
    if (data.includes('crash')) throw new Error(`job ${data} failed`);
    this.log(`Job complete: ${data}`);
    const result = `Result for ${data}`;
    this.results.push(result);
    return result;
  }
}

/** Launches ten jobs and one that crashes, and reports the elapsed time. */
export async function main(jobMs = 2000): Promise<void> {
  const processor = JobProcessor.start({ jobMs });
  const started = performance.now();
  for (let i = 1; i <= 10; i++) processor.processAsync(`job_${i}`);
  processor.processAsync('job_crash');
  await processor.onIdle();
  const elapsed = Math.round(performance.now() - started);
  console.log(
    `${processor.results.length} jobs completed, ${processor.crashes.length} crashed, in ${elapsed} ms`,
  );
  await processor.stop();
}

if (isMain(import.meta.url)) await main();
