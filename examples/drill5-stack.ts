/**
 * Drill 5 — Agent vs a hand-written server. The same stack twice: once as an Agent
 * (the state and a function per operation), once as the GenServer shape written out
 * by hand (a mailbox of messages, a handler per message, replies for calls). The
 * Agent needs less code; the server is what you write once you need messages of your
 * own, timeouts or termination logic — the seed's "when to use each".
 *
 * Run: npx tsx examples/drill5-stack.ts
 */
import { Agent } from '../src/runtime/index.js';
import { isMain } from './support/is-main.js';

/** The answer to `pop`. */
export type PopResult<T> = { ok: true; value: T } | { ok: false; error: 'empty' };

/** The operations both stacks offer. */
export interface Stack<T> {
  /** Pushes an item (the server version returns before it is applied, like GenServer.cast). */
  push(item: T): void | Promise<void>;
  /** Pops the top item, or reports that the stack is empty. */
  pop(): Promise<PopResult<T>>;
  /** Stops the stack. */
  stop(): Promise<void>;
}

/** The Agent version: one line per operation. */
export class StackAgent<T> implements Stack<T> {
  private constructor(private readonly agent: Agent<T[]>) {}

  /** Starts a stack holding `initial` (top first). */
  static async start<T>(initial: T[] = []): Promise<StackAgent<T>> {
    return new StackAgent(await Agent.start(() => [...initial], { name: 'stack_agent' }));
  }

  /** Pushes onto the top. */
  push(item: T): Promise<void> {
    return this.agent.update((stack) => [item, ...stack]);
  }

  /** Pops from the top. */
  pop(): Promise<PopResult<T>> {
    return this.agent.getAndUpdate((stack): [PopResult<T>, T[]] =>
      stack.length === 0
        ? [{ ok: false, error: 'empty' }, stack]
        : [{ ok: true, value: stack[0] as T }, stack.slice(1)],
    );
  }

  /** Stops the agent. */
  stop(): Promise<void> {
    return this.agent.stop();
  }
}

/** The messages the hand-written server understands. */
type Message<T> =
  | { kind: 'cast'; body: { op: 'push'; item: T } }
  | { kind: 'call'; body: { op: 'pop' }; reply: (result: PopResult<T>) => void };

/**
 * The GenServer version, written out: a mailbox drained one message at a time, an
 * `init`, a `handleCast` and a `handleCall` — the ceremony an Agent hides.
 */
export class StackServer<T> implements Stack<T> {
  private readonly mailbox: Message<T>[] = [];
  private draining = false;
  private stopped = false;
  private state: T[];

  private constructor(initial: T[]) {
    this.state = this.init(initial);
  }

  /** Starts a server holding `initial` (top first). */
  static start<T>(initial: T[] = []): StackServer<T> {
    return new StackServer(initial);
  }

  /** Casts a push: returns at once; the push is applied in mailbox order. */
  push(item: T): void {
    this.send({ kind: 'cast', body: { op: 'push', item } });
  }

  /** Calls pop and waits for the reply. */
  pop(): Promise<PopResult<T>> {
    return new Promise((reply) => this.send({ kind: 'call', body: { op: 'pop' }, reply }));
  }

  /** Stops after the messages already in the mailbox. */
  async stop(): Promise<void> {
    this.stopped = true;
  }

  private init(initial: T[]): T[] {
    return [...initial];
  }

  private handleCast(msg: { op: 'push'; item: T }, state: T[]): T[] {
    return [msg.item, ...state];
  }

  private handleCall(_msg: { op: 'pop' }, state: T[]): [PopResult<T>, T[]] {
    if (state.length === 0) return [{ ok: false, error: 'empty' }, state];
    return [{ ok: true, value: state[0] as T }, state.slice(1)];
  }

  private send(message: Message<T>): void {
    if (this.stopped) throw new Error('StackServer has stopped');
    this.mailbox.push(message);
    // Drain on a microtask, as a process handles its mailbox after the sender moves on.
    if (!this.draining) {
      this.draining = true;
      queueMicrotask(() => this.drain());
    }
  }

  private drain(): void {
    for (let message = this.mailbox.shift(); message; message = this.mailbox.shift()) {
      if (message.kind === 'cast') {
        this.state = this.handleCast(message.body, this.state);
      } else {
        const [reply, next] = this.handleCall(message.body, this.state);
        this.state = next;
        message.reply(reply);
      }
    }
    this.draining = false;
  }
}

/** Drives both stacks through the same script and prints what each returns. */
export async function main(): Promise<void> {
  for (const stack of [await StackAgent.start<number>(), StackServer.start<number>()]) {
    await stack.push(1);
    await stack.push(2);
    const results = [await stack.pop(), await stack.pop(), await stack.pop()];
    console.log(`${stack.constructor.name}: ${JSON.stringify(results)}`);
    await stack.stop();
  }
}

if (isMain(import.meta.url)) await main();
