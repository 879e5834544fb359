/**
 * Group commit for the SQLite store. Every store call is one atomic transition; calls made while
 * the event loop is busy with other work (several workers completing jobs, a fetch and the
 * completes before it) are queued and run together, on the next tick, in ONE `BEGIN IMMEDIATE`
 * transaction, each inside its own savepoint, and committed once. With `synchronous = FULL` a
 * commit costs an fsync (about 2 ms on this machine's disk), so sharing it is what makes a
 * durable store fast under concurrency; each call still changes all or nothing, and its promise
 * settles only after the commit, so nothing is reported done before it is on disk.
 *
 * The flush runs on the next turn of the event loop (`nextTurn`: node:timers' setImmediate, which
 * fake timers leave alone). Not `process.nextTick`: Node drains nextTicks after every timer
 * callback, so jobs ending on timers got a commit (an fsync under FULL) each, and a loop of awaited
 * calls never let timers or I/O run. A turn gathers every call made meanwhile into one commit.
 *
 * Reads issued while nothing is queued run at once, outside any transaction (WAL readers never
 * block or wait for writers); a read issued behind queued writes joins the group so it sees them,
 * as program order says it should.
 */
import { StoppedError } from '../runtime/errors.js';
import { nextTurn } from '../runtime/internal/timers.js';
import type { Db } from './sqlite-db.js';

/** The work of one call: runs synchronously inside the group's transaction. */
type Work = () => unknown;

interface Call<S> {
  readonly work: Work;
  readonly write: boolean;
  /** What the call's work recorded for after the commit (its events). */
  readonly step: S | undefined;
  readonly resolve: (value: unknown) => void;
  readonly reject: (reason: unknown) => void;
  value: unknown;
  error: unknown;
  failed: boolean;
}

/** Most calls committed together: bounds how long one group holds the write lock. */
const MAX_GROUP = 512;

/** Runs store calls, batching the writes of one tick into one transaction. */
export class GroupCommit<S> {
  readonly #db: Db;
  readonly #what: string;
  /** Called after each commit with the steps of the calls that succeeded, in order, before they settle. */
  readonly #afterCommit: (steps: readonly S[]) => void;
  /** Turns a failure to begin (the write lock not had in time) into the error callers see. */
  readonly #beginError: (err: unknown) => unknown;
  /** Runs inside the transaction, after the calls, with the steps of those that succeeded. */
  readonly #beforeCommit: (steps: readonly S[]) => void;
  #queue: Call<S>[] = [];
  #scheduled = false;
  #flushing = false;
  #closed = false;
  #commits = 0;
  readonly #begin;
  readonly #commit;
  readonly #rollback;
  readonly #savepoint;
  readonly #release;
  readonly #rollbackTo;

  constructor(
    db: Db,
    what: string,
    hooks: {
      /** After each commit, with the steps of the calls that succeeded, before they settle. */
      readonly afterCommit: (steps: readonly S[]) => void;
      /** Inside the transaction, after its calls ran (a throw fails the whole group). */
      readonly beforeCommit?: (steps: readonly S[]) => void;
      /** Maps a failure to begin (the write lock not had in time) to the error callers see. */
      readonly beginError?: (err: unknown) => unknown;
    },
  ) {
    this.#db = db;
    this.#what = what;
    this.#afterCommit = hooks.afterCommit;
    this.#beforeCommit = hooks.beforeCommit ?? (() => undefined);
    this.#beginError = hooks.beginError ?? ((err) => err);
    this.#begin = db.prepare('BEGIN IMMEDIATE');
    this.#commit = db.prepare('COMMIT');
    this.#rollback = db.prepare('ROLLBACK');
    this.#savepoint = db.prepare('SAVEPOINT call');
    this.#release = db.prepare('RELEASE call');
    this.#rollbackTo = db.prepare('ROLLBACK TO call');
  }

  /** How many transactions committed so far (each may have carried many calls). */
  get commits(): number {
    return this.#commits;
  }

  /** Whether no call is waiting (a read may then run at once, and a no-op write may skip the queue). */
  get idle(): boolean {
    return this.#queue.length === 0 && !this.#flushing;
  }

  /**
   * Queues a transition; it runs in the next group and settles after that group commits. `step`
   * (its event sink) goes to afterCommit if the transition committed.
   */
  write<T>(work: () => T, step?: S): Promise<T> {
    return this.#enqueue(work, true, step);
  }

  /** Runs a read now when nothing is queued, else after the queued calls, in their group. */
  read<T>(work: () => T): Promise<T> {
    if (this.#closed) return Promise.reject(new StoppedError(this.#what));
    if (!this.idle) return this.#enqueue(work, false, undefined);
    try {
      return Promise.resolve(work());
    } catch (err) {
      return Promise.reject(err);
    }
  }

  /** Runs every queued call now (close uses it), then refuses new ones. */
  close(): void {
    this.flush();
    this.#closed = true;
  }

  /** Runs the queued calls in groups of at most MAX_GROUP, each group one transaction. */
  flush(): void {
    this.#scheduled = false;
    while (this.#queue.length > 0) {
      const group = this.#queue.splice(0, MAX_GROUP);
      this.#flushing = true;
      try {
        this.#run(group);
      } finally {
        this.#flushing = false;
      }
    }
  }

  #enqueue<T>(work: () => T, write: boolean, step: S | undefined): Promise<T> {
    if (this.#closed) return Promise.reject(new StoppedError(this.#what));
    return new Promise<T>((resolve, reject) => {
      this.#queue.push({
        work,
        write,
        step,
        resolve: resolve as (value: unknown) => void,
        reject,
        value: undefined,
        error: undefined,
        failed: false,
      });
      if (!this.#scheduled) {
        this.#scheduled = true;
        nextTurn(() => this.flush());
      }
    });
  }

  #run(group: Call<S>[]): void {
    const writes = group.some((c) => c.write);
    if (!writes) {
      for (const call of group) this.#runAlone(call);
      for (const call of group) settle(call);
      return;
    }
    try {
      this.#begin.run();
    } catch (err) {
      const reason = this.#beginError(err);
      for (const call of group) call.reject(reason);
      return;
    }
    // One call needs no savepoint: if it throws, the whole transaction rolls back.
    if (group.length === 1) this.#runAlone(group[0] as Call<S>);
    else for (const call of group) this.#runSaved(call);
    const steps: S[] = [];
    for (const call of group) if (!call.failed && call.step !== undefined) steps.push(call.step);
    let commitError: unknown;
    try {
      if (group.length === 1 && (group[0] as Call<S>).failed) {
        if (this.#db.inTransaction) this.#rollback.run();
      } else if (this.#db.inTransaction) {
        this.#beforeCommit(steps);
        this.#commit.run();
        this.#commits++;
      } else {
        // SQLite rolled the whole transaction back itself (disk full, I/O error): nothing stuck.
        commitError = group.find((c) => c.failed)?.error ?? new Error('the transaction was rolled back');
      }
    } catch (err) {
      commitError = err;
      if (this.#db.inTransaction) this.#rollback.run();
    }
    if (commitError !== undefined) {
      for (const call of group) call.reject(call.failed ? call.error : commitError);
      return;
    }
    if (steps.length > 0) this.#afterCommit(steps);
    for (const call of group) settle(call);
  }

  #runAlone(call: Call<S>): void {
    try {
      call.value = call.work();
    } catch (err) {
      call.failed = true;
      call.error = err;
    }
  }

  #runSaved(call: Call<S>): void {
    if (!this.#db.inTransaction) {
      call.failed = true;
      call.error = new Error('the transaction was rolled back by an earlier call of its group');
      return;
    }
    this.#savepoint.run();
    this.#runAlone(call);
    if (!this.#db.inTransaction) return;
    if (call.failed) this.#rollbackTo.run();
    this.#release.run();
  }
}

function settle<S>(call: Call<S>): void {
  if (call.failed) call.reject(call.error);
  else call.resolve(call.value);
}
