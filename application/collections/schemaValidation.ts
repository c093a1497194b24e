import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import addFormatsModule from 'ajv-formats';
import type { JsonSchema } from '../../domain/dataModel.ts';

/**
 * JSON Schemas of data models, compiled with Ajv in strict mode (an unknown keyword or format is a mistake in
 * the schema, not something to ignore). Only local `$ref`s resolve: nothing is ever fetched. Compiled
 * validators are kept by the schema's JSON, so a worker's writes do not compile the schema again.
 */

const addFormats = addFormatsModule as unknown as typeof addFormatsModule.default;
const ajv = new Ajv({ strict: true, allErrors: true, validateFormats: true });
addFormats(ajv);

const compiled = new Map<string, ValidateFunction>();
const MAX_CACHED = 500;

/** Documents always carry their string `id`: a schema need not declare it, even with `additionalProperties`. */
function withId(schema: JsonSchema): JsonSchema {
  const properties = schema.properties;
  if (properties === null || typeof properties !== 'object' || Array.isArray(properties)) return schema;
  if ('id' in properties) return schema;
  return { ...schema, properties: { id: { type: 'string' }, ...properties } };
}

/** The problem with a schema as a model's schema, or `null` when it is fine. */
export function modelSchemaProblem(schema: JsonSchema): string | null {
  if (schema.type !== 'object') return 'a model describes documents: its schema has "type": "object"';
  try {
    validatorFor(schema);
    return null;
  } catch (error) {
    return error instanceof Error ? error.message : String(error);
  }
}

function validatorFor(schema: JsonSchema): ValidateFunction {
  const key = JSON.stringify(schema);
  let validate = compiled.get(key);
  if (!validate) {
    validate = ajv.compile(withId(schema));
    // Ajv keeps every schema it compiled; this cache is the only reference m3m keeps, so drop Ajv's too.
    ajv.removeSchema(withId(schema));
    if (compiled.size >= MAX_CACHED) compiled.delete(compiled.keys().next().value!);
    compiled.set(key, validate);
  }
  return validate;
}

const describe = (error: ErrorObject) => `${error.instancePath || '/'} ${error.message ?? 'is invalid'}`;

/** What is wrong with `doc` under `schema` (at most five findings), or `null` when it conforms. */
export function documentProblems(schema: JsonSchema, doc: unknown): string | null {
  const validate = validatorFor(schema);
  if (validate(doc)) return null;
  const errors = validate.errors ?? [];
  const shown = errors.slice(0, 5).map(describe);
  return errors.length > 5 ? `${shown.join('; ')}; …` : shown.join('; ');
}
