import {
  WORKER_DRAFTS,
  WORKER_EVENT_TRIGGERS,
  WORKER_VERSIONS,
  WORKERS,
  type WorkerDoc,
  type WorkerDraftDoc,
  type WorkerEventTriggerDoc,
  type WorkerVersionDoc,
  workerEventTriggerId,
  workerVersionId,
} from '../application/workers/readModel.ts';
import type { ProjectEvent } from '../domain/project.ts';
import { languageOf, WORKER_EVENT_TYPES, type WorkerEvent, type WorkerTriggers } from '../domain/worker.ts';
import type { Projection, ProjectionView } from './projection.ts';

async function replaceEventTriggers(
  view: ProjectionView,
  workerId: string,
  projectId: string,
  triggers: WorkerTriggers,
): Promise<void> {
  const rows = view.collection<WorkerEventTriggerDoc>(WORKER_EVENT_TRIGGERS);
  await rows.deleteMany({ workerId });
  for (const eventType of triggers.events) {
    await rows.upsert({ id: workerEventTriggerId(workerId, eventType), workerId, projectId, eventType });
  }
}

/**
 * Live workers with their settings and active version, every deployed version's source, the current draft,
 * and an index of event triggers. A deleted worker, or every worker of a deleted project, leaves them all.
 */
export const workersProjection: Projection = {
  name: 'workers',
  // 2: workers and versions carry their language.
  version: 2,
  collections: {
    [WORKERS]: [{ fields: ['projectId', 'slug'] }, { fields: ['http'] }, { fields: ['cron'] }],
    [WORKER_VERSIONS]: [{ fields: ['workerId', 'version'] }, { fields: ['projectId'] }],
    [WORKER_DRAFTS]: [{ fields: ['projectId'] }],
    [WORKER_EVENT_TRIGGERS]: [{ fields: ['eventType', 'projectId'] }, { fields: ['workerId'] }],
  },
  eventTypes: [...WORKER_EVENT_TYPES, 'ProjectDeleted'],
  async apply(recorded, view) {
    const event = { type: recorded.type, data: recorded.data } as WorkerEvent | ProjectEvent;
    const at = recorded.metadata.timestamp;
    const workers = view.collection<WorkerDoc>(WORKERS);
    const versions = view.collection<WorkerVersionDoc>(WORKER_VERSIONS);
    const drafts = view.collection<WorkerDraftDoc>(WORKER_DRAFTS);
    switch (event.type) {
      case 'WorkerCreated': {
        const { workerId, projectId, name, slug, triggers, enabled, limits, language } = event.data;
        await workers.upsert({
          id: workerId,
          projectId,
          name,
          slug,
          triggers,
          http: triggers.http,
          cron: triggers.cron,
          enabled,
          limits,
          language: languageOf(language),
          activeVersion: null,
          latestVersion: 0,
          activeSourceHash: null,
          draftHash: null,
          draftSavedAt: null,
          deployedAt: null,
          createdAt: at,
          updatedAt: at,
        });
        await replaceEventTriggers(view, workerId, projectId, triggers);
        return;
      }
      case 'WorkerUpdated': {
        const { workerId, projectId, name, language, triggers, enabled, limits } = event.data;
        if (!(await workers.get(workerId))) return;
        await workers.patch(workerId, {
          $set: {
            ...(name === undefined ? {} : { name }),
            ...(language === undefined ? {} : { language }),
            ...(triggers === undefined ? {} : { triggers, http: triggers.http, cron: triggers.cron }),
            ...(enabled === undefined ? {} : { enabled }),
            ...(limits === undefined ? {} : { limits }),
            updatedAt: at,
          },
        });
        if (triggers !== undefined) await replaceEventTriggers(view, workerId, projectId, triggers);
        return;
      }
      case 'WorkerDraftSaved': {
        const { workerId, projectId, source, sourceHash } = event.data;
        if (!(await workers.get(workerId))) return;
        await drafts.upsert({ id: workerId, workerId, projectId, source, sourceHash, savedAt: at });
        await workers.patch(workerId, { $set: { draftHash: sourceHash, draftSavedAt: at, updatedAt: at } });
        return;
      }
      case 'WorkerDeployed': {
        const { workerId, projectId, version, source, sourceHash, language } = event.data;
        if (!(await workers.get(workerId))) return;
        await versions.upsert({
          id: workerVersionId(workerId, version),
          workerId,
          projectId,
          version,
          source,
          sourceHash,
          language: languageOf(language),
          deployedAt: at,
          deployedBy: recorded.metadata.actorId,
        });
        await workers.patch(workerId, {
          $set: {
            activeVersion: version,
            latestVersion: version,
            activeSourceHash: sourceHash,
            deployedAt: at,
            updatedAt: at,
          },
        });
        return;
      }
      case 'WorkerVersionActivated': {
        const { workerId, version } = event.data;
        const row = await versions.get(workerVersionId(workerId, version));
        if (!row || !(await workers.get(workerId))) return;
        await workers.patch(workerId, {
          $set: { activeVersion: version, activeSourceHash: row.sourceHash, deployedAt: at, updatedAt: at },
        });
        return;
      }
      case 'WorkerDeleted': {
        const { workerId } = event.data;
        await workers.delete(workerId);
        await versions.deleteMany({ workerId });
        await drafts.delete(workerId);
        await view.collection(WORKER_EVENT_TRIGGERS).deleteMany({ workerId });
        return;
      }
      case 'ProjectDeleted': {
        const { projectId } = event.data;
        await workers.deleteMany({ projectId });
        await versions.deleteMany({ projectId });
        await drafts.deleteMany({ projectId });
        await view.collection(WORKER_EVENT_TRIGGERS).deleteMany({ projectId });
        return;
      }
      default:
        return;
    }
  },
};
