import { createHash } from 'node:crypto';
import { InvalidCursorError } from '../../application/ports/readStore.ts';
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

/**
 * A sort field as a tuple that orders like SQLite and Mongo: missing and null first, then numbers, then
 * strings in byte order, then booleans, then anything else. Every part is non-null, so tuples compare whole.
 */
function sortTuple(value: string): string {
  const type = `jsonb_typeof(${value})`;
  return `(CASE WHEN ${value} IS NULL THEN 0 ELSE CASE ${type} WHEN 'number' THEN 1 WHEN 'string' THEN 2 WHEN 'boolean' THEN 3 ELSE 4 END END,
    CASE WHEN ${type} = 'number' THEN (${value})::numeric ELSE 0 END,
    (CASE WHEN ${type} = 'string' THEN ${value} #>> '{}' ELSE '' END) COLLATE "C",
    CASE WHEN ${type} = 'boolean' THEN (${value})::boolean ELSE false END)`;
}

const ID = 'id COLLATE "C"';

export function orderBySql(keys: readonly SortKey[]): string {
  return keys
    .map(([field, direction]) => {
      const dir = direction === 1 ? 'ASC' : 'DESC';
      if (field === 'id') return `${ID} ${dir}`;
      return sortTuple(fieldSql(field))
        .slice(1, -1)
        .split(/,\n\s*/)
        .map((part) => `${part} ${dir}`)
        .join(', ');
    })
    .join(', ');
}

/** Rows strictly after the cursor's `values` (scalars, as `sortValue` keeps them) in the order of `keys`. */
export function keysetSql(keys: readonly SortKey[], values: readonly unknown[], params: Params): string {
  const sides = (field: string, value: unknown): [string, string] => {
    if (field === 'id') {
      if (typeof value !== 'string') throw new InvalidCursorError();
      return [ID, `${params.add(value)} COLLATE "C"`];
    }
    if (value !== null && !['string', 'number', 'boolean'].includes(typeof value))
      throw new InvalidCursorError();
    return [sortTuple(fieldSql(field)), sortTuple(`nullif(${params.json(value)}, 'null'::jsonb)`)];
  };
  const branches = keys.map(([field, direction], i) => {
    const equal = keys.slice(0, i).map(([f], j) => {
      const [row, cursor] = sides(f, values[j]);
      return `${row} = ${cursor}`;
    });
    const [row, cursor] = sides(field, values[i]);
    return `(${[...equal, `${row} ${direction === 1 ? '>' : '<'} ${cursor}`].join(' AND ')})`;
  });
  return `(${branches.join(' OR ')})`;
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

/**
 * A statement the connection prepares once and then only binds (`pg` keeps prepared statements per connection,
 * by name): the name is the text's hash, so one text is one statement. For the statements a projection step
 * repeats per document; a filter's text varies too much to be worth keeping.
 */
export function prepared(text: string, values: unknown[]): { name: string; text: string; values: unknown[] } {
  return { name: `rs_${createHash('sha1').update(text).digest('hex').slice(0, 24)}`, text, values };
}
