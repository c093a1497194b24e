import type { LogQuery, LogRow, LogTableSpec, PositionRange } from '../../application/ports/readStore.ts';
import { assertCollectionName, MAX_PAGE } from './documentRules.ts';

/**
 * What every engine checks of a log table (ADR 29) before it builds a statement: names that are safe to
 * splice into SQL, whole numbers only, bounded pages. Column names and table names are validated here; values
 * are always bound.
 */

const COLUMN = /^[a-z][a-zA-Z0-9]{0,62}$/;

export function assertLogSpec(name: string, spec: LogTableSpec): void {
  assertCollectionName(name);
  if (spec.columns.length === 0 || spec.columns.length > 30)
    throw new Error('A log table has 1 to 30 columns');
  for (const column of spec.columns) {
    if (!COLUMN.test(column) || column === 'position') throw new Error(`Invalid log table column: ${column}`);
  }
  for (const index of spec.indexes) {
    if (index.length === 0) throw new Error('A log table index needs at least one column');
    for (const column of index) {
      if (!spec.columns.includes(column)) throw new Error(`Index on an unknown log table column: ${column}`);
    }
  }
}

const whole = (value: unknown, what: string): number => {
  if (typeof value !== 'number' || !Number.isSafeInteger(value)) {
    throw new Error(`Log table ${what} must be a safe integer, got ${String(value)}`);
  }
  return value;
};

/** The row's values in the spec's order, position first. */
export function rowValues(spec: LogTableSpec, row: LogRow): number[] {
  return [whole(row.position, 'position'), ...spec.columns.map((column) => whole(row[column], column))];
}

export type LogCondition =
  | { column: string; op: '='; value: number }
  | { column: string; op: '>' | '>=' | '<' | '<='; value: number };

const RANGE = { $gt: '>', $gte: '>=', $lt: '<', $lte: '<=' } as const;

/** The query as conditions on columns (`position` included), checked against the spec. */
export function logConditions(spec: LogTableSpec, query: LogQuery): LogCondition[] {
  const conditions: LogCondition[] = [];
  for (const [column, condition] of Object.entries(query.where ?? {})) {
    if (!spec.columns.includes(column)) throw new Error(`Unknown log table column: ${column}`);
    if (typeof condition === 'number') {
      conditions.push({ column, op: '=', value: whole(condition, column) });
      continue;
    }
    for (const [key, op] of Object.entries(RANGE)) {
      const value = (condition as Record<string, unknown>)[key];
      if (value !== undefined) conditions.push({ column, op, value: whole(value, column) });
    }
  }
  const range: PositionRange = query.position ?? {};
  for (const [key, op] of Object.entries(RANGE)) {
    const value = range[key as keyof PositionRange];
    if (value !== undefined) conditions.push({ column: 'position', op, value: whole(value, 'position') });
  }
  return conditions;
}

export function logLimit(limit: number): number {
  if (!Number.isSafeInteger(limit) || limit < 1 || limit > MAX_PAGE) {
    throw new Error(`A log table page holds 1 to ${MAX_PAGE} rows`);
  }
  return limit;
}

/** Rows per insert statement: (columns + 1) bound values each, well under every engine's limit. */
export const LOG_ROWS_PER_STATEMENT = 250;
