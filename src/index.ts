/**
 * `steward`: the job system's facade. Until the job system lands it offers the version and
 * the runtime building blocks (also at `steward/runtime`).
 */
export { VERSION } from './version.js';
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
