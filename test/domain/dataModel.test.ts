import { describe, it } from 'vitest';
import { type DataModelEvent, dataModel, MODEL_SCHEMA_MAX_BYTES } from '../../domain/dataModel.ts';
import { deciderSpec } from '../kit/decider.ts';

const given = deciderSpec(dataModel);
const schema = { type: 'object', properties: { total: { type: 'number' } } };
const defined: DataModelEvent = {
  type: 'DataModelDefined',
  data: { projectId: 'p1', name: 'orders', schema },
};

describe('data models', () => {
  it('defines a model, records nothing for the same schema, replaces a changed one', () => {
    given().when({ type: 'DefineDataModel', projectId: 'p1', name: 'orders', schema }).then([defined]);
    given([defined])
      .when({ type: 'DefineDataModel', projectId: 'p1', name: 'orders', schema: { ...schema } })
      .then([]);
    const changed = { ...schema, required: ['total'] };
    given([defined])
      .when({ type: 'DefineDataModel', projectId: 'p1', name: 'orders', schema: changed })
      .then([{ type: 'DataModelDefined', data: { projectId: 'p1', name: 'orders', schema: changed } }]);
  });

  it('removes only a model that exists', () => {
    given([defined])
      .when({ type: 'RemoveDataModel', projectId: 'p1', name: 'orders' })
      .then([{ type: 'DataModelRemoved', data: { projectId: 'p1', name: 'orders' } }]);
    given().when({ type: 'RemoveDataModel', projectId: 'p1', name: 'orders' }).thenRefuses('model_not_found');
  });

  it('refuses a bad collection name and an oversized schema', () => {
    given()
      .when({ type: 'DefineDataModel', projectId: 'p1', name: 'Orders', schema })
      .thenRefuses('invalid_collection_name');
    given()
      .when({
        type: 'DefineDataModel',
        projectId: 'p1',
        name: 'orders',
        schema: { type: 'object', description: 'x'.repeat(MODEL_SCHEMA_MAX_BYTES) },
      })
      .thenRefuses('invalid_model_schema', /at most/);
  });
});
