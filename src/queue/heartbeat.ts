/**
 * The heartbeat: one loop per node renews every lease this node holds, in one store call
 * every leaseMs / 3, and ends the attempts the answer says to end: a lost lease (the job
 * was rescued or taken elsewhere) or a cancel requested by another process.
 */
import { Supervisor } from '../runtime/supervisor.js';
import type { ChildSpec } from '../runtime/supervisor.js';
import type { Store } from '../store/types.js';
import { JobCancelledError, LeaseLostError } from './errors.js';
import type { Running } from './running.js';

/** What the heartbeat needs. */
export interface HeartbeatDeps {
  readonly store: Store;
  readonly running: Running;
  readonly leaseMs: number;
}

/** Renews the leases of every running job once, aborting those lost or cancelled. */
export async function beat({ store, running, leaseMs }: HeartbeatDeps): Promise<void> {
  const executions = running.all().filter((e) => e.phase === 'running');
  if (executions.length === 0) return;
  const answers = await store.heartbeat(
    executions.map((e) => e.lease),
    leaseMs,
  );
  // Answers come in lease order; matching by position (not id) keeps two attempts of one
  // job apart: one whose lease was lost and a fresh one that took the job again.
  answers.forEach((answer, i) => {
    const execution = executions[i];
    if (!execution || execution.job.id !== answer.id) return;
    if (!answer.held) execution.abort(new LeaseLostError(answer.id));
    else if (answer.cancelRequested) execution.abort(new JobCancelledError(answer.id));
  });
}

/** The heartbeat's child spec: a store error crashes it, and its supervisor restarts it. */
export function heartbeatSpec(deps: HeartbeatDeps): ChildSpec {
  return Supervisor.periodic('heartbeat', () => beat(deps), Math.max(1, Math.floor(deps.leaseMs / 3)));
}
