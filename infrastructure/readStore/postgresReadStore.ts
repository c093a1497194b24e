import { AsyncLocalStorage } from 'node:async_hooks';
import { createHash, randomBytes } from 'node:crypto';
import type pg from 'pg';
import type {
  Doc,
  IndexSpec,
  LogTableSpec,
  ReadStore,
  ReadStoreSession,
} from '../../application/ports/readStore.ts';
import { type Migration, migrate } from '../postgres/migrations.ts';
import { openPool, SQLSTATE, sqlState } from '../postgres/pool.ts';
import { assertCollectionName, assertSwaps } from './documentRules.ts';
import {
  asDuplicateKey,
  type PostgresAccess,
  postgresCollection,
  type Queryable,
} from './postgresCollection.ts';
import {
  createLogTableSql,
  type LogTableAccess,
  logIndexColumnsSql,
  postgresLogTable,
} from './postgresLogTable.ts';
import { indexColumnsSql, prepared, TABLE_PREFIX, table, tableName } from './postgresSql.ts';

export interface PostgresReadStoreOptions {
  url: string;
  /** Connections of the pool. Default 10. */
  maxConnections?: number;
  onError?: (error: Error) => void;
  /** Where a changed index is reported. */
  logger?: { warn(obj: object, msg: string): void };
}

export const READ_STORE_MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'deep jsonb set',
    // jsonb_set creates only the last key of a path; `$set: { 'stats.last': … }` on a document without
    // `stats` must create it, as Mongo and SQLite do.
    sql: `
      CREATE FUNCTION m3m_jsonb_set_deep(target jsonb, path text[], value jsonb) RETURNS jsonb
      LANGUAGE plpgsql IMMUTABLE AS $$
      DECLARE
        base jsonb := CASE WHEN jsonb_typeof(target) = 'object' THEN target ELSE '{}'::jsonb END;
      BEGIN
        IF cardinality(path) = 1 THEN
          RETURN jsonb_set(base, path, value, true);
        END IF;
        RETURN jsonb_set(base, path[1:1], m3m_jsonb_set_deep(base -> path[1], path[2:], value), true);
      END $$;
    `,
  },
];

/** Deadlocks and serialization failures roll a transaction back whole; running it again is safe. */
const RETRIED = new Set<string>([SQLSTATE.deadlockDetected, SQLSTATE.serializationFailure]);
const MAX_ATTEMPTS = 5;

/**
 * The read store on PostgreSQL: one table per collection, `(id text PRIMARY KEY, doc jsonb)`, with the
 * expression indexes the projections declare. A transaction holds one pooled connection; everything else
 * runs as single statements on the pool. Tables are created on first write.
 */
/** A column the statement names does not exist (a table of an older layout). */
const UNDEFINED_COLUMN = '42703';

export async function openPostgresReadStore(options: PostgresReadStoreOptions): Promise<ReadStore> {
  const pool = openPool(
    { url: options.url, max: options.maxConnections, applicationName: 'm3m read store' },
    options.onError ?? (() => {}),
  );
  try {
    await migrate(pool, 'read_store', READ_STORE_MIGRATIONS);
  } catch (error) {
    await pool.end().catch(() => {});
    throw error;
  }

  /** Tables this process created or saw; forgotten on any sign that one may have gone. */
  const known = new Set<string>();
  const insideTransaction = new AsyncLocalStorage<true>();
  let closed = false;

  const assertOpen = () => {
    if (closed) throw new Error('The read store is closed');
  };
  const assertOutsideTransaction = () => {
    // The transaction's own rows are locked until it commits: a write through the store would wait for it.
    if (insideTransaction.getStore()) {
      throw new Error('Inside a transaction, write through the session it was given');
    }
  };

  const logger = options.logger ?? { warn: () => {} };

  /** Inside a transaction: creators of one table take turns (the catalogue refuses concurrent comments). */
  const createTable = async (
    db: Queryable,
    collection: string,
    sql = `CREATE TABLE IF NOT EXISTS ${table(collection)} (id text PRIMARY KEY, doc jsonb NOT NULL)`,
  ) => {
    await db.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`m3m table ${tableName(collection)}`]);
    await db.query(sql);
    await db.query(`COMMENT ON TABLE ${table(collection)} IS '${collection}'`);
  };

  /**
   * Creates the table unless known. Concurrent creators race on the catalogue: the loser finds it made. A
   * table made inside a transaction is known only to it until it commits (`created`).
   */
  /** `sql`: the table's `CREATE TABLE IF NOT EXISTS` when it is no collection of documents (a log table). */
  const ensureTable = async (db: Queryable, collection: string, created?: Set<string>, sql?: string) => {
    if (known.has(collection) || created?.has(collection)) return;
    if (!created) {
      const client = await pool.connect();
      try {
        await client.query('BEGIN');
        await createTable(client, collection, sql);
        await client.query('COMMIT');
      } catch (error) {
        await client.query('ROLLBACK').catch(() => {});
        const state = sqlState(error);
        if (state !== SQLSTATE.uniqueViolation && state !== SQLSTATE.duplicateTable) throw error;
      } finally {
        client.release();
      }
    } else {
      await db.query('SAVEPOINT m3m_create_table');
      try {
        await createTable(db, collection, sql);
        await db.query('RELEASE SAVEPOINT m3m_create_table');
      } catch (error) {
        await db.query('ROLLBACK TO SAVEPOINT m3m_create_table');
        const state = sqlState(error);
        if (state !== SQLSTATE.uniqueViolation && state !== SQLSTATE.duplicateTable) throw error;
      }
    }
    (created ?? known).add(collection);
  };

  const tableExists = async (db: Queryable, collection: string) => {
    if (known.has(collection)) return true;
    const { rows } = await db.query(
      prepared('SELECT to_regclass($1) IS NOT NULL AS found', [table(collection)]),
    );
    // Seen once, known until a sign that it went (an undefined table, DDL here): no look per transaction.
    if (rows[0].found === true) known.add(collection);
    return rows[0].found === true;
  };

  /** Outside a transaction: a missing table answers `missing`; a table dropped meanwhile is forgotten. */
  const onPool: PostgresAccess = {
    read: async (collection, missing, work) => {
      assertOpen();
      try {
        return await work(pool);
      } catch (error) {
        if (sqlState(error) !== SQLSTATE.undefinedTable) throw error;
        known.delete(collection);
        return missing;
      }
    },
    change: async (collection, missing, work) => {
      assertOutsideTransaction();
      return onPool.read(collection, missing, work);
    },
    write: async (collection, work) => {
      assertOutsideTransaction();
      assertOpen();
      for (let attempt = 1; ; attempt++) {
        await ensureTable(pool, collection);
        try {
          return await work(pool);
        } catch (error) {
          // Another process swapped or dropped the table since we saw it: create it again, once.
          if (sqlState(error) !== SQLSTATE.undefinedTable || attempt > 1) throw error;
          known.delete(collection);
        }
      }
    },
  };

  /**
   * A log table's statements outside a transaction. A table left by an older layout of the same name (the
   * audit log before ADR 29, until its projection's rebuild replaces it) reads as empty too.
   */
  const logOnPool = (name: string, spec: LogTableSpec): LogTableAccess => ({
    read: async (work) => {
      assertOpen();
      try {
        return await work(pool);
      } catch (error) {
        const state = sqlState(error);
        if (state !== SQLSTATE.undefinedTable && state !== UNDEFINED_COLUMN) throw error;
        known.delete(name);
        return [];
      }
    },
    write: async (work) => {
      assertOutsideTransaction();
      assertOpen();
      await ensureTable(pool, name, undefined, createLogTableSql(name, spec));
      await work(pool);
    },
  });

  const inTransaction = (
    client: pg.PoolClient,
    isActive: () => boolean,
    created: Set<string>,
  ): PostgresAccess => {
    const active = () => {
      if (!isActive()) throw new Error('This transaction is over');
    };
    // An error inside a transaction aborts it, so a missing table is checked for instead of tried.
    const guarded: PostgresAccess['read'] = async (collection, missing, work) => {
      active();
      const exists = created.has(collection) || (await tableExists(client, collection));
      return exists ? work(client) : missing;
    };
    return {
      locking: true,
      read: guarded,
      change: guarded,
      write: async (collection, work) => {
        active();
        await ensureTable(client, collection, created);
        return work(client);
      },
    };
  };

  const runTransaction = async <R>(work: (session: ReadStoreSession) => Promise<R>): Promise<R> => {
    const client = await pool.connect();
    let active = true;
    let broken: Error | undefined;
    try {
      await client.query('BEGIN');
      const created = new Set<string>();
      const access = inTransaction(client, () => active, created);
      const session: ReadStoreSession = {
        collection: <T extends Doc = Doc>(name: string) => postgresCollection<T>(name, access),
        logTable: (name, spec) =>
          postgresLogTable(name, spec, {
            read: async (work) => {
              if (!active) throw new Error('This transaction is over');
              const exists = created.has(name) || (await tableExists(client, name));
              return exists ? work(client) : [];
            },
            write: async (work) => {
              if (!active) throw new Error('This transaction is over');
              await ensureTable(client, name, created, createLogTableSql(name, spec));
              await work(client);
            },
          }),
      };
      try {
        const result = await insideTransaction.run(true, () => work(session));
        await client.query('COMMIT');
        for (const name of created) known.add(name);
        return result;
      } catch (error) {
        await client.query('ROLLBACK').catch((e: Error) => {
          broken = e;
        });
        throw error;
      }
    } finally {
      active = false;
      client.release(broken);
    }
  };

  const createIndex = async (db: Queryable, collection: string, index: IndexSpec) => {
    if (index.fields.length === 0) throw new Error('An index needs at least one field');
    if (index.fields.length === 1 && index.fields[0] === 'id') return; // the primary key already is one
    const columns = indexColumnsSql(index.fields);
    const unique = index.unique === true;
    // Index names are per schema and survive a table rename: the fields' hash finds this table's index on
    // them, the `u`/`n` says whether it is unique, a random suffix keeps names unique.
    const hash = createHash('sha256').update(JSON.stringify(index.fields)).digest('hex').slice(0, 16);
    const { rows } = await db.query<{ indexname: string }>(
      `SELECT indexname FROM pg_indexes WHERE schemaname = current_schema() AND tablename = $1 AND indexname LIKE $2`,
      [tableName(collection), `rsix_${hash}_%`],
    );
    const wanted = `rsix_${hash}_${unique ? 'u' : 'n'}_`;
    if (rows.some((row) => row.indexname.startsWith(wanted))) return;
    for (const old of rows) {
      logger.warn(
        { collection, index: old.indexname, fields: index.fields, from: { unique: !unique }, to: { unique } },
        'read store index changed: dropping it and creating it again',
      );
      await db.query(`DROP INDEX "${old.indexname}"`);
    }
    const name = `${wanted}${randomBytes(4).toString('hex')}`;
    await db.query(`CREATE ${unique ? 'UNIQUE ' : ''}INDEX "${name}" ON ${table(collection)} (${columns})`);
  };

  /**
   * DDL of one call in one transaction, serialized across processes so two starts do not race. Only the
   * tables it touches are forgotten: forgetting all made every transaction after a rebuild's index or swap
   * create its tables again under a lock, one transaction after the other.
   */
  const ddl = async (touched: readonly string[], work: (client: pg.PoolClient) => Promise<void>) => {
    assertOutsideTransaction();
    assertOpen();
    const client = await pool.connect();
    try {
      await client.query('BEGIN');
      await client.query("SELECT pg_advisory_xact_lock(hashtext('m3m read store ddl'))");
      await work(client);
      await client.query('COMMIT');
    } catch (error) {
      await client.query('ROLLBACK').catch(() => {});
      throw error;
    } finally {
      for (const collection of touched) {
        known.delete(collection);
      }
      client.release();
    }
  };

  return {
    collection: <T extends Doc = Doc>(name: string) => postgresCollection<T>(name, onPool),
    logTable: (name, spec) => postgresLogTable(name, spec, logOnPool(name, spec)),

    transaction: async (work) => {
      assertOutsideTransaction();
      assertOpen();
      for (let attempt = 1; ; attempt++) {
        try {
          return await runTransaction(work);
        } catch (error) {
          const state = sqlState(error) ?? '';
          // A table this process knew was dropped or swapped by another one: look again and retry.
          if (state === SQLSTATE.undefinedTable) known.clear();
          if (!(RETRIED.has(state) || state === SQLSTATE.undefinedTable) || attempt >= MAX_ATTEMPTS)
            throw error;
        }
      }
    },

    ensureIndexes: async (collection, indexes) => {
      table(collection);
      await ddl([collection], async (client) => {
        await createTable(client, collection);
        try {
          for (const index of indexes) await createIndex(client, collection, index);
        } catch (error) {
          throw asDuplicateKey(error, collection);
        }
      });
    },

    ensureLogTable: async (name, spec, options) => {
      const create = createLogTableSql(name, spec);
      await ddl([name], async (client) => {
        await createTable(client, name, create);
        if (options?.withIndexes === false) return;
        // Each index is one sort of the whole table: give it memory for the while (this transaction only).
        await client.query("SET LOCAL maintenance_work_mem = '256MB'");
        for (const columns of spec.indexes) {
          const hash = createHash('sha256')
            .update(`log ${columns.join(',')}`)
            .digest('hex')
            .slice(0, 16);
          const { rows } = await client.query(
            'SELECT 1 FROM pg_indexes WHERE schemaname = current_schema() AND tablename = $1 AND indexname LIKE $2',
            [tableName(name), `rslx_${hash}_%`],
          );
          if (rows.length > 0) continue;
          const index = `rslx_${hash}_${randomBytes(4).toString('hex')}`;
          await client.query(`CREATE INDEX "${index}" ON ${table(name)} (${logIndexColumnsSql(columns)})`);
        }
      });
    },

    listCollections: async () => {
      assertOpen();
      const { rows } = await pool.query<{ name: string }>(
        `SELECT obj_description(c.oid, 'pg_class') AS name
           FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
          WHERE c.relkind = 'r' AND n.nspname = current_schema() AND starts_with(c.relname, $1)`,
        [TABLE_PREFIX],
      );
      return rows
        .map((row) => row.name)
        .filter((name): name is string => typeof name === 'string')
        .sort();
    },

    dropCollection: async (name) => {
      assertCollectionName(name);
      await ddl([name], async (client) => {
        await client.query(`DROP TABLE IF EXISTS ${table(name)}`);
      });
    },

    swapCollections: async (renames) => {
      assertSwaps(renames);
      // PostgreSQL's DDL is transactional: all the swaps happen, or none.
      await ddl(
        renames.flatMap(({ from, to }) => [from, to]),
        async (client) => {
          for (const { from, to } of renames) {
            const { rows } = await client.query('SELECT to_regclass($1) IS NOT NULL AS found', [table(from)]);
            // A target is never dropped without its replacement: repeating a swap loses nothing.
            if (!rows[0].found) continue;
            await client.query(`DROP TABLE IF EXISTS ${table(to)}`);
            await client.query(`ALTER TABLE ${table(from)} RENAME TO "${tableName(to)}"`);
            await client.query(`COMMENT ON TABLE ${table(to)} IS '${to}'`);
          }
        },
      );
    },

    close: async () => {
      if (insideTransaction.getStore()) throw new Error('Cannot close the read store inside a transaction');
      if (closed) return;
      closed = true;
      await pool.end();
    },
  };
}
