import type { ClientSession, Db, Filter as MongoFilter } from 'mongodb';
import type { LogRow, LogTable, LogTableSpec } from '../../application/ports/readStore.ts';
import {
  assertLogSpec,
  LOG_ROWS_PER_STATEMENT,
  logConditions,
  logLimit,
  rowValues,
} from './logTableRules.ts';

/**
 * A log table on MongoDB (ADR 29): a collection of `{ _id: position, <column>: number… }`, each index on its
 * columns then `_id`, so a filtered page in position order is one index range as on SQL engines.
 */

interface LogDoc {
  _id: number;
  [column: string]: number;
}

const OPERATOR = { '=': '$eq', '>': '$gt', '>=': '$gte', '<': '$lt', '<=': '$lte' } as const;

export function mongoLogTable(
  db: Db,
  name: string,
  spec: LogTableSpec,
  session: ClientSession | undefined,
): LogTable {
  assertLogSpec(name, spec);
  const collection = db.collection<LogDoc>(name);
  return {
    append: async (rows) => {
      for (let i = 0; i < rows.length; i += LOG_ROWS_PER_STATEMENT) {
        const operations = rows.slice(i, i + LOG_ROWS_PER_STATEMENT).map((row: LogRow) => {
          const [position, ...values] = rowValues(spec, row);
          const doc: LogDoc = { _id: position! };
          spec.columns.forEach((column, k) => {
            doc[column] = values[k]!;
          });
          return { replaceOne: { filter: { _id: position! }, replacement: doc, upsert: true } };
        });
        await collection.bulkWrite(operations, { ordered: true, ...(session ? { session } : {}) });
      }
    },
    find: async (query) => {
      const filter: MongoFilter<LogDoc> = {};
      for (const condition of logConditions(spec, query)) {
        const field = condition.column === 'position' ? '_id' : condition.column;
        const existing = (filter[field] ?? {}) as Record<string, number>;
        filter[field] = { ...existing, [OPERATOR[condition.op]]: condition.value };
      }
      const docs = await collection
        .find(filter, session ? { session } : {})
        .sort({ _id: query.order })
        .limit(logLimit(query.limit))
        .toArray();
      return docs.map(({ _id, ...columns }) => ({ ...columns, position: _id }) as LogRow);
    },
  };
}

/** Creates the collection when missing and, unless told not to, its indexes (named by their columns). */
export async function ensureMongoLogTable(
  db: Db,
  name: string,
  spec: LogTableSpec,
  withIndexes: boolean,
): Promise<void> {
  assertLogSpec(name, spec);
  try {
    await db.createCollection(name);
  } catch (error) {
    if ((error as { codeName?: string }).codeName !== 'NamespaceExists') throw error;
  }
  if (!withIndexes || spec.indexes.length === 0) return;
  await db.collection(name).createIndexes(
    spec.indexes.map((columns) => ({
      key: Object.fromEntries([...columns.map((column) => [column, 1]), ['_id', 1]]),
      name: `log_${columns.join('_')}`,
    })),
  );
}
