import type { Actor } from '../context.ts';
import { findManageableWorker } from '../workers/access.ts';
import { getWorker, type WorkerDetail } from '../workers/queries.ts';
import type { RuntimeDeps } from './deps.ts';

/**
 * Ends a worker's suspension now (issue 12, item 7): whoever may edit the worker, once they fixed it. Resuming a
 * worker that is not suspended changes nothing. Its waiting event deliveries run as their time comes.
 */
export async function resumeWorker(
  deps: RuntimeDeps,
  actor: Actor,
  projectId: string,
  workerId: string,
): Promise<WorkerDetail> {
  await findManageableWorker(deps, actor, projectId, workerId);
  await deps.guard?.resume(workerId);
  return getWorker(deps, actor, projectId, workerId);
}
