import type { OutboundFetch } from '../ports/outboundFetch.ts';
import type { RuntimeExtensions } from '../ports/runtimeExtensions.ts';
import type { WorkerDeps } from '../workers/deps.ts';
import type { InvocationFeed } from './invocationFeed.ts';
import type { ProjectShare } from './projectShare.ts';
import type { WorkerGuard } from './workerGuard.ts';

/** What running workers needs beyond managing them: the Runtime API's parts and where records go. */
export interface RuntimeDeps extends WorkerDeps {
  extensions: RuntimeExtensions;
  fetcher: OutboundFetch;
  feed: InvocationFeed;
  /**
   * Event types a worker may not emit: every type m3m itself records (the projections react to them by
   * type). Composition adds the types every projection listens to, so a new built-in type is covered.
   */
  reservedEventTypes: ReadonlySet<string>;
  /** CPU budget and circuit breaker per worker (issue 12, item 7); none: no such limits. */
  guard?: WorkerGuard;
  /** Per-project fair share: concurrent invocations, emits (issue 12, item 6); none: no such limits. */
  share?: ProjectShare;
  /** Where host-side failures of the runtime are reported (a failing stats write, a failed sweep). */
  log?: (level: 'warn' | 'error', obj: object, message: string) => void;
}
