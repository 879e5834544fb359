/**
 * Drill 4 — state in an Agent: the seed's counter, plus `getAndIncrement`. A hundred
 * concurrent increments give exactly 100, because an Agent applies one update at a
 * time in arrival order.
 *
 * Run: npx tsx examples/drill4-counter.ts
 */
import { Agent } from '../src/runtime/index.js';
import { isMain } from './support/is-main.js';

/** A counter held by an Agent. */
export class Counter {
  private constructor(private readonly agent: Agent<number>) {}

  /** Starts a counter at `initial`. */
  static async start(initial = 0): Promise<Counter> {
    return new Counter(await Agent.start(() => initial, { name: 'counter' }));
  }

  /** Adds one. */
  increment(): Promise<void> {
    return this.agent.update((n) => n + 1);
  }

  /** Subtracts one. */
  decrement(): Promise<void> {
    return this.agent.update((n) => n - 1);
  }

  /** The current value. */
  get(): Promise<number> {
    return this.agent.get();
  }

  /** Sets the value (0 by default). */
  reset(value = 0): Promise<void> {
    return this.agent.update(() => value);
  }

  /** Adds one and returns the value before it, atomically (exercise 5). */
  getAndIncrement(): Promise<number> {
    return this.agent.getAndUpdate((n) => [n, n + 1]);
  }

  /** Adds one without waiting for it to be applied (the seed's "cast vs update" question). */
  incrementAsync(): void {
    this.agent.cast((n) => n + 1);
  }

  /** Stops the agent. */
  stop(): Promise<void> {
    return this.agent.stop();
  }
}

/** Runs the drill's concurrency test. */
export async function main(): Promise<void> {
  const counter = await Counter.start(0);
  // Each increment is its own async caller, all in flight at once (the seed spawns 100 processes).
  await Promise.all(Array.from({ length: 100 }, async () => counter.increment()));
  console.log(`after 100 concurrent increments: ${await counter.get()}`);
  const before = await counter.getAndIncrement();
  console.log(`getAndIncrement returned ${before}; now ${await counter.get()}`);
  await counter.stop();
}

if (isMain(import.meta.url)) await main();
