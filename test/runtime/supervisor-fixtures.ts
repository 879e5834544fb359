/** Test doubles for the Supervisor tests: hand-driven Processes, start counters, event and report capture. */
import { deferred } from '../../src/runtime/internal/deferred.js';
import { NORMAL, SHUTDOWN, crashed } from '../../src/runtime/process.js';
import type { ExitReason, Process } from '../../src/runtime/process.js';
import { onReport } from '../../src/runtime/report.js';
import type { RuntimeReport } from '../../src/runtime/report.js';
import { afterEach, beforeEach, expect, vi } from 'vitest';
import { Supervisor } from '../../src/runtime/supervisor.js';
import type { ChildOptions, ChildSpec, SupervisorEvents } from '../../src/runtime/supervisor.js';

/** A Process the test ends by hand; `stop` ends it at once unless it was made to hang. */
export class FakeProcess implements Process {
  readonly exited: Promise<ExitReason>;
  readonly #exit = deferred<ExitReason>();
  constructor(
    readonly name: string,
    private readonly log: string[],
    private readonly hang = false,
  ) {
    this.exited = this.#exit.promise;
  }
  crash(message = `${this.name} crashed`): void {
    this.#exit.resolve(crashed(new Error(message)));
  }
  finish(): void {
    this.#exit.resolve(NORMAL);
  }
  async stop(): Promise<void> {
    this.log.push(`stop ${this.name}`);
    if (!this.hang) this.#exit.resolve(SHUTDOWN);
  }
}

/** Options of `Children.spec`: child options plus a start that fails on chosen attempts. */
export interface FakeSpecOptions extends ChildOptions {
  /** Called with the 1-based attempt number; returning true makes that start throw. */
  readonly failOn?: (attempt: number) => boolean;
  /** The started processes ignore stop (to test abandonment). */
  readonly hang?: boolean;
}

/** Builds child specs of FakeProcesses and records every start and stop in one log. */
export class Children {
  readonly log: string[] = [];
  readonly #starts = new Map<string, number>();
  readonly #current = new Map<string, FakeProcess>();

  spec(id: string, opts: FakeSpecOptions = {}): ChildSpec {
    const { failOn, hang, ...childOpts } = opts;
    return {
      ...childOpts,
      id,
      start: () => {
        const attempt = (this.#starts.get(id) ?? 0) + 1;
        this.#starts.set(id, attempt);
        if (failOn?.(attempt)) {
          this.log.push(`fail ${id}`);
          throw new Error(`${id} refused to start`);
        }
        this.log.push(`start ${id}`);
        const proc = new FakeProcess(id, this.log, hang);
        this.#current.set(id, proc);
        return proc;
      },
    };
  }

  /** How many times `id`'s start was called. */
  starts(id: string): number {
    return this.#starts.get(id) ?? 0;
  }

  /** The latest process started for `id`. */
  proc(id: string): FakeProcess {
    const proc = this.#current.get(id);
    if (!proc) throw new Error(`no process for ${id}`);
    return proc;
  }
}

/** Resolves with the payload of the next `event` (matching `where`, if given). */
export function nextEvent<K extends keyof SupervisorEvents>(
  sup: Supervisor,
  event: K,
  where: (payload: SupervisorEvents[K]) => boolean = () => true,
): Promise<SupervisorEvents[K]> {
  return new Promise((resolve) => {
    const off = sup.on(event, (payload) => {
      if (!where(payload)) return;
      off();
      resolve(payload);
    });
  });
}

/** Records `event` payloads in order. */
export function record<K extends keyof SupervisorEvents>(sup: Supervisor, event: K): SupervisorEvents[K][] {
  const seen: SupervisorEvents[K][] = [];
  sup.on(event, (payload) => seen.push(payload));
  return seen;
}

/** Lets every queued supervisor step run (real timers only). */
export async function settle(): Promise<void> {
  for (let i = 0; i < 3; i++) await new Promise<void>((resolve) => setImmediate(resolve));
}

/** Collects runtime reports (keeping them off stderr); call the returned `stop` in afterEach. */
export function captureReports(): { reports: RuntimeReport[]; stop: () => void } {
  const reports: RuntimeReport[] = [];
  const stop = onReport((r) => reports.push(r));
  return { reports, stop };
}

/** What `useFakeTimeSupervisors` gives a test file. */
export interface FakeTimeSupervisors {
  /** Starts a supervisor that is stopped (and checked for leftover timers) after the test. */
  start(...args: Parameters<typeof Supervisor.start>): Promise<Supervisor>;
  /** Lets queued supervisor steps run and moves the fake clock by `ms`. */
  tick(ms?: number): Promise<void>;
  /** The current test's runtime reports. */
  readonly reports: RuntimeReport[];
}

/**
 * Registers hooks for a test file of supervisors on fake timers: reports captured per test, every
 * supervisor started through `start` stopped afterwards, and no timer left behind.
 */
export function useFakeTimeSupervisors(): FakeTimeSupervisors {
  let reports: RuntimeReport[] = [];
  let stopCapture: () => void = () => {};
  const running: Supervisor[] = [];
  beforeEach(() => {
    vi.useFakeTimers();
    ({ reports, stop: stopCapture } = captureReports());
  });
  afterEach(async () => {
    const stopping = Promise.all(running.splice(0).map((s) => s.stop()));
    await vi.runAllTimersAsync();
    await stopping;
    expect(vi.getTimerCount()).toBe(0);
    vi.useRealTimers();
    stopCapture();
  });
  return {
    async start(...args) {
      const sup = await Supervisor.start(...args);
      running.push(sup);
      return sup;
    },
    tick: (ms = 0) => vi.advanceTimersByTimeAsync(ms).then(() => undefined),
    get reports() {
      return reports;
    },
  };
}
