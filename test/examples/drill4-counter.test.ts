import { describe, expect, it } from 'vitest';
import { Counter } from '../../examples/drill4-counter.js';

describe('drill 4: a counter in an Agent', () => {
  it('counts 100 concurrent increments as exactly 100', async () => {
    const counter = await Counter.start(0);
    await Promise.all(Array.from({ length: 100 }, () => counter.increment()));
    expect(await counter.get()).toBe(100);
    await counter.stop();
  });

  it('gets and increments atomically: concurrent callers each see a distinct value', async () => {
    const counter = await Counter.start(0);
    const seen = await Promise.all(Array.from({ length: 50 }, () => counter.getAndIncrement()));
    expect([...seen].sort((a, b) => a - b)).toEqual(Array.from({ length: 50 }, (_, i) => i));
    expect(await counter.get()).toBe(50);
    await counter.stop();
  });

  it('decrements, resets, and applies casts in arrival order', async () => {
    const counter = await Counter.start(10);
    await counter.decrement();
    counter.incrementAsync();
    counter.incrementAsync();
    expect(await counter.get()).toBe(11); // the get queues behind both casts
    await counter.reset();
    expect(await counter.get()).toBe(0);
    await counter.stop();
  });
});
