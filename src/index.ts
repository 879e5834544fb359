/**
 * `steward`: the job system's facade — `createSteward`, `defineJob`, the errors a handler
 * throws, priority levels and the public types — plus the runtime building blocks (also
 * at `steward/runtime`). Explicit exports only: what is not named here is internal.
 */
export { VERSION } from './version.js';
export { createSteward, DEFAULT_GRACE_MS } from './queue/steward.js';
export { defineJob, Priority } from './queue/define.js';
export {
  UnrecoverableError,
  SnoozeError,
  JobTimeoutError,
  JobCancelledError,
  LeaseLostError,
  PayloadValidationError,
} from './queue/errors.js';
export type {
  AnyJobDefinition,
  Backoff,
  BackoffFn,
  EnqueueOptions,
  JobContext,
  JobDefinition,
  JobHandler,
  JobLogger,
  MetricsPoint,
  QueueOptions,
  StandardSchemaV1,
  StatsCounters,
  Steward,
  StewardOptions,
  StewardStats,
  UniqueOptions,
} from './queue/types.js';
export type { JobOutcome, TelemetryEvent, TelemetryEvents } from './queue/telemetry.js';
export { openStore, createMemoryStore, createSqliteStore, FINAL_STATES, JOB_STATES } from './store/index.js';
export type {
  Completion,
  CompletionResult,
  Json,
  JobCounts,
  JobError,
  JobFilter,
  JobRecord,
  JobState,
  Lease,
  Store,
  StoreCapabilities,
} from './store/index.js';
export {
  Task,
  TaskSupervisor,
  Agent,
  Supervisor,
  ThreadPool,
  TaskTimeoutError,
  ShutdownError,
  StoppedError,
  onReport,
} from './runtime/index.js';
export type { RuntimeReport, ReportListener } from './runtime/index.js';
