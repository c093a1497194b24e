import type pg from 'pg';
import {
  type Collection,
  type Doc,
  DuplicateKeyError,
  type Filter,
  type FindOptions,
  type Page,
} from '../../application/ports/readStore.ts';
import { SQLSTATE, sqlState } from '../postgres/pool.ts';
import { decodeCursor, encodeCursor, sortKeys, sortValue } from './cursor.ts';
import { assertDoc, pageLimit, parseFilter, parseUpdate } from './documentRules.ts';
import {
  fieldSql,
  keysetSql,
  orderBySql,
  Params,
  prepared,
  table,
  updateSql,
  whereSql,
} from './postgresSql.ts';

type Queryable = Pick<pg.ClientBase, 'query'>;

/** Where a collection's statements run: the pool outside a transaction, the transaction's client inside one. */
export interface PostgresAccess {
  /** Runs a read; a collection whose table does not exist reads as empty (`missing` is returned). */
  read<T>(collection: string, missing: T, work: (db: Queryable) => Promise<T>): Promise<T>;
  /** Runs a write that needs no table (an update or delete): on a missing table it returns `missing`. */
  change<T>(collection: string, missing: T, work: (db: Queryable) => Promise<T>): Promise<T>;
  /** Runs a write after making sure the collection's table exists. */
  write<T>(collection: string, work: (db: Queryable) => Promise<T>): Promise<T>;
  /**
   * Inside a transaction: `get` locks the row it reads (`FOR UPDATE`) until the transaction ends, so a read
   * followed by a write in one transaction is a compare-and-set under READ COMMITTED, as it is on SQLite (one
   * writer) and MongoDB (write conflicts): two processes claiming the same lease or delivery never both win.
   */
  locking?: boolean;
}

/** Documents per statement of `upsertMany`. */
const UPSERT_ROWS = 1000;

function serialize<T extends Doc>(doc: T): [string, string] {
  assertDoc(doc);
  const { id, ...rest } = doc;
  return [id, JSON.stringify(rest)];
}

function toDoc<T extends Doc>(row: { id: string; doc: Record<string, unknown> }): T {
  return { id: row.id, ...row.doc } as T;
}

export function asDuplicateKey(error: unknown, collection: string): unknown {
  if (sqlState(error) === SQLSTATE.uniqueViolation) {
    return new DuplicateKeyError(collection, (error as Error).message);
  }
  return error;
}

export function postgresCollection<T extends Doc>(name: string, access: PostgresAccess): Collection<T> {
  const t = table(name);
  const write = <R>(work: (db: Queryable) => Promise<R>) =>
    access.write(name, async (db) => {
      try {
        return await work(db);
      } catch (error) {
        throw asDuplicateKey(error, name);
      }
    });

  const find = async (filter: Filter = {}, options: FindOptions = {}): Promise<Page<T>> => {
    const conditions = parseFilter(filter);
    const keys = sortKeys(options.sort);
    const limit = pageLimit(options.limit);
    const cursor = options.cursor ? decodeCursor(keys, options.cursor) : null;
    return access.read(name, { items: [], nextCursor: null }, async (db): Promise<Page<T>> => {
      const params = new Params();
      const where = [whereSql(conditions, params), ...(cursor ? [keysetSql(keys, cursor, params)] : [])];
      const sortValues = keys.map(([field], i) => `${fieldSql(field)} AS k${i}`).join(', ');
      const { rows } = await db.query(
        `SELECT id, doc, ${sortValues} FROM ${t} WHERE ${where.join(' AND ')} ORDER BY ${orderBySql(keys)} LIMIT ${params.add(limit + 1)}`,
        params.values,
      );
      const more = rows.length > limit;
      const items = more ? rows.slice(0, limit) : rows;
      const last = items.at(-1);
      const nextCursor =
        more && last
          ? encodeCursor(
              keys,
              keys.map(([field], i) => sortValue(last[`k${i}`], field)),
            )
          : null;
      return { items: items.map((row) => toDoc<T>(row)), nextCursor };
    });
  };

  return {
    get: async (id) => {
      const found = await access.read(name, null, async (db) => {
        const { rows } = await db.query(
          prepared(`SELECT id, doc FROM ${t} WHERE id = $1${access.locking ? ' FOR UPDATE' : ''}`, [id]),
        );
        return rows[0] ? toDoc<T>(rows[0]) : null;
      });
      return found;
    },

    findOne: async (filter) => (await find(filter, { limit: 1 })).items[0] ?? null,

    find,

    count: (filter = {}) => {
      const conditions = parseFilter(filter);
      return access.read(name, 0, async (db) => {
        const params = new Params();
        const { rows } = await db.query(
          `SELECT count(*) AS n FROM ${t} WHERE ${whereSql(conditions, params)}`,
          params.values,
        );
        return Number(rows[0].n);
      });
    },

    insert: async (doc) => {
      const values = serialize(doc);
      await write((db) => db.query(prepared(`INSERT INTO ${t} (id, doc) VALUES ($1, $2::jsonb)`, values)));
    },

    upsert: async (doc) => {
      const values = serialize(doc);
      await write((db) =>
        db.query(
          prepared(
            `INSERT INTO ${t} (id, doc) VALUES ($1, $2::jsonb) ON CONFLICT (id) DO UPDATE SET doc = excluded.doc`,
            values,
          ),
        ),
      );
    },

    // One statement per chunk: a projection step's upserts (an audit entry per event) were one each, most of a
    // replay's time on PostgreSQL. A statement cannot touch one row twice, so a later document of an id stands
    // for the earlier ones, as it would replace them.
    upsertMany: async (docs) => {
      const last = new Map<string, string>();
      for (const doc of docs) {
        const [id, json] = serialize(doc);
        last.delete(id);
        last.set(id, json);
      }
      const rows = [...last];
      await write(async (db) => {
        for (let at = 0; at < rows.length; at += UPSERT_ROWS) {
          const chunk = rows.slice(at, at + UPSERT_ROWS);
          await db.query(
            prepared(
              `INSERT INTO ${t} (id, doc) SELECT id, doc::jsonb FROM unnest($1::text[], $2::text[]) AS u(id, doc)
                 ON CONFLICT (id) DO UPDATE SET doc = excluded.doc`,
              [chunk.map(([id]) => id), chunk.map(([, json]) => json)],
            ),
          );
        }
      });
    },

    patch: async (id, update, options = {}) => {
      const parsed = parseUpdate(update);
      if (!options.upsert) {
        return access.change(name, false, async (db) => {
          const params = new Params();
          const sql = `UPDATE ${t} SET doc = ${updateSql('doc', parsed, params)} WHERE id = ${params.add(id)}`;
          try {
            return ((await db.query(prepared(sql, params.values))).rowCount ?? 0) > 0;
          } catch (error) {
            throw asDuplicateKey(error, name);
          }
        });
      }
      return write(async (db) => {
        // One statement: an upsert racing another upsert or a delete of the same id cannot lose either.
        const params = new Params();
        const onEmpty = updateSql(`'{}'::jsonb`, parsed, params);
        const onRow = updateSql('t.doc', parsed, params);
        await db.query(
          prepared(
            `INSERT INTO ${t} AS t (id, doc) VALUES (${params.add(id)}, ${onEmpty}) ON CONFLICT (id) DO UPDATE SET doc = ${onRow}`,
            params.values,
          ),
        );
        return true;
      });
    },

    delete: (id) =>
      access.change(
        name,
        false,
        async (db) => ((await db.query(prepared(`DELETE FROM ${t} WHERE id = $1`, [id]))).rowCount ?? 0) > 0,
      ),

    deleteMany: (filter) => {
      const conditions = parseFilter(filter);
      return access.change(name, 0, async (db) => {
        const params = new Params();
        return (
          (await db.query(`DELETE FROM ${t} WHERE ${whereSql(conditions, params)}`, params.values))
            .rowCount ?? 0
        );
      });
    },
  };
}

export type { Queryable };
