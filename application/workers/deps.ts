import type { QuotaDefaults } from '../../domain/projectQuotas.ts';
import type { WorkerLimits } from '../../domain/worker.ts';
import type { WorkerSandbox } from '../ports/workerSandbox.ts';
import type { EnvironmentDeps } from '../projects/deps.ts';

/** Installation-wide settings of the worker runtime, from configuration. */
export interface WorkerSettings {
  /** Defaults for workers without their own limits, and the most a worker may set. */
  limits: Required<WorkerLimits>;
  /** Invocation records older than this are deleted by the sweeper. */
  logRetentionDays: number;
  /** Longest chain of custom events (worker → event → worker → …) before `m3m.events.emit` refuses. */
  eventDepthLimit: number;
  /** Each project's storage quotas unless a global admin set its own. Default `DEFAULT_QUOTAS`. */
  quotas?: QuotaDefaults;
}

/**
 * What the worker use cases (create, edit, deploy, roll back, delete) run on: the sandbox only to compile a
 * source before it is deployed and to drop the warm isolates of a version that is replaced.
 */
export interface WorkerDeps extends EnvironmentDeps {
  sandbox: WorkerSandbox;
  settings: WorkerSettings;
}
