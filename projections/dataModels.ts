import { DATA_MODELS, type DataModelDoc, dataModelId } from '../application/collections/readModel.ts';
import { DATA_MODEL_EVENT_TYPES, type DataModelEvent } from '../domain/dataModel.ts';
import type { ProjectEvent } from '../domain/project.ts';
import type { Projection } from './projection.ts';

/** Each project's data models (a JSON Schema per collection). A deleted project's go with it. */
export const dataModelsProjection: Projection = {
  name: 'data_models',
  version: 1,
  collections: { [DATA_MODELS]: [{ fields: ['projectId', 'name'] }] },
  eventTypes: [...DATA_MODEL_EVENT_TYPES, 'ProjectDeleted'],
  async apply(recorded, view) {
    const event = { type: recorded.type, data: recorded.data } as DataModelEvent | ProjectEvent;
    const models = view.collection<DataModelDoc>(DATA_MODELS);
    switch (event.type) {
      case 'DataModelDefined': {
        const { projectId, name, schema } = event.data;
        await models.upsert({
          id: dataModelId(projectId, name),
          projectId,
          name,
          schema,
          updatedAt: recorded.metadata.timestamp,
          updatedBy: recorded.metadata.actorId,
        });
        return;
      }
      case 'DataModelRemoved':
        await models.delete(dataModelId(event.data.projectId, event.data.name));
        return;
      case 'ProjectDeleted':
        await models.deleteMany({ projectId: event.data.projectId });
        return;
      default:
        return;
    }
  },
};
