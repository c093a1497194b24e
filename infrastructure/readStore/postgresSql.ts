import { createHash } from 'node:crypto';
import type { SortKey } from './cursor.ts';
import { assertCollectionName, type Condition, type ParsedUpdate, pathSegments } from './documentRules.ts';

/**
 * SQL text for the PostgreSQL read store. Values are always bound parameters; only validated collection
 * names and field paths (see documentRules.ts) are spliced into the text. Field expressions are literal
 * and identical everywhere so that the expression indexes of `ensureIndexes` serve the filters and sorts.
 */

/** Collects bound values and hands out their `$n` placeholders. */
export class Params {
  readonly values: unknown[] = [];
  add(value: unknown): string {
    this.values.push(value);
    return `$${this.values.length}`;
  }
  /** A JSON value as `jsonb`. */
  json(value: unknown): string {
    return `${this.add(JSON.stringify(value))}::jsonb`;
  }
}

export const TABLE_PREFIX = 'rs_';
const MAX_IDENTIFIER = 63;

/**
 * The table of a collection. PostgreSQL cuts identifiers at 63 bytes, and collection names can be longer
 * (a worker model's is `wm_<project>_<name>`), so a long name is shortened with a hash of the whole; the
 * collection's own name is kept as the table's comment, which `listCollections` reads.
 */
export function tableName(collection: string): string {
  assertCollectionName(collection);
  const plain = `${TABLE_PREFIX}${collection}`;
  if (plain.length <= MAX_IDENTIFIER) return plain;
  const hash = createHash('sha256').update(collection).digest('hex').slice(0, 12);
  return `${plain.slice(0, MAX_IDENTIFIER - hash.length - 1)}_${hash}`;
}

export function table(collection: string): string {
  return `"${tableName(collection)}"`;
}

function pathLiteral(field: string): string {
  return `'{${pathSegments(field).join(',')}}'`;
}

/**
 * The value of a field as `jsonb`, with JSON `null` read as missing (SQL NULL), as SQLite's `json_extract`
 * does: a filter on `null` matches both, and unique indexes let any number of either through.
 */
export function fieldSql(field: string, doc = 'doc'): string {
  if (field === 'id') return 'id';
  return `nullif(${doc} #> ${pathLiteral(field)}, 'null'::jsonb)`;
}

const RANGE_SQL = { gt: '>', gte: '>=', lt: '<', lte: '<=' } as const;

/** `id` is a text column; every other field is jsonb. */
function scalarSql(field: string, value: unknown, params: Params): string | null {
  if (field !== 'id') return params.json(value);
  return typeof value === 'string' ? params.add(value) : null;
}

function conditionSql(c: Condition, params: Params): string {
  const v = fieldSql(c.field);
  switch (c.op) {
    case 'eq': {
      if (c.value === null) return `${v} IS NULL`;
      const bound = scalarSql(c.field, c.value, params);
      return bound ? `${v} = ${bound}` : 'false';
    }
    case 'ne': {
      if (c.value === null) return `${v} IS NOT NULL`;
      const bound = scalarSql(c.field, c.value, params);
      return bound ? `${v} IS DISTINCT FROM ${bound}` : 'true';
    }
    case 'in': {
      const present = c.values.filter((x) => x !== null);
      const parts: string[] = [];
      if (c.field === 'id') {
        const ids = present.filter((x) => typeof x === 'string');
        if (ids.length) parts.push(`id = ANY(${params.add(ids)}::text[])`);
      } else if (present.length) {
        parts.push(`${v} = ANY(${params.add(present.map((x) => JSON.stringify(x)))}::jsonb[])`);
      }
      if (present.length < c.values.length) parts.push(`${v} IS NULL`);
      return parts.length ? `(${parts.join(' OR ')})` : 'false';
    }
    default: {
      const op = RANGE_SQL[c.op];
      if (c.field === 'id') return typeof c.value === 'string' ? `id ${op} ${params.add(c.value)}` : 'false';
      // jsonb orders every string before every number; Mongo and SQLite only compare like with like, and so
      // does this: `$gt: 5` skips strings, `$lt: 'm'` skips numbers.
      const type = typeof c.value === 'number' ? 'number' : 'string';
      return `(jsonb_typeof(${v}) = '${type}' AND ${v} ${op} ${params.json(c.value)})`;
    }
  }
}

export function whereSql(conditions: readonly Condition[], params: Params): string {
  if (conditions.length === 0) return 'true';
  return conditions.map((c) => conditionSql(c, params)).join(' AND ');
}

/** Missing (NULL) sorts first ascending and last descending, as in SQLite and Mongo. */
export function orderBySql(keys: readonly SortKey[]): string {
  return keys
    .map(([field, direction]) => {
      if (field === 'id') return `id ${direction === 1 ? 'ASC' : 'DESC'}`;
      return `${fieldSql(field)} ${direction === 1 ? 'ASC NULLS FIRST' : 'DESC NULLS LAST'}`;
    })
    .join(', ');
}

/** Rows strictly after `values` in the order of `keys` (see the SQLite store's keysetSql). */
export function keysetSql(keys: readonly SortKey[], values: readonly unknown[], params: Params): string {
  const bind = (field: string, value: unknown) => {
    if (field === 'id') {
      if (typeof value !== 'string') throw new Error('Invalid cursor');
      return params.add(value);
    }
    return params.json(value);
  };
  const branches: string[] = [];
  keys.forEach(([field, direction], i) => {
    const value = values[i];
    const v = fieldSql(field);
    let after: string;
    if (value === null) {
      if (direction === -1) return; // nothing sorts below NULL
      after = `${v} IS NOT NULL`;
    } else {
      after =
        direction === 1 ? `${v} > ${bind(field, value)}` : `(${v} < ${bind(field, value)} OR ${v} IS NULL)`;
    }
    const equal = keys
      .slice(0, i)
      .map(
        ([f], j) => `${fieldSql(f)} IS NOT DISTINCT FROM ${values[j] === null ? 'NULL' : bind(f, values[j])}`,
      );
    branches.push(`(${[...equal, after].join(' AND ')})`);
  });
  return branches.length ? `(${branches.join(' OR ')})` : 'false';
}

/**
 * The updated document as an expression over `base` (the row's `doc`, or `'{}'` for an upsert's insert).
 * `$inc` reads and writes in the same statement, so concurrent increments cannot be lost.
 */
export function updateSql(base: string, update: ParsedUpdate, params: Params): string {
  let sql = base;
  for (const [path, value] of update.set) {
    sql = `m3m_jsonb_set_deep(${sql}, ${pathLiteral(path)}, ${params.json(value)})`;
  }
  for (const [path, by] of update.inc) {
    const current = `coalesce((${base} #> ${pathLiteral(path)})::numeric, 0)`;
    sql = `m3m_jsonb_set_deep(${sql}, ${pathLiteral(path)}, to_jsonb(${current} + ${params.add(by)}::numeric))`;
  }
  for (const path of update.unset) sql = `(${sql} #- ${pathLiteral(path)})`;
  return sql;
}

/** The index of `fields` on a collection's table: expressions exactly as the filters write them. */
export function indexColumnsSql(fields: readonly string[]): string {
  return fields.map((field) => `(${fieldSql(field)})`).join(', ');
}
