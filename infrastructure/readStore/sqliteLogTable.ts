import type { LogQuery, LogRow, LogTable, LogTableSpec } from '../../application/ports/readStore.ts';
import {
  assertLogSpec,
  LOG_ROWS_PER_STATEMENT,
  logConditions,
  logLimit,
  rowValues,
} from './logTableRules.ts';
import type { ConnectionAccess } from './sqliteCollection.ts';
import type { Sql } from './sqliteSql.ts';
import { table } from './sqliteSql.ts';

/**
 * A log table on SQLite (ADR 29): a `STRICT` table whose `position` is the rowid, every other column an
 * `INTEGER`. An index on `(a, b)` is an index on `(a, b, rowid)`, so each index already ends in the position
 * and a filtered page in position order is one index range.
 */

export function createLogTableSql(name: string, spec: LogTableSpec): string {
  assertLogSpec(name, spec);
  const columns = spec.columns.map((column) => `"${column}" INTEGER NOT NULL`).join(', ');
  return `CREATE TABLE IF NOT EXISTS ${table(name)} (position INTEGER PRIMARY KEY, ${columns}) STRICT`;
}

/** An index's column list as the store writes it (and reads it back from `sqlite_schema`). */
export function logIndexColumns(columns: readonly string[]): string {
  return columns.map((column) => `"${column}"`).join(', ');
}

/** The statement `find` runs, exported so that tests can ask SQLite how it plans it. */
export function logFindSql(name: string, spec: LogTableSpec, query: LogQuery): Sql {
  const conditions = logConditions(spec, query);
  const where = conditions.map((c) => `${c.column === 'position' ? 'position' : `"${c.column}"`} ${c.op} ?`);
  const columns = ['position', ...spec.columns.map((column) => `"${column}"`)].join(', ');
  return {
    sql: `SELECT ${columns} FROM ${table(name)}${where.length ? ` WHERE ${where.join(' AND ')}` : ''} ORDER BY position ${query.order === -1 ? 'DESC' : 'ASC'} LIMIT ?`,
    params: [...conditions.map((c) => c.value), logLimit(query.limit)],
  };
}

function insertSql(name: string, spec: LogTableSpec, count: number): string {
  const row = `(${Array(spec.columns.length + 1)
    .fill('?')
    .join(', ')})`;
  const columns = ['position', ...spec.columns.map((column) => `"${column}"`)].join(', ');
  return `INSERT OR REPLACE INTO ${table(name)} (${columns}) VALUES ${Array(count).fill(row).join(', ')}`;
}

export function sqliteLogTable(name: string, spec: LogTableSpec, access: ConnectionAccess): LogTable {
  const create = createLogTableSql(name, spec);
  return {
    append: async (rows) => {
      if (rows.length === 0) return;
      const values = rows.map((row) => rowValues(spec, row));
      await access.write((connection) => {
        connection.ensureLogTable(name, create);
        for (let i = 0; i < values.length; i += LOG_ROWS_PER_STATEMENT) {
          const part = values.slice(i, i + LOG_ROWS_PER_STATEMENT);
          connection.run({ sql: insertSql(name, spec, part.length), params: part.flat() });
        }
      });
    },
    find: async (query) => {
      const statement = logFindSql(name, spec, query);
      return access.read((connection) =>
        connection.readTable(name, () => {
          try {
            return connection.all(statement) as unknown as LogRow[];
          } catch (error) {
            // A table of the same name in an older layout (the audit log before ADR 29, until its
            // projection's rebuild at start replaces it) reads as empty.
            if (/no such column/i.test((error as Error | null)?.message ?? '')) return [];
            throw error;
          }
        }, []),
      );
    },
  };
}
