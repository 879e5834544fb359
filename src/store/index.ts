/**
 * The Store contract and its backends: explicit exports only, so the memory store's tables and
 * helpers stay internal.
 */
export { createMemoryStore } from './memory.js';
export type { MemoryStoreOptions } from './memory.js';
export { createSqliteStore, NewerSchemaError, SqliteOpenError } from './sqlite.js';
export type { SqliteStoreOptions, SynchronousMode } from './sqlite.js';
export { openStore } from './open.js';
export type { OpenStoreOptions } from './open.js';
export { FINAL_STATES, JOB_STATES } from './types.js';
export type {
  CancelOutcome,
  Completion,
  CompletionResult,
  FetchRequest,
  HeartbeatResult,
  InsertResult,
  Json,
  JobCounts,
  JobError,
  JobFilter,
  JobInsert,
  JobRecord,
  JobState,
  Lease,
  LeaseRef,
  QueueInfo,
  Store,
  StoreCapabilities,
  StoreEvent,
  TransitionResult,
  UniqueSpec,
} from './types.js';
