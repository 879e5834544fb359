import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { DURATIONS, TrafficLight, type Transition } from '../../examples/exercise3-traffic-light.js';
import { StoppedError } from '../../src/runtime/index.js';

const lights: TrafficLight[] = [];
async function start(opts?: Parameters<typeof TrafficLight.start>[0]): Promise<TrafficLight> {
  const light = await TrafficLight.start(opts);
  lights.push(light);
  return light;
}

beforeEach(() => {
  vi.useFakeTimers();
});

afterEach(async () => {
  await Promise.all(lights.splice(0).map((l) => l.stop()));
  vi.useRealTimers();
});

describe('exercise 3: a traffic light on its own timers', () => {
  it("uses the seed's durations by default", async () => {
    const light = await start();
    expect(light.durations).toEqual({ red: 5000, green: 5000, yellow: 2000 });
    expect(DURATIONS).toEqual(light.durations);
  });

  it('changes by itself, red → green → yellow → red, each exactly when its time is up', async () => {
    // The seed's light never changes: its timeout goes to the Agent process, which ignores it.
    const light = await start();
    const seen: Transition[] = [];
    light.on('transition', (t) => seen.push(t));
    const expectAfter = async (ms: number, before: string, after: string): Promise<void> => {
      await vi.advanceTimersByTimeAsync(ms - 1);
      expect(await light.currentState()).toBe(before); // not a millisecond early
      await vi.advanceTimersByTimeAsync(1);
      expect(await light.currentState()).toBe(after);
    };
    expect(await light.currentState()).toBe('red');
    await expectAfter(5000, 'red', 'green');
    await expectAfter(5000, 'green', 'yellow');
    await expectAfter(2000, 'yellow', 'red');
    await expectAfter(5000, 'red', 'green');
    expect(seen).toEqual([
      { from: 'red', to: 'green', forced: false },
      { from: 'green', to: 'yellow', forced: false },
      { from: 'yellow', to: 'red', forced: false },
      { from: 'red', to: 'green', forced: false },
    ]);
    expect(vi.getTimerCount()).toBe(1); // one pending timer at any time
  });

  it('takes configured durations and a configured first state', async () => {
    const light = await start({ initial: 'yellow', durations: { yellow: 300, red: 100 } });
    expect(await light.currentState()).toBe('yellow');
    await vi.advanceTimersByTimeAsync(300);
    expect(await light.currentState()).toBe('red');
    await vi.advanceTimersByTimeAsync(100);
    expect(await light.currentState()).toBe('green');
    await vi.advanceTimersByTimeAsync(4999);
    expect(await light.currentState()).toBe('green'); // green keeps the seed's 5000
  });

  it('forceTransition cancels the pending timer: the old one never fires a second transition', async () => {
    const light = await start();
    const seen: Transition[] = [];
    light.on('transition', (t) => seen.push(t));
    await vi.advanceTimersByTimeAsync(3000); // red, 2000 ms before its timer
    expect(await light.forceTransition()).toBe('green');
    expect(vi.getTimerCount()).toBe(1);
    await vi.advanceTimersByTimeAsync(2000); // when red's timer would have fired
    expect(await light.currentState()).toBe('green'); // not advanced twice to yellow
    await vi.advanceTimersByTimeAsync(2999); // green's own full 5000 ms, counted from the force
    expect(await light.currentState()).toBe('green');
    await vi.advanceTimersByTimeAsync(1);
    expect(await light.currentState()).toBe('yellow');
    expect(seen).toEqual([
      { from: 'red', to: 'green', forced: true },
      { from: 'green', to: 'yellow', forced: false },
    ]);
  });

  it('reports the time spent in the current state, reset by every transition', async () => {
    const light = await start();
    expect(await light.timeInState()).toBe(0);
    await vi.advanceTimersByTimeAsync(1234);
    expect(await light.timeInState()).toBe(1234);
    await vi.advanceTimersByTimeAsync(5000 - 1234 + 250); // green for 250 ms
    expect(await light.currentState()).toBe('green');
    expect(await light.timeInState()).toBe(250);
    await light.forceTransition();
    expect(await light.timeInState()).toBe(0);
  });

  it('leaves no timer behind after stop, and refuses calls from then on', async () => {
    const light = await TrafficLight.start();
    await vi.advanceTimersByTimeAsync(6000);
    expect(vi.getTimerCount()).toBe(1);
    await light.stop();
    expect(vi.getTimerCount()).toBe(0);
    await expect(light.currentState()).rejects.toBeInstanceOf(StoppedError);
    await expect(light.forceTransition()).rejects.toBeInstanceOf(StoppedError);
    expect(await light.exited).toEqual({ kind: 'shutdown' });
    await light.stop(); // idempotent
  });

  it('keeps cycling when a transition listener throws', async () => {
    const light = await start({ durations: { red: 10, green: 10 } });
    const errors = vi.spyOn(console, 'error').mockImplementation(() => {});
    const off = light.on('transition', () => {
      throw new Error('broken listener');
    });
    await vi.advanceTimersByTimeAsync(20);
    expect(await light.currentState()).toBe('yellow');
    expect(errors).toHaveBeenCalledTimes(2);
    off();
    errors.mockRestore();
  });

  it('rejects bad options, naming them and the value', async () => {
    await expect(TrafficLight.start({ initial: 'blue' as 'red' })).rejects.toThrow(
      'Expected `initial` to be one of "red", "green", "yellow", got `"blue"` (string)',
    );
    await expect(TrafficLight.start({ durations: { green: -5 } })).rejects.toThrow(
      'Expected `durations.green` to be a positive finite number of milliseconds, got `-5` (number)',
    );
    await expect(TrafficLight.start({ durations: { amber: 5 } as never })).rejects.toThrow('`"amber"`');
  });
});
