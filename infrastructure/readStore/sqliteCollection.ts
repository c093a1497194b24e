import type { Collection, Doc, Filter, FindOptions, Page } from '../../application/ports/readStore.ts';
import { decodeCursor, encodeCursor, sortKeys, sortValue } from './cursor.ts';
import { assertDoc, pageLimit, parseFilter, parseUpdate } from './documentRules.ts';
import { asDuplicateKey, type Row, type SqliteConnection } from './sqliteConnection.ts';
import { fieldSql, keysetSql, orderBySql, type Sql, table, updateSql, whereSql } from './sqliteSql.ts';

/** Where a collection's statements run: the store decides which connection and under which lock. */
export interface ConnectionAccess {
  read<T>(work: (connection: SqliteConnection) => T): Promise<T>;
  write<T>(work: (connection: SqliteConnection) => T): Promise<T>;
}

const and = (parts: readonly Sql[]): Sql => ({
  sql: parts.map((p) => p.sql).join(' AND '),
  params: parts.flatMap((p) => p.params),
});

function serialize<T extends Doc>(doc: T): [string, string] {
  assertDoc(doc);
  const { id, ...rest } = doc;
  return [id, JSON.stringify(rest)];
}

type SortKeys = ReturnType<typeof sortKeys>;

/** Rows per statement of `upsertMany`: 200 bound values, well under SQLite's limit. */
const UPSERT_ROWS = 100;

/**
 * One statement for `count` rows. A later row with the same id replaces an earlier one, as `upsert` in turn
 * would: SQLite applies the rows of a multi-row INSERT one after another, each meeting the conflict clause.
 */
function upsertManySql(t: string, count: number): string {
  return `INSERT INTO ${t} (id, doc) VALUES ${Array(count).fill('(?, ?)').join(', ')} ON CONFLICT (id) DO UPDATE SET doc = excluded.doc`;
}
const empty = { items: [], nextCursor: null };

function toDoc<T extends Doc>(row: Row): T {
  return { id: row.id as string, ...JSON.parse(row.doc as string) } as T;
}

function findParts(filter: Filter, options: FindOptions) {
  const keys = sortKeys(options.sort);
  const after = options.cursor ? [keysetSql(keys, decodeCursor(keys, options.cursor))] : [];
  return { where: and([whereSql(parseFilter(filter)), ...after]), keys, limit: pageLimit(options.limit) };
}

/** One page's statement: one row more than `limit`, to tell whether a next page exists. */
function selectSql(t: string, where: Sql, keys: SortKeys, limit: number): Sql {
  const sortValues = keys
    .map(([field], i) => `${fieldSql(field).value} AS k${i}, ${fieldSql(field).type} AS t${i}`)
    .join(', ');
  return {
    sql: `SELECT id, doc, ${sortValues} FROM ${t} WHERE ${where.sql} ORDER BY ${orderBySql(keys)} LIMIT ?`,
    params: [...where.params, limit + 1],
  };
}

/**
 * The statement `find` runs on a collection, exported so that tests can ask SQLite how it plans it
 * (`EXPLAIN QUERY PLAN`) and see the indexes it uses.
 */
export function findSql(name: string, filter: Filter = {}, options: FindOptions = {}): Sql {
  const { where, keys, limit } = findParts(filter, options);
  return selectSql(table(name), where, keys, limit);
}

export function sqliteCollection<T extends Doc>(name: string, access: ConnectionAccess): Collection<T> {
  const t = table(name);
  const write = <R>(work: (c: SqliteConnection) => R) =>
    access.write((c) => {
      try {
        return work(c);
      } catch (error) {
        throw asDuplicateKey(error, name);
      }
    });

  const find = async (filter: Filter = {}, options: FindOptions = {}): Promise<Page<T>> => {
    const { where, keys, limit } = findParts(filter, options);
    return access.read((c) => c.readTable(name, () => findIn(c, where, keys, limit), empty));
  };

  const findIn = (c: SqliteConnection, where: Sql, keys: SortKeys, limit: number): Page<T> => {
    const rows = c.all(selectSql(t, where, keys, limit));
    const more = rows.length > limit;
    const items = more ? rows.slice(0, limit) : rows;
    const last = items.at(-1);
    const nextCursor =
      more && last
        ? encodeCursor(
            keys,
            // json_extract gives an object or array as its JSON text: its type says what it was.
            keys.map(([field], i) =>
              sortValue(last[`t${i}`] === 'object' || last[`t${i}`] === 'array' ? {} : last[`k${i}`], field),
            ),
          )
        : null;
    return { items: items.map((row) => toDoc<T>(row)), nextCursor };
  };

  /**
   * The first document by id that matches. Looked for without a sort first (on a unique field, the index finds
   * the one row; sorting it by id cost a temporary B-tree per lookup); only when two match is the order needed.
   */
  const findOne = async (filter: Filter): Promise<T | null> => {
    const where = whereSql(parseFilter(filter));
    return access.read((c) =>
      c.readTable(
        name,
        () => {
          const rows = c.all({
            sql: `SELECT id, doc FROM ${t} WHERE ${where.sql} LIMIT 2`,
            params: where.params,
          });
          if (rows.length < 2) return rows[0] ? toDoc<T>(rows[0]) : null;
          return findIn(c, where, sortKeys(undefined), 1).items[0] ?? null;
        },
        null,
      ),
    );
  };

  return {
    get: async (id) =>
      access.read((c) =>
        c.readTable(
          name,
          () => {
            const row = c.get({ sql: `SELECT id, doc FROM ${t} WHERE id = ?`, params: [id] });
            return row ? toDoc<T>(row) : null;
          },
          null,
        ),
      ),

    findOne,

    find,

    count: async (filter = {}) => {
      const where = whereSql(parseFilter(filter));
      const sql = `SELECT count(*) AS n FROM ${t} WHERE ${where.sql}`;
      return access.read((c) => c.readTable(name, () => Number(c.get({ sql, params: where.params })?.n), 0));
    },

    insert: async (doc) => {
      const params = serialize(doc);
      await write((c) => {
        c.ensureTable(name);
        c.run({ sql: `INSERT INTO ${t} (id, doc) VALUES (?, ?)`, params });
      });
    },

    upsert: async (doc) => {
      const params = serialize(doc);
      await write((c) => {
        c.ensureTable(name);
        c.run({
          sql: `INSERT INTO ${t} (id, doc) VALUES (?, ?) ON CONFLICT (id) DO UPDATE SET doc = excluded.doc`,
          params,
        });
      });
    },

    upsertMany: async (docs) => {
      const rows = docs.map(serialize);
      await write((c) => {
        c.ensureTable(name);
        for (let at = 0; at < rows.length; at += UPSERT_ROWS) {
          const chunk = rows.slice(at, at + UPSERT_ROWS);
          c.run({ sql: upsertManySql(t, chunk.length), params: chunk.flat() });
        }
      });
    },

    patch: async (id, update, options = {}) => {
      const parsed = parseUpdate(update);
      const onRow = updateSql('doc', parsed);
      const onEmpty = updateSql(`'{}'`, parsed);
      return write((c) => {
        const update = () =>
          c.run({ sql: `UPDATE ${t} SET doc = ${onRow.sql} WHERE id = ?`, params: [...onRow.params, id] });
        if (!options.upsert) return c.readTable(name, update, 0) > 0;
        c.ensureTable(name);
        // Both statements run under the writer lock with no await in between: nothing can slip in.
        const changed = update();
        if (changed > 0) return true;
        c.run({
          sql: `INSERT INTO ${t} (id, doc) VALUES (?, ${onEmpty.sql})`,
          params: [id, ...onEmpty.params],
        });
        return true;
      });
    },

    delete: async (id) =>
      write(
        (c) => c.readTable(name, () => c.run({ sql: `DELETE FROM ${t} WHERE id = ?`, params: [id] }), 0) > 0,
      ),

    deleteMany: async (filter) => {
      const where = whereSql(parseFilter(filter));
      return write((c) =>
        c.readTable(
          name,
          () => c.run({ sql: `DELETE FROM ${t} WHERE ${where.sql}`, params: where.params }),
          0,
        ),
      );
    },
  };
}
