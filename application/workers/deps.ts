import type { WorkerLimits } from '../../domain/worker.ts';
import type { EnvironmentDeps } from '../projects/deps.ts';
import type { InvocationFeed } from './invocationFeed.ts';
import type { OutboundFetch } from './outboundFetch.ts';
import type { RuntimeExtensions } from './runtimeExtensions.ts';
import type { WorkerSandbox } from './sandbox.ts';

/** Installation-wide settings of the worker runtime, from configuration. */
export interface WorkerSettings {
  /** Defaults for workers without their own limits, and the most a worker may set. */
  limits: Required<WorkerLimits>;
  /** Invocation records older than this are deleted by the sweeper. */
  logRetentionDays: number;
  /** Longest chain of custom events (worker → event → worker → …) before `m3m.events.emit` refuses. */
  eventDepthLimit: number;
}

/** What the worker use cases run on. */
export interface WorkerDeps extends EnvironmentDeps {
  sandbox: WorkerSandbox;
  extensions: RuntimeExtensions;
  fetcher: OutboundFetch;
  feed: InvocationFeed;
  settings: WorkerSettings;
  /**
   * Event types a worker may not emit: every type m3m itself records (the projections react to them by
   * type). Composition adds the types every projection listens to, so a new built-in type is covered.
   */
  reservedEventTypes: ReadonlySet<string>;
  /** Where host-side failures of the runtime are reported (a failing stats write, a failed sweep). */
  log?: (level: 'warn' | 'error', obj: object, message: string) => void;
}
