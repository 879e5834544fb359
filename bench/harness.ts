/**
 * A thin layer over tinybench: each case runs a batch of operations per iteration
 * (so a 50 ns operation is not drowned by the timer), and prints ops/s next to a
 * baseline as a ratio — the figures the README quotes.
 */
import os from 'node:os';
import { Bench } from 'tinybench';

/** One measured case. */
export interface CaseResult {
  readonly name: string;
  readonly opsPerSec: number;
}

/** Options for {@link measure}. */
export interface MeasureOptions {
  /** Time budget per case, ms. @default 1000 */
  timeMs?: number;
}

/** Measures each `(name, batch, fn)` case; `fn` performs `batch` operations per call. */
export async function measure(
  cases: readonly [name: string, batch: number, fn: () => unknown][],
  opts: MeasureOptions = {},
): Promise<CaseResult[]> {
  const bench = new Bench({ time: opts.timeMs ?? 1000, warmupTime: 200 });
  const batches = new Map<string, number>();
  for (const [name, batch, fn] of cases) {
    batches.set(name, batch);
    bench.add(name, fn);
  }
  await bench.run();
  return bench.tasks.map((task) => {
    const result = task.result;
    if (result.state !== 'completed') throw new Error(`benchmark "${task.name}" ended ${result.state}`);
    return { name: task.name, opsPerSec: ((batches.get(task.name) ?? 1) * 1000) / result.period };
  });
}

/** Formats a rate for humans: 1234567 → "1.23 M". */
export function rate(opsPerSec: number): string {
  if (opsPerSec >= 1e6) return `${(opsPerSec / 1e6).toFixed(2)} M`;
  if (opsPerSec >= 1e3) return `${(opsPerSec / 1e3).toFixed(1)} k`;
  return opsPerSec.toFixed(1);
}

/** Prints results as a table, each with its ratio to the named baseline. */
export function printTable(title: string, results: readonly CaseResult[], baseline: string): void {
  const base = results.find((r) => r.name === baseline)?.opsPerSec;
  console.log(`\n${title}`);
  for (const r of results) {
    const ratio = base
      ? `${(r.opsPerSec / base).toFixed(3)}x ${r.name === baseline ? '(baseline)' : `of ${baseline}`}`
      : '';
    console.log(`  ${r.name.padEnd(44)} ${rate(r.opsPerSec).padStart(10)} ops/s   ${ratio}`);
  }
}

/** One line naming the machine, printed before any figure. */
export function machineLine(): string {
  const cpu = os.cpus()[0]?.model ?? 'unknown CPU';
  return `${os.availableParallelism()} cores (${cpu}), ${Math.round(os.totalmem() / 2 ** 30)} GiB, Node ${process.version}`;
}
