import type { Actor } from '../context.ts';
import { refuse } from '../errors.ts';
import type { Page } from '../ports/readStore.ts';
import type { ProjectDeps } from '../projects/deps.ts';
import { findVisibleProject } from '../projects/queries.ts';
import { findVisibleWorker } from '../workers/access.ts';
import { WORKER_INVOCATIONS } from '../workers/readModel.ts';
import { type InvocationQuery, type InvocationRecord, queryInvocations } from './invocations.ts';
import { readWorkerStats, type WorkerStats } from './stats.ts';

/** What the runtime recorded, as the API shows it: invocation records and daily statistics. */

/** A project's invocation records (or one worker's), newest first. */
export async function listInvocations(
  deps: ProjectDeps,
  actor: Actor,
  projectId: string,
  query: InvocationQuery,
): Promise<Page<InvocationRecord>> {
  if (query.workerId !== undefined) await findVisibleWorker(deps, actor, projectId, query.workerId);
  else await findVisibleProject(deps, actor, projectId);
  return queryInvocations(deps.readStore, projectId, query);
}

export async function workerStats(
  deps: ProjectDeps,
  actor: Actor,
  projectId: string,
  workerId: string,
  range: { from?: string | undefined; to?: string | undefined },
): Promise<WorkerStats> {
  await findVisibleWorker(deps, actor, projectId, workerId);
  return readWorkerStats(deps.readStore, workerId, deps.clock.now(), range);
}

/** One invocation record of a project the caller sees (e.g. the one a failed HTTP trigger names). */
export async function getInvocation(
  deps: ProjectDeps,
  actor: Actor,
  projectId: string,
  invocationId: string,
): Promise<InvocationRecord> {
  await findVisibleProject(deps, actor, projectId);
  const record = await deps.readStore.collection<InvocationRecord>(WORKER_INVOCATIONS).get(invocationId);
  if (!record || record.projectId !== projectId) {
    throw refuse('invocation_not_found', 'There is no such invocation (records expire).');
  }
  return record;
}
