import type { Actor } from '../context.ts';
import { refuse } from '../errors.ts';
import { canManageProject } from '../projects/accessPolicy.ts';
import type { ProjectDeps } from '../projects/deps.ts';
import { findVisibleProject } from '../projects/queries.ts';
import type { ProjectDoc } from '../projects/readModel.ts';
import { WORKERS, type WorkerDoc } from './readModel.ts';

/**
 * Workers follow their project's policy (`projects/projectAccess.ts`): whoever sees the project (members,
 * users granted it, owner, admins) reads its workers, their versions, logs and statistics, and runs them
 * by hand; the owner and global admins create, edit, deploy, roll back and delete them. A project the caller
 * cannot see is a 404, as is a worker of another project.
 */

export const workerNotFound = () => refuse('worker_not_found', 'The worker does not exist.');

export async function findVisibleWorker(
  deps: ProjectDeps,
  actor: Actor,
  projectId: string,
  workerId: string,
): Promise<{ project: ProjectDoc; worker: WorkerDoc }> {
  const project = await findVisibleProject(deps, actor, projectId);
  const worker = await deps.readStore.collection<WorkerDoc>(WORKERS).get(workerId);
  if (!worker || worker.projectId !== projectId) throw workerNotFound();
  return { project, worker };
}

export function assertCanManageWorkers(actor: Actor, project: ProjectDoc): void {
  if (!canManageProject(actor, project)) {
    throw refuse('not_project_manager', "Only the project's owner or a global admin may change its workers.");
  }
}

export async function findManageableWorker(
  deps: ProjectDeps,
  actor: Actor,
  projectId: string,
  workerId: string,
): Promise<{ project: ProjectDoc; worker: WorkerDoc }> {
  const found = await findVisibleWorker(deps, actor, projectId, workerId);
  assertCanManageWorkers(actor, found.project);
  return found;
}
