import type { SQLInputValue } from 'node:sqlite';
import type { Scalar } from '../../application/ports/readStore.ts';
import { InvalidCursorError } from '../../application/ports/readStore.ts';
import type { SortKey } from './cursor.ts';
import { assertCollectionName, type Condition, type ParsedUpdate, pathSegments } from './documentRules.ts';

/**
 * SQL text for the SQLite read store. Values are always bound parameters; only validated collection
 * names and field paths (see documentRules.ts) are spliced into the text. Field expressions must be
 * literal and identical everywhere so that expression indexes are used by the planner.
 */

export interface Sql {
  sql: string;
  params: SQLInputValue[];
}

/** Prefixed so that a read store sharing its file with the event store cannot collide with its tables. */
export const TABLE_PREFIX = 'rs_';

export function table(collection: string): string {
  assertCollectionName(collection);
  return `"${TABLE_PREFIX}${collection}"`;
}

export function jsonPath(field: string): string {
  return `$.${pathSegments(field)
    .map((s) => `"${s}"`)
    .join('.')}`;
}

/** The value of a field, and its JSON type (`text`, `integer`, `real`, `true`, `null`… or NULL when missing). */
export function fieldSql(field: string): { value: string; type: string } {
  if (field === 'id') return { value: 'id', type: 'typeof(id)' };
  const path = jsonPath(field);
  return { value: `json_extract(doc, '${path}')`, type: `json_type(doc, '${path}')` };
}

/** JSON booleans come out of json_extract as 1/0, so they are compared as such. */
export function bindScalar(value: Scalar): SQLInputValue {
  return typeof value === 'boolean' ? Number(value) : value;
}

/** node:sqlite binds every JS number as REAL; integers bound as BigInt stay integers in the JSON. */
export function bindNumber(value: number): SQLInputValue {
  return Number.isSafeInteger(value) ? BigInt(value) : value;
}

const RANGE_SQL = { gt: '>', gte: '>=', lt: '<', lte: '<=' } as const;

function conditionSql(c: Condition): Sql {
  const { value: v, type } = fieldSql(c.field);
  switch (c.op) {
    case 'eq':
      return c.value === null
        ? { sql: `${v} IS NULL`, params: [] }
        : { sql: `${v} = ?`, params: [bindScalar(c.value)] };
    case 'ne':
      return c.value === null
        ? { sql: `${v} IS NOT NULL`, params: [] }
        : { sql: `${v} IS NOT ?`, params: [bindScalar(c.value)] };
    case 'in': {
      const present = c.values.filter((x) => x !== null);
      const parts = present.length ? [`${v} IN (${present.map(() => '?').join(', ')})`] : [];
      if (present.length < c.values.length) parts.push(`${v} IS NULL`);
      return { sql: parts.length ? `(${parts.join(' OR ')})` : '0', params: present.map(bindScalar) };
    }
    default: {
      // SQLite orders every number before every string; Mongo only compares like with like. The type
      // guard makes `$gt: 5` skip strings and `$lt: 'm'` skip numbers on both engines.
      const guard = typeof c.value === 'number' ? `${type} IN ('integer', 'real')` : `${type} = 'text'`;
      return { sql: `(${v} ${RANGE_SQL[c.op]} ? AND ${guard})`, params: [c.value] };
    }
  }
}

export function whereSql(conditions: readonly Condition[]): Sql {
  if (conditions.length === 0) return { sql: '1', params: [] };
  const parts = conditions.map(conditionSql);
  return { sql: parts.map((p) => p.sql).join(' AND '), params: parts.flatMap((p) => p.params) };
}

/**
 * Rows strictly after `values` in the order of `keys`: for some key i, all earlier keys are equal and
 * key i is past the value. NULL (missing) sorts first, as in ORDER BY and in Mongo.
 */
export function keysetSql(keys: readonly SortKey[], values: readonly unknown[]): Sql {
  const branches: Sql[] = [];
  keys.forEach(([field, direction], i) => {
    const value = values[i];
    if (value !== null && typeof value !== 'string' && typeof value !== 'number')
      throw new InvalidCursorError();
    const v = fieldSql(field).value;
    let after: Sql;
    if (value === null) {
      if (direction === -1) return; // nothing sorts below NULL
      after = { sql: `${v} IS NOT NULL`, params: [] };
    } else {
      after =
        direction === 1
          ? { sql: `${v} > ?`, params: [value] }
          : { sql: `(${v} < ? OR ${v} IS NULL)`, params: [value] };
    }
    const equal = keys
      .slice(0, i)
      .map(([f], j) => ({ sql: `${fieldSql(f).value} IS ?`, params: [values[j] as SQLInputValue] }));
    const parts = [...equal, after] as Sql[];
    branches.push({
      sql: `(${parts.map((p) => p.sql).join(' AND ')})`,
      params: parts.flatMap((p) => p.params),
    });
  });
  if (branches.length === 0) return { sql: '0', params: [] };
  return { sql: `(${branches.map((b) => b.sql).join(' OR ')})`, params: branches.flatMap((b) => b.params) };
}

export function orderBySql(keys: readonly SortKey[]): string {
  return keys
    .map(([field, direction]) => `${fieldSql(field).value} ${direction === 1 ? 'ASC' : 'DESC'}`)
    .join(', ');
}

/**
 * The updated document as an expression over `base` (`doc` for an existing row, `'{}'` for an
 * upsert). `$inc` reads and writes in the same statement, so concurrent increments cannot be lost.
 */
export function updateSql(base: string, update: ParsedUpdate): Sql {
  let sql = base;
  const params: SQLInputValue[] = [];
  if (update.set.length) {
    sql = `json_set(${sql}, ${update.set.map(([p]) => `'${jsonPath(p)}', json(?)`).join(', ')})`;
    params.push(...update.set.map(([, value]) => JSON.stringify(value)));
  }
  if (update.inc.length) {
    const pairs = update.inc.map(
      ([p]) => `'${jsonPath(p)}', coalesce(json_extract(${base}, '${jsonPath(p)}'), 0) + ?`,
    );
    sql = `json_set(${sql}, ${pairs.join(', ')})`;
    params.push(...update.inc.map(([, by]) => bindNumber(by)));
  }
  if (update.unset.length) {
    sql = `json_remove(${sql}, ${update.unset.map((p) => `'${jsonPath(p)}'`).join(', ')})`;
  }
  return { sql, params };
}
