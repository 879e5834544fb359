/**
 * `steward/runtime`: the OTP-style building blocks Steward is made of, usable on their own.
 * Explicit exports only: what is not named here is internal.
 */
export { Task, isTaskResult } from './task.js';
export type { TaskResult, TaskStatus, TaskOptions } from './task.js';
export type { AsyncStreamOptions } from './task-stream.js';
export { TaskSupervisor } from './task-supervisor.js';
export type {
  TaskSupervisorOptions,
  TaskChildOptions,
  NolinkOptions,
  TaskSupervisorEvents,
} from './task-supervisor.js';
export { Agent } from './agent.js';
export type { AgentOptions } from './agent.js';
export { Supervisor, ChildStartError, SupervisorIntensityError } from './supervisor.js';
export type {
  ChildSpec,
  ChildOptions,
  PeriodicOptions,
  Strategy,
  SupervisorOptions,
  ChildCounts,
  ChildInfo,
  ChildStatus,
  SupervisorEvents,
} from './supervisor.js';
export { ThreadPool } from './thread-pool.js';
export type { ThreadPoolOptions, RunOptions, ThreadPoolStats } from './thread-pool.js';
export type { Process, ExitReason } from './process.js';
export { TaskTimeoutError, ShutdownError, StoppedError, coerceError } from './errors.js';
export { onReport } from './report.js';
export type { RuntimeReport, ReportListener } from './report.js';
export {
  Table,
  TableError,
  TableAccessError,
  TableBadArgError,
  TableDroppedError,
  compareKeys,
  _,
  $1,
  $2,
  $3,
  $4,
  $5,
  $6,
  $7,
  $8,
  $9,
  v,
} from './table/index.js';
export type {
  TableHandle,
  TableOptions,
  TableInfo,
  TableAccess,
  TableHeir,
  TableType,
  Row,
  Key,
  CounterOp,
  Pattern,
  Bindings,
  MatchResult,
  SelectClause,
  SelectSpec,
  Var,
  Wildcard,
} from './table/index.js';
export { Registry } from './registry.js';
export type {
  RegistryKeys,
  RegistryOptions,
  RegisterOptions,
  RegistryEntry,
  RegisterResult,
  RegistryEvents,
  UnregisterReason,
} from './registry.js';
