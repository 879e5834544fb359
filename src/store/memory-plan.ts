/**
 * Planning an insert batch before anything is stored: `{ ref }` parents resolved to batch
 * positions, unknown parents and refs refused, cycles found, and an order in which every batch
 * parent is stored before its children (input order whenever the batch allows it, so ids
 * still follow insertion order). A batch that fails here changes nothing.
 */
import type { CheckedInsert } from './memory-validate.js';
import { EMPTY } from './memory-validate.js';
import type { InsertResult, JobRecord, JobState } from './types.js';

/** The order to store a batch in, and each job's batch parents (positions). */
export interface BatchPlan {
  /** Batch positions, parents before children; null: input order (no job has a `{ ref }` parent). */
  readonly order: readonly number[] | null;
  /** For each position, the positions of its `{ ref }` parents; null when no job has any. */
  readonly refParents: readonly (readonly number[])[] | null;
}

/** The plan of a batch without `{ ref }` parents: input order, nothing to resolve. */
const FLAT: BatchPlan = Object.freeze({ order: null, refParents: null });

/** Plans `items`; `exists(id)` tells whether a parent id names a stored job. Throws naming the culprit. */
export function planBatch(items: readonly CheckedInsert[], exists: (id: string) => boolean): BatchPlan {
  // The common batch names no refs at all: skip the ref map, the per-job arrays and the sort.
  if (!hasRefs(items)) {
    for (let i = 0; i < items.length; i++) checkParents(items[i] as CheckedInsert, i, exists);
    return FLAT;
  }
  const byRef = new Map<string, number>();
  items.forEach((item, i) => {
    if (item.ref === undefined) return;
    const seen = byRef.get(item.ref);
    if (seen !== undefined) {
      throw new Error(`Duplicate ref ${JSON.stringify(item.ref)}: jobs[${seen}] and jobs[${i}] both use it`);
    }
    byRef.set(item.ref, i);
  });
  const refParents = items.map((item, i) => {
    checkParents(item, i, exists);
    return item.parentRefs.map((ref) => {
      const at = byRef.get(ref);
      if (at === undefined) {
        throw new Error(
          `jobs[${i}].dependsOn names { ref: ${JSON.stringify(ref)} }, which no job of the batch has`,
        );
      }
      return at;
    });
  });
  return { order: topoOrder(items, refParents), refParents };
}

function hasRefs(items: readonly CheckedInsert[]): boolean {
  for (const item of items) if (item.ref !== undefined || item.parentRefs.length > 0) return true;
  return false;
}

function checkParents(item: CheckedInsert, i: number, exists: (id: string) => boolean): void {
  const ids = item.parentIds;
  for (let k = 0; k < ids.length; k++) {
    const id = ids[k] as string;
    if (!exists(id)) {
      throw new Error(`jobs[${i}].dependsOn names job ${JSON.stringify(id)}, which does not exist`);
    }
  }
}

/** Depth-first, iterative (a long chain must not overflow the stack), parents first. */
function topoOrder(items: readonly CheckedInsert[], parents: readonly (readonly number[])[]): number[] {
  const WHITE = 0;
  const GREY = 1;
  const BLACK = 2;
  const colour = new Uint8Array(items.length);
  const order: number[] = [];
  const stack: number[] = [];
  const next: number[] = [];
  for (let root = 0; root < items.length; root++) {
    if (colour[root] !== WHITE) continue;
    stack.push(root);
    next.push(0);
    colour[root] = GREY;
    while (stack.length > 0) {
      const top = stack.length - 1;
      const node = stack[top] as number;
      const ps = parents[node] as readonly number[];
      const k = next[top] as number;
      if (k === ps.length) {
        colour[node] = BLACK;
        order.push(node);
        stack.pop();
        next.pop();
        continue;
      }
      next[top] = k + 1;
      const p = ps[k] as number;
      if (colour[p] === GREY) throw cycleError(items, stack, p);
      if (colour[p] === WHITE) {
        colour[p] = GREY;
        stack.push(p);
        next.push(0);
      }
    }
  }
  return order;
}

function cycleError(items: readonly CheckedInsert[], stack: readonly number[], back: number): Error {
  const from = stack.indexOf(back);
  // The stack runs child → parent; show the cycle in dependency direction, closing it.
  const path = [...stack.slice(from), back].map((i) => JSON.stringify(items[i]?.ref ?? `jobs[${i}]`));
  return new Error(`Dependency cycle in the batch: ${path.join(' depends on ')}`);
}

/**
 * A job's parents once its batch is being stored: its existing parent ids plus the ids the
 * batch has already given to the jobs it names by ref (`idAt`, by batch index), without repeats.
 */
export function resolveParents(
  parentIds: readonly string[],
  batchParents: readonly number[] | undefined,
  idAt: readonly (string | undefined)[] | undefined,
): readonly string[] {
  if (batchParents === undefined || batchParents.length === 0) return parentIds;
  const ids = [...parentIds];
  for (const p of batchParents) {
    const id = (idAt as readonly string[])[p] as string;
    if (!ids.includes(id)) ids.push(id);
  }
  return ids;
}

/** What a store does for each job of a planned batch (see `insertPlanned`). */
export interface BatchSteps {
  /**
   * The stored job a unique insert duplicates, if any. Called for every job before it is stored;
   * `readsParents` says the job has parents, whose states its insert will read.
   */
  duplicateOf(item: CheckedInsert, readsParents: boolean): JobRecord | undefined;
  /** Stores one job with its parents resolved to ids, and returns its record. */
  insert(item: CheckedInsert, dependsOn: readonly string[]): JobRecord;
}

/**
 * Stores a planned batch in its plan's order (parents first), resolving `{ ref }` parents to the
 * ids their jobs got (or the duplicates they matched); results in input order. Both stores insert
 * through this walk; they differ only in `steps`.
 */
export function insertPlanned(
  items: readonly CheckedInsert[],
  plan: BatchPlan,
  steps: BatchSteps,
): InsertResult[] {
  const n = items.length;
  const results = new Array<InsertResult>(n);
  const { order, refParents } = plan;
  // Ids by batch position, for `{ ref }` parents (only batches with refs need them).
  const idAt = refParents === null ? undefined : new Array<string>(n);
  for (let k = 0; k < n; k++) {
    const i = order === null ? k : (order[k] as number);
    const item = items[i] as CheckedInsert;
    const batchParents = refParents?.[i];
    const readsParents = item.parentIds.length > 0 || (batchParents !== undefined && batchParents.length > 0);
    const dup = steps.duplicateOf(item, readsParents);
    const job = dup ?? steps.insert(item, resolveParents(item.parentIds, batchParents, idAt));
    results[i] = Object.freeze({ job, duplicate: dup !== undefined });
    if (idAt !== undefined) idAt[i] = job.id;
  }
  return results;
}

/** A new job's state: scheduled or available without parents, else what its parents allow. */
export function initialState(
  item: CheckedInsert,
  dependsOn: readonly string[],
  now: number,
  readiness: (dependsOn: readonly string[], runAt: number) => JobState,
): JobState {
  if (dependsOn.length > 0) return readiness(dependsOn, item.runAt);
  return item.runAt > now ? 'scheduled' : 'available';
}

/** The record of a job just inserted with `id` and `state` at `now`. */
export function newRecord(
  id: string,
  item: CheckedInsert,
  state: JobState,
  dependsOn: readonly string[],
  now: number,
): JobRecord {
  return Object.freeze({
    id,
    kind: item.kind,
    queue: item.queue,
    payload: item.payload,
    state,
    priority: item.priority,
    attempt: 0,
    maxAttempts: item.maxAttempts,
    runAt: item.runAt,
    insertedAt: now,
    attemptedAt: null,
    finishedAt: state === 'cancelled' ? now : null,
    timeoutMs: item.timeoutMs,
    // Shared frozen [] when there are none (the common case); a fresh frozen copy otherwise.
    dependsOn: dependsOn.length === 0 ? EMPTY : Object.freeze([...dependsOn]),
    uniqueKey: item.unique?.key ?? null,
    errors: EMPTY,
    result: null,
    progress: null,
    lease: null,
    cancelRequested: false,
    tags: item.tags,
  });
}
