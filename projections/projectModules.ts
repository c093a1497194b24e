import { PROJECT_MODULES, type ProjectModuleDoc, projectModuleId } from '../application/modules/readModel.ts';
import { PROJECT_MODULE_EVENT_TYPES, type ProjectModulesEvent } from '../domain/projectModules.ts';
import type { Projection } from './projection.ts';

/**
 * Each project's modules as recorded: one document per (project, module) ever switched on there. The status is
 * stored as decided; a trial's end is applied by whoever reads it (`effectiveStatus`), since nothing is
 * recorded when a trial runs out. A deleted project's modules leave with it.
 */
export const projectModulesProjection: Projection = {
  name: 'project_modules',
  version: 1,
  collections: { [PROJECT_MODULES]: [{ fields: ['projectId'] }] },
  eventTypes: [...PROJECT_MODULE_EVENT_TYPES, 'ProjectDeleted'],
  async apply(recorded, view) {
    const modules = view.collection<ProjectModuleDoc>(PROJECT_MODULES);
    if (recorded.type === 'ProjectDeleted') {
      await modules.deleteMany({ projectId: (recorded.data as { projectId: string }).projectId });
      return;
    }
    const event = { type: recorded.type, data: recorded.data } as ProjectModulesEvent;
    const { projectId, moduleCode } = event.data;
    const trial = event.type === 'ProjectModuleTrialStarted';
    await modules.upsert({
      id: projectModuleId(projectId, moduleCode),
      projectId,
      moduleCode,
      status: trial ? 'trial' : event.type === 'ProjectModuleEnabled' ? 'active' : 'disabled',
      trialEndsAt: trial ? event.data.trialEndsAt : null,
      updatedAt: recorded.metadata.timestamp,
      updatedBy: recorded.metadata.actorId,
    });
  },
};
