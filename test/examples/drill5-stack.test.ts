import { describe, expect, it } from 'vitest';
import { StackAgent, StackServer, type Stack } from '../../examples/drill5-stack.js';

const makers: [string, (initial?: number[]) => Promise<Stack<number>>][] = [
  ['StackAgent', (initial) => StackAgent.start(initial)],
  ['StackServer', async (initial) => StackServer.start(initial)],
];

describe.each(makers)('drill 5: %s', (_name, make) => {
  it('pops in last-in first-out order and reports an empty stack', async () => {
    const stack = await make();
    await stack.push(1);
    await stack.push(2);
    await stack.push(3);
    expect(await stack.pop()).toEqual({ ok: true, value: 3 });
    expect(await stack.pop()).toEqual({ ok: true, value: 2 });
    expect(await stack.pop()).toEqual({ ok: true, value: 1 });
    expect(await stack.pop()).toEqual({ ok: false, error: 'empty' });
    await stack.stop();
  });

  it('starts from an initial stack, top first', async () => {
    const stack = await make([9, 8]);
    expect(await stack.pop()).toEqual({ ok: true, value: 9 });
    await stack.stop();
  });

  it('applies a push issued without waiting before a later pop', async () => {
    const stack = await make();
    void stack.push(42); // the server's push is a cast: it returns before being applied
    expect(await stack.pop()).toEqual({ ok: true, value: 42 });
    await stack.stop();
  });
});
