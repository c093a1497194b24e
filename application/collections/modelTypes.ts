import type { JsonSchema } from '../../domain/dataModel.ts';

/**
 * TypeScript types of the project's data models, for the editor (`runtime.d.ts`): what a JSON Schema says of a
 * document, as far as a type can say it. Keywords a type cannot express (formats, ranges, patterns) are left to
 * the validation on write; anything not understood is `Json`.
 */

const MAX_DEPTH = 12;
const IDENTIFIER = /^[A-Za-z_$][\w$]*$/;

const literal = (value: unknown) => JSON.stringify(value);
const key = (name: string) => (IDENTIFIER.test(name) ? name : JSON.stringify(name));
/** A description may not end the comment it is written into. */
const comment = (text: unknown, indent: string) =>
  typeof text === 'string' && text.trim()
    ? `${indent}/** ${text.replaceAll('*/', '*\\/').replace(/\s+/g, ' ').trim()} */\n`
    : '';

function isSchema(value: unknown): value is JsonSchema {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

export function typeOfSchema(schema: unknown, depth = 0, indent = ''): string {
  if (schema === true || schema === undefined) return 'Json';
  if (schema === false) return 'never';
  if (!isSchema(schema) || depth > MAX_DEPTH) return 'Json';
  if ('const' in schema) return literal(schema.const);
  if (Array.isArray(schema.enum)) return schema.enum.map(literal).join(' | ') || 'never';
  for (const combiner of ['anyOf', 'oneOf'] as const) {
    const options = schema[combiner];
    if (Array.isArray(options) && options.length > 0) {
      return options.map((o) => `(${typeOfSchema(o, depth + 1, indent)})`).join(' | ');
    }
  }
  const types = Array.isArray(schema.type) ? schema.type : schema.type === undefined ? [] : [schema.type];
  if (types.length === 0) return schema.properties ? objectType(schema, depth, indent) : 'Json';
  return types
    .map((type) => {
      switch (type) {
        case 'string':
          return 'string';
        case 'number':
        case 'integer':
          return 'number';
        case 'boolean':
          return 'boolean';
        case 'null':
          return 'null';
        case 'array':
          return `Array<${typeOfSchema(schema.items, depth + 1, indent)}>`;
        case 'object':
          return objectType(schema, depth, indent);
        default:
          return 'Json';
      }
    })
    .join(' | ');
}

function objectType(schema: JsonSchema, depth: number, indent: string): string {
  const properties = isSchema(schema.properties) ? schema.properties : {};
  const required = new Set(Array.isArray(schema.required) ? schema.required.map(String) : []);
  const inner = `${indent}  `;
  const lines = Object.entries(properties).map(([name, property]) => {
    const doc = isSchema(property) ? comment(property.description, inner) : '';
    const optional = required.has(name) ? '' : '?';
    return `${doc}${inner}${key(name)}${optional}: ${typeOfSchema(property, depth + 1, inner)};`;
  });
  if (schema.additionalProperties !== false) {
    const extra = isSchema(schema.additionalProperties)
      ? typeOfSchema(schema.additionalProperties, depth + 1, inner)
      : 'Json';
    // Declared properties must fit the index signature: widen it to them.
    lines.push(`${inner}[field: string]: ${extra === 'Json' ? 'Json | undefined' : 'any'};`);
  }
  if (lines.length === 0) return 'Record<string, never>';
  return `{\n${lines.join('\n')}\n${indent}}`;
}

/** The `Collections` interface of `runtime.d.ts`: one member per model, its documents' type. */
export function collectionsInterface(
  models: readonly { name: string; schema: JsonSchema }[],
  indent: string,
): string {
  const members = models.map(({ name, schema }) => {
    const document = typeOfSchema(
      {
        ...schema,
        properties: { id: { type: 'string' }, ...(isSchema(schema.properties) ? schema.properties : {}) },
        required: [...(Array.isArray(schema.required) ? schema.required : []), 'id'],
      },
      0,
      `${indent}  `,
    );
    return `${comment(schema.description, `${indent}  `)}${indent}  ${key(name)}: ${document};`;
  });
  return `${indent}interface Collections {\n${members.join('\n')}${members.length ? '\n' : ''}${indent}}`;
}
