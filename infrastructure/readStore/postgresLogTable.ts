import type pg from 'pg';
import type { LogRow, LogTable, LogTableSpec } from '../../application/ports/readStore.ts';
import {
  assertLogSpec,
  LOG_ROWS_PER_STATEMENT,
  logConditions,
  logLimit,
  rowValues,
} from './logTableRules.ts';
import { table } from './postgresSql.ts';

type Queryable = Pick<pg.ClientBase, 'query'>;

/**
 * A log table on PostgreSQL (ADR 29): `position bigint PRIMARY KEY` and a `bigint` per column; each index on
 * its columns then `position`, so a filtered page in position order is one index range.
 */

export function createLogTableSql(name: string, spec: LogTableSpec): string {
  assertLogSpec(name, spec);
  const columns = spec.columns.map((column) => `"${column}" bigint NOT NULL`).join(', ');
  return `CREATE TABLE IF NOT EXISTS ${table(name)} (position bigint PRIMARY KEY, ${columns})`;
}

/** An index's column list: the columns, then the position. */
export function logIndexColumnsSql(columns: readonly string[]): string {
  return [...columns.map((column) => `"${column}"`), 'position'].join(', ');
}

/** Where the statements run: `write` makes sure the table exists first; `read` answers `[]` without one. */
export interface LogTableAccess {
  read(work: (db: Queryable) => Promise<LogRow[]>): Promise<LogRow[]>;
  write(work: (db: Queryable) => Promise<void>): Promise<void>;
}

export function postgresLogTable(name: string, spec: LogTableSpec, access: LogTableAccess): LogTable {
  assertLogSpec(name, spec);
  const columns = spec.columns.map((column) => `"${column}"`);
  // One statement whatever the number of rows: a bigint array per column, unnested.
  const insert = `INSERT INTO ${table(name)} (position, ${columns.join(', ')})
    SELECT * FROM unnest(${['position', ...spec.columns].map((_, i) => `$${i + 1}::bigint[]`).join(', ')})
    ON CONFLICT (position) DO UPDATE SET ${columns.map((c) => `${c} = excluded.${c}`).join(', ')}`;
  return {
    append: async (rows) => {
      if (rows.length === 0) return;
      await access.write(async (db) => {
        for (let i = 0; i < rows.length; i += LOG_ROWS_PER_STATEMENT * 4) {
          const part = rows.slice(i, i + LOG_ROWS_PER_STATEMENT * 4).map((row) => rowValues(spec, row));
          const arrays = ['position', ...spec.columns].map((_, k) => part.map((values) => values[k]));
          await db.query(insert, arrays);
        }
      });
    },
    find: async (query) => {
      const conditions = logConditions(spec, query);
      const where = conditions.map(
        (c, i) => `${c.column === 'position' ? 'position' : `"${c.column}"`} ${c.op} $${i + 1}`,
      );
      const sql = `SELECT position, ${columns.join(', ')} FROM ${table(name)}${
        where.length ? ` WHERE ${where.join(' AND ')}` : ''
      } ORDER BY position ${query.order === -1 ? 'DESC' : 'ASC'} LIMIT $${conditions.length + 1}`;
      const params = [...conditions.map((c) => c.value), logLimit(query.limit)];
      return access.read(async (db) => {
        const { rows } = await db.query<Record<string, string>>(sql, params);
        return rows.map((row) => {
          const out: Record<string, number> = {};
          for (const [key, value] of Object.entries(row)) out[key] = Number(value);
          return out as LogRow;
        });
      });
    },
  };
}
