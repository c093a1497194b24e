import type { JsonSchema } from '../../domain/dataModel.ts';
import type { Doc } from '../ports/readStore.ts';

/** The read model of data models (written only by `projections/dataModels.ts`). */
export const DATA_MODELS = 'data_models';

export interface DataModelDoc extends Doc {
  projectId: string;
  name: string;
  schema: JsonSchema;
  updatedAt: string;
  updatedBy: string | null;
}

export const dataModelId = (projectId: string, name: string) => `${projectId}:${name}`;
