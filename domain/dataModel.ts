import { type Decider, DomainError } from './decider.ts';

/**
 * A project's data models: a JSON Schema for a collection its workers write (`m3m.models.collection(name)`).
 * One stream per project, `data-models-<projectId>`. The application checks that a schema is a valid JSON
 * Schema of an object before it reaches the decider; the decider keeps names, sizes and history.
 */

/** The collection names workers may use: lowercase letters, digits and `_`, starting with a letter, ≤ 41. */
export const MODEL_NAME_PATTERN = /^[a-z][a-z0-9_]{0,40}$/;
/** A schema's JSON, in UTF-8 bytes. */
export const MODEL_SCHEMA_MAX_BYTES = 64 * 1024;
export const MAX_MODELS_PER_PROJECT = 100;

export type JsonSchema = Record<string, unknown>;

export type DataModelCommand =
  | { type: 'DefineDataModel'; projectId: string; name: string; schema: JsonSchema }
  | { type: 'RemoveDataModel'; projectId: string; name: string };

export type DataModelEvent =
  | { type: 'DataModelDefined'; data: { projectId: string; name: string; schema: JsonSchema } }
  | { type: 'DataModelRemoved'; data: { projectId: string; name: string } };

export const DATA_MODEL_EVENT_TYPES = ['DataModelDefined', 'DataModelRemoved'] as const;

export interface DataModelState {
  /** name → the schema's JSON. */
  models: Readonly<Record<string, string>>;
}

export function dataModelStream(projectId: string): string {
  return `data-models-${projectId}`;
}

export function validateModelName(name: string): void {
  if (!MODEL_NAME_PATTERN.test(name)) {
    throw new DomainError(
      'invalid_collection_name',
      'A collection name is 1–41 lowercase letters, digits or "_", starting with a letter (e.g. "orders").',
    );
  }
}

export const dataModel: Decider<DataModelCommand, DataModelState, DataModelEvent> = {
  initialState: { models: {} },

  decide(command, state) {
    validateModelName(command.name);
    const current = state.models[command.name];
    if (command.type === 'RemoveDataModel') {
      if (current === undefined) {
        throw new DomainError('model_not_found', `The collection "${command.name}" has no model.`);
      }
      return [{ type: 'DataModelRemoved', data: { projectId: command.projectId, name: command.name } }];
    }
    const json = JSON.stringify(command.schema);
    if (Buffer.byteLength(json, 'utf8') > MODEL_SCHEMA_MAX_BYTES) {
      throw new DomainError(
        'invalid_model_schema',
        `A schema is at most ${MODEL_SCHEMA_MAX_BYTES} bytes of JSON.`,
      );
    }
    if (current === json) return [];
    if (current === undefined && Object.keys(state.models).length >= MAX_MODELS_PER_PROJECT) {
      throw new DomainError(
        'invalid_model_schema',
        `A project has at most ${MAX_MODELS_PER_PROJECT} models.`,
      );
    }
    return [
      {
        type: 'DataModelDefined',
        data: { projectId: command.projectId, name: command.name, schema: command.schema },
      },
    ];
  },

  evolve(state, event) {
    const models = { ...state.models };
    if (event.type === 'DataModelDefined') models[event.data.name] = JSON.stringify(event.data.schema);
    else delete models[event.data.name];
    return { models };
  },
};
