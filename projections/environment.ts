import { type EnvVariableDoc, envVariableId, PROJECT_ENV } from '../application/projects/readModel.ts';
import { ENVIRONMENT_EVENT_TYPES, type EnvironmentEvent } from '../domain/environment.ts';
import type { ProjectEvent } from '../domain/project.ts';
import type { Projection } from './projection.ts';

/** Each project's variables; secrets stay the ciphertext the event carries. A deleted project's go with it. */
export const environmentProjection: Projection = {
  name: 'environment',
  version: 1,
  collections: { [PROJECT_ENV]: [{ fields: ['projectId', 'name'] }] },
  eventTypes: [...ENVIRONMENT_EVENT_TYPES, 'ProjectDeleted'],
  async apply(recorded, view) {
    const event = { type: recorded.type, data: recorded.data } as EnvironmentEvent | ProjectEvent;
    const variables = view.collection<EnvVariableDoc>(PROJECT_ENV);
    switch (event.type) {
      case 'EnvVariableSet': {
        const { projectId, name } = event.data;
        await variables.upsert({
          id: envVariableId(projectId, name),
          projectId,
          name,
          secret: event.data.secret,
          value: event.data.secret ? null : event.data.value,
          encrypted: event.data.secret ? event.data.encrypted : null,
          updatedAt: recorded.metadata.timestamp,
        });
        return;
      }
      case 'EnvVariableDeleted':
        await variables.delete(envVariableId(event.data.projectId, event.data.name));
        return;
      case 'ProjectDeleted':
        await variables.deleteMany({ projectId: event.data.projectId });
        return;
      default:
        return;
    }
  },
};
