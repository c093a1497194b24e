import {
  effectiveLimits,
  languageOf,
  type WorkerLanguage,
  type WorkerLimits,
  type WorkerTriggers,
} from '../../domain/worker.ts';
import type { Actor } from '../context.ts';
import { refuse } from '../errors.ts';
import { findAll } from '../ports/findAll.ts';
import { findVisibleProject } from '../projects/queries.ts';
import type { ProjectDoc } from '../projects/readModel.ts';
import { readSuspensions, type Suspension } from '../runtime/workerGuard.ts';
import { findVisibleWorker } from './access.ts';
import type { WorkerDeps } from './deps.ts';
import {
  WORKER_DRAFTS,
  WORKER_VERSIONS,
  WORKERS,
  type WorkerDoc,
  type WorkerDraftDoc,
  type WorkerVersionDoc,
  workerVersionId,
} from './readModel.ts';

export interface WorkerView {
  id: string;
  projectId: string;
  name: string;
  slug: string;
  /** The language of the draft and of the next deploy. */
  language: WorkerLanguage;
  triggers: WorkerTriggers;
  enabled: boolean;
  /** The worker's own limits; missing ones are the installation's. */
  limits: WorkerLimits;
  /** What an invocation actually gets. */
  effectiveLimits: Required<WorkerLimits>;
  /** `null` until the first deploy. */
  activeVersion: number | null;
  latestVersion: number;
  deployedAt: string | null;
  draft: { sourceHash: string; savedAt: string | null } | null;
  /** A draft differs from the active version's source. */
  undeployedChanges: boolean;
  /** The HTTP trigger's path (served only while `triggers.http` is on). */
  httpPath: string;
  /** Set while the runtime holds the worker back for running into its limits again and again (issue 12, item 7). */
  suspension: Suspension | null;
  createdAt: string;
  updatedAt: string;
}

export interface WorkerDetail extends WorkerView {
  /** The saved draft's source, or `null`. */
  draftSource: string | null;
}

export function workerView(
  deps: WorkerDeps,
  doc: WorkerDoc,
  project: Pick<ProjectDoc, 'slug'>,
  suspension: Suspension | null = null,
): WorkerView {
  return {
    id: doc.id,
    projectId: doc.projectId,
    name: doc.name,
    slug: doc.slug,
    language: languageOf(doc.language),
    triggers: doc.triggers,
    enabled: doc.enabled,
    limits: doc.limits,
    effectiveLimits: effectiveLimits(deps.settings.limits, doc.limits),
    activeVersion: doc.activeVersion,
    latestVersion: doc.latestVersion,
    deployedAt: doc.deployedAt,
    draft: doc.draftHash === null ? null : { sourceHash: doc.draftHash, savedAt: doc.draftSavedAt },
    undeployedChanges: doc.draftHash !== null && doc.draftHash !== doc.activeSourceHash,
    httpPath: `/run/${project.slug}/${doc.slug}`,
    suspension,
    createdAt: doc.createdAt,
    updatedAt: doc.updatedAt,
  };
}

export async function listWorkers(deps: WorkerDeps, actor: Actor, projectId: string): Promise<WorkerView[]> {
  const project = await findVisibleProject(deps, actor, projectId);
  const docs = await findAll(deps.readStore.collection<WorkerDoc>(WORKERS), { projectId }, { name: 1 });
  const suspensions = await readSuspensions(
    deps.readStore,
    deps.clock,
    docs.map((d) => d.id),
  );
  return docs.map((doc) => workerView(deps, doc, project, suspensions.get(doc.id) ?? null));
}

export async function getWorker(
  deps: WorkerDeps,
  actor: Actor,
  projectId: string,
  workerId: string,
): Promise<WorkerDetail> {
  const { project, worker } = await findVisibleWorker(deps, actor, projectId, workerId);
  const draft = await deps.readStore.collection<WorkerDraftDoc>(WORKER_DRAFTS).get(workerId);
  const suspension = (await readSuspensions(deps.readStore, deps.clock, [workerId])).get(workerId) ?? null;
  return { ...workerView(deps, worker, project, suspension), draftSource: draft?.source ?? null };
}

export interface VersionView {
  version: number;
  sourceHash: string;
  language: WorkerLanguage;
  deployedAt: string;
  deployedBy: string | null;
  active: boolean;
}

export async function listVersions(
  deps: WorkerDeps,
  actor: Actor,
  projectId: string,
  workerId: string,
): Promise<VersionView[]> {
  const { worker } = await findVisibleWorker(deps, actor, projectId, workerId);
  const rows = await findAll(
    deps.readStore.collection<WorkerVersionDoc>(WORKER_VERSIONS),
    { workerId },
    { version: -1 },
  );
  return rows.map((row) => ({
    version: row.version,
    sourceHash: row.sourceHash,
    language: languageOf(row.language),
    deployedAt: row.deployedAt,
    deployedBy: row.deployedBy,
    active: row.version === worker.activeVersion,
  }));
}

export async function getVersion(
  deps: WorkerDeps,
  actor: Actor,
  projectId: string,
  workerId: string,
  version: number,
): Promise<VersionView & { source: string }> {
  const { worker } = await findVisibleWorker(deps, actor, projectId, workerId);
  const row = await deps.readStore
    .collection<WorkerVersionDoc>(WORKER_VERSIONS)
    .get(workerVersionId(workerId, version));
  if (!row) throw refuse('version_not_found', `The worker has no version ${version}.`);
  return {
    version: row.version,
    sourceHash: row.sourceHash,
    language: languageOf(row.language),
    deployedAt: row.deployedAt,
    deployedBy: row.deployedBy,
    active: row.version === worker.activeVersion,
    source: row.source,
  };
}
