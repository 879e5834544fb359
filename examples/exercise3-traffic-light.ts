/**
 * Exercise 3 — a traffic light: an Agent-held state machine, red → green → yellow → red, that
 * changes by itself after each state's duration (the seed's 5 s, 5 s and 2 s by default).
 *
 * The seed's light never changes by itself: `schedule_transition` runs inside the Agent's own
 * function, so `Process.send_after(self(), :timeout, ...)` sends the timeout to the Agent
 * process — which has no handler for plain messages — instead of to TrafficLightServer, whose
 * `handle_info(:timeout, ...)` would have advanced it. Here the timer calls the Agent itself.
 *
 * Run: npx tsx examples/exercise3-traffic-light.ts
 */
import { Agent, StoppedError } from '../src/runtime/index.js';
import type { ExitReason, Process } from '../src/runtime/index.js';
import { isMain } from './support/is-main.js';

/** The light's states. */
export type Light = 'red' | 'green' | 'yellow';

/** Which state follows which (the seed's @transitions). */
export const TRANSITIONS: Readonly<Record<Light, Light>> = Object.freeze({
  red: 'green',
  green: 'yellow',
  yellow: 'red',
});

/** How long each state lasts, in ms (the seed's @durations). */
export const DURATIONS: Readonly<Record<Light, number>> = Object.freeze({
  red: 5000,
  green: 5000,
  yellow: 2000,
});

/** One change of state, as passed to `on('transition', ...)`. */
export interface Transition {
  readonly from: Light;
  readonly to: Light;
  /** True for `forceTransition`, false when the state's time ran out. */
  readonly forced: boolean;
}

/** Options of `TrafficLight.start`. */
export interface TrafficLightOptions {
  /** The first state. @default 'red' */
  initial?: Light;
  /** Durations overriding DURATIONS, in ms (positive, finite). @default DURATIONS */
  durations?: Partial<Record<Light, number>>;
  /** A name for the Agent and errors. @default "traffic-light" */
  name?: string;
}

/** What the Agent holds. */
interface LightState {
  readonly current: Light;
  /** performance.now() when `current` began (monotonic, like the seed's System.monotonic_time). */
  readonly changedAt: number;
  /** The pending timer that ends `current`; undefined once stopped. */
  readonly timer: ReturnType<typeof setTimeout> | undefined;
  /** Which scheduling `timer` belongs to: a timer may act only while it is the current one. */
  readonly epoch: number;
}

const LIGHTS: readonly Light[] = ['red', 'green', 'yellow'];

/**
 * A traffic light on its own timers. Every change (timed or forced) runs inside the Agent,
 * which cancels the pending timer and schedules the next, so there is never more than one.
 * @example
 * const light = await TrafficLight.start({ durations: { yellow: 3000 } });
 * light.on('transition', ({ from, to }) => console.log(`${from} → ${to}`));
 * await light.currentState(); // 'red'
 * await light.stop();
 */
export class TrafficLight implements Process {
  /** The light's name. */
  readonly name: string;
  /** Resolves once stopped; never rejects. */
  readonly exited: Promise<ExitReason>;
  /** The durations in use, in ms. */
  readonly durations: Readonly<Record<Light, number>>;

  readonly #agent: Agent<LightState>;
  readonly #listeners = new Set<(t: Transition) => void>();
  #stopping: Promise<void> | undefined;

  private constructor(agent: Agent<LightState>, durations: Record<Light, number>) {
    this.#agent = agent;
    this.name = agent.name;
    this.exited = agent.exited;
    this.durations = Object.freeze(durations);
  }

  /** Starts a light in `initial`, its first timer running. Rejects with a TypeError for bad options. */
  static async start(opts: TrafficLightOptions = {}): Promise<TrafficLight> {
    const { initial = 'red', durations = {}, name = 'traffic-light' } = opts;
    if (!LIGHTS.includes(initial)) throw badArg('initial', 'one of "red", "green", "yellow"', initial);
    if (typeof durations !== 'object' || durations === null) {
      throw badArg('durations', 'an object of durations', durations);
    }
    for (const [light, ms] of Object.entries(durations)) {
      if (!LIGHTS.includes(light as Light)) throw badArg('durations', 'keys red, green or yellow', light);
      if (typeof ms !== 'number' || !Number.isFinite(ms) || ms <= 0) {
        throw badArg(`durations.${light}`, 'a positive finite number of milliseconds', ms);
      }
    }
    const agent = await Agent.start<LightState>(
      () => ({ current: initial, changedAt: performance.now(), timer: undefined, epoch: 0 }),
      { name },
    );
    const light = new TrafficLight(agent, { ...DURATIONS, ...durations });
    // The first timer is set by the Agent too, once there is an Agent for it to call.
    await agent.update((s) => light.#schedule(s));
    return light;
  }

  /** The current state. */
  currentState(): Promise<Light> {
    return this.#agent.get((s) => s.current);
  }

  /** Ms spent in the current state so far. */
  timeInState(): Promise<number> {
    return this.#agent.get((s) => performance.now() - s.changedAt);
  }

  /** Moves to the next state now: the pending timer is cancelled and the new state's timer set. Resolves with the new state. */
  forceTransition(): Promise<Light> {
    return this.#agent.getAndUpdate((s) => {
      const next = this.#advance(s, true);
      return [next.current, next];
    });
  }

  /** Calls `listener` on every transition; returns the function that unsubscribes. */
  on(event: 'transition', listener: (t: Transition) => void): () => void {
    if (event !== 'transition') throw badArg('event', '"transition"', event);
    if (typeof listener !== 'function') throw badArg('listener', 'a function', listener);
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** Stops the light: its timer is cleared (none is left behind) and the Agent stops. Idempotent. */
  stop(graceMs = 5000): Promise<void> {
    this.#stopping ??= (async () => {
      // Queued before the Agent stops accepting, so it runs after any call already accepted.
      const cleared = this.#agent.update((s) => {
        clearTimeout(s.timer);
        return { ...s, timer: undefined };
      });
      const stopped = this.#agent.stop(graceMs);
      await cleared.catch((err: unknown) => {
        if (!(err instanceof StoppedError)) throw err;
      });
      await stopped;
    })();
    return this.#stopping;
  }

  /** Cancels `s`'s timer and returns the state with a fresh one ending `s.current`. Runs inside the Agent. */
  #schedule(s: LightState): LightState {
    clearTimeout(s.timer);
    const epoch = s.epoch + 1;
    const timer = setTimeout(() => this.#timeUp(epoch), this.durations[s.current]);
    return { ...s, timer, epoch };
  }

  /** A timer ran out: advance, unless a newer timer has replaced it meanwhile. */
  #timeUp(epoch: number): void {
    // The callback runs outside the Agent, so it goes through the Agent like any caller. The
    // epoch check makes a timer that fired just as forceTransition replaced it (its cast
    // queued behind the force) a no-op rather than a second transition.
    this.#agent.cast((s) => (s.epoch === epoch && s.timer !== undefined ? this.#advance(s, false) : s));
  }

  /** The next state, its clock and its timer; tells the listeners. Runs inside the Agent. */
  #advance(s: LightState, forced: boolean): LightState {
    const to = TRANSITIONS[s.current];
    const next = this.#schedule({ ...s, current: to, changedAt: performance.now() });
    const transition: Transition = { from: s.current, to, forced };
    for (const listener of [...this.#listeners]) {
      try {
        listener(transition);
      } catch (err) {
        // A broken listener must not stop the light.
        console.error(`[traffic-light] transition listener threw:`, err);
      }
    }
    return next;
  }
}

function badArg(name: string, expected: string, value: unknown): TypeError {
  const shown = typeof value === 'string' ? JSON.stringify(value) : String(value);
  return new TypeError(`Expected \`${name}\` to be ${expected}, got \`${shown}\` (${typeof value})`);
}

/** Runs a light at a tenth of the seed's durations: a full cycle by itself, a forced change, a stop. */
export async function main(scale = 0.1): Promise<void> {
  const durations = {
    red: DURATIONS.red * scale,
    green: DURATIONS.green * scale,
    yellow: DURATIONS.yellow * scale,
  };
  const light = await TrafficLight.start({ durations });
  const t0 = performance.now();
  const stamp = (): string => `${(performance.now() - t0).toFixed(0).padStart(5)} ms`;
  light.on('transition', ({ from, to, forced }) =>
    console.log(`${stamp()}  ${from} → ${to}${forced ? ' (forced)' : ''}`),
  );
  console.log(
    `${stamp()}  start: ${await light.currentState()}, durations ${JSON.stringify(light.durations)}`,
  );
  const cycle = durations.red + durations.green + durations.yellow;
  await new Promise((resolve) => setTimeout(resolve, cycle + durations.red / 2));
  console.log(
    `${stamp()}  ${await light.currentState()} for ${(await light.timeInState()).toFixed(0)} ms; forcing`,
  );
  await light.forceTransition();
  await new Promise((resolve) => setTimeout(resolve, durations.green + 50));
  const last = await light.currentState();
  await light.stop();
  console.log(`${stamp()}  stopped in ${last}; no timer left behind`);
}

if (isMain(import.meta.url)) await main();
