import { AsyncLocalStorage } from 'node:async_hooks';
import { createHash, randomBytes } from 'node:crypto';
import type {
  Doc,
  IndexSpec,
  LogTableSpec,
  ReadStore,
  ReadStoreSession,
} from '../../application/ports/readStore.ts';
import { makePrivateDatabaseFile } from '../files/privateFiles.ts';
import { AsyncMutex } from './asyncMutex.ts';
import { assertCollectionName, assertSwaps } from './documentRules.ts';
import { type ConnectionAccess, sqliteCollection } from './sqliteCollection.ts';
import { asDuplicateKey, SqliteConnection } from './sqliteConnection.ts';
import { createLogTableSql, logIndexColumns, sqliteLogTable } from './sqliteLogTable.ts';
import { fieldSql, TABLE_PREFIX, table } from './sqliteSql.ts';

/**
 * The embedded read store: one table per collection holding JSON documents.
 *
 * node:sqlite is synchronous but a transaction's callback is async, so while it awaits, other code
 * could run statements on the same connection and they would silently join (or be rolled back with)
 * the open transaction. Hence: every write and every transaction goes through one writer connection
 * behind an async mutex, statements made through a transaction's session run on that connection
 * without re-taking the lock, and reads made outside a transaction use a second connection, which in
 * WAL mode only ever sees committed data.
 *
 * The path must be a file: two connections to `:memory:` would be two different databases.
 */
export interface SqliteReadStoreOptions {
  path: string;
  /** Told when an index is replaced because its uniqueness changed. */
  logger?: { warn(obj: object, msg: string): void };
  /**
   * Taken around every write, beside the connection's own lock: another thread of this process writing the same
   * file (the projection thread, ADR 30) is waited for without blocking the event loop in SQLite's busy handler.
   */
  writeLock?: { acquire(): Promise<void>; release(): void };
}

export function openSqliteReadStore(options: SqliteReadStoreOptions): ReadStore {
  makePrivateDatabaseFile(options.path);
  const writer = new SqliteConnection(options.path);
  writer.db.exec('PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; PRAGMA cache_size = -65536');
  const reader = new SqliteConnection(options.path);
  reader.db.exec('PRAGMA query_only = ON');

  const logger = options.logger ?? { warn: () => {} };
  const lock = new AsyncMutex();
  const insideTransaction = new AsyncLocalStorage<true>();
  let closed = false;

  const assertOpen = () => {
    if (closed) throw new Error('The read store is closed');
  };
  /** Takes the writer lock; refuses to from inside a transaction, where waiting for it would deadlock. */
  const exclusive = async <T>(work: () => T | Promise<T>): Promise<T> => {
    if (insideTransaction.getStore()) {
      throw new Error('Inside a transaction, write through the session it was given (the store is locked)');
    }
    const { writeLock } = options;
    if (!writeLock) {
      return lock.run(() => {
        assertOpen();
        return work();
      });
    }
    return lock.run(async () => {
      assertOpen();
      await writeLock.acquire();
      try {
        assertOpen();
        return await work();
      } finally {
        writeLock.release();
      }
    });
  };

  const committed: ConnectionAccess = {
    read: async (work) => {
      assertOpen();
      return work(reader);
    },
    write: (work) => exclusive(() => work(writer)),
  };

  const tableNames = (): string[] =>
    reader
      .all({
        sql: "SELECT name FROM sqlite_schema WHERE type = 'table' AND name GLOB ? ORDER BY name",
        params: [`${TABLE_PREFIX}*`],
      })
      .map((row) => (row.name as string).slice(TABLE_PREFIX.length));

  /** The indexes of a collection's table, with what they index, read back from their SQL. */
  const indexesOf = (collection: string): { name: string; unique: boolean; columns: string }[] =>
    writer
      .all({
        sql: "SELECT name, sql FROM sqlite_schema WHERE type = 'index' AND tbl_name = ? COLLATE NOCASE AND name GLOB 'rsix_*'",
        params: [TABLE_PREFIX + collection],
      })
      .map((row) => {
        const sql = row.sql as string;
        const on = sql.indexOf('(', sql.indexOf(' ON '));
        return {
          name: row.name as string,
          unique: /^CREATE UNIQUE /i.test(sql),
          columns: sql.slice(on + 1, sql.lastIndexOf(')')),
        };
      });

  const createIndex = (collection: string, index: IndexSpec) => {
    if (index.fields.length === 0) throw new Error('An index needs at least one field');
    if (index.fields.length === 1 && index.fields[0] === 'id') return; // the primary key already is one
    const columns = index.fields.map((field) => fieldSql(field).value).join(', ');
    const unique = index.unique === true;
    const sameColumns = indexesOf(collection).filter((ix) => ix.columns === columns);
    if (sameColumns.some((ix) => ix.unique === unique)) return;
    // The same fields with the other uniqueness: left in place, the old index would keep (or never start)
    // refusing duplicates.
    for (const old of sameColumns) {
      logger.warn(
        { collection, index: old.name, fields: index.fields, from: { unique: old.unique }, to: { unique } },
        'read store index changed: dropping it and creating it again',
      );
      writer.db.exec(`DROP INDEX "${old.name}"`);
    }
    // Index names are global and survive a table rename, so they cannot be derived from the table's
    // name: a hash of the spec says what it is, a random suffix keeps names unique.
    const hash = createHash('sha256')
      .update(JSON.stringify([index.fields, unique]))
      .digest('hex')
      .slice(0, 16);
    const name = `rsix_${hash}_${randomBytes(4).toString('hex')}`;
    writer.db.exec(`CREATE ${unique ? 'UNIQUE ' : ''}INDEX "${name}" ON ${table(collection)} (${columns})`);
  };

  /**
   * A log table's missing indexes (ADR 29), built with a 256 MiB page cache and sorts in memory: each is one
   * sort of the whole table, several times faster than with the writer's usual 64 MiB and temporary files.
   */
  const createLogIndexes = (name: string, spec: LogTableSpec) => {
    const existing = new Set(indexesOf(name).map((ix) => ix.columns));
    const missing = spec.indexes.map(logIndexColumns).filter((columns) => !existing.has(columns));
    if (missing.length === 0) return;
    // Outside a transaction: SQLite refuses to change where temporary data goes inside one.
    writer.db.exec('PRAGMA cache_size = -262144; PRAGMA temp_store = MEMORY');
    try {
      writer.atomically(() => {
        for (const columns of missing) {
          const hash = createHash('sha256').update(`log ${columns}`).digest('hex').slice(0, 16);
          const index = `rsix_${hash}_${randomBytes(4).toString('hex')}`;
          writer.db.exec(`CREATE INDEX "${index}" ON ${table(name)} (${columns})`);
        }
      });
    } finally {
      writer.db.exec('PRAGMA cache_size = -65536; PRAGMA temp_store = DEFAULT');
    }
  };

  return {
    collection: <T extends Doc = Doc>(name: string) => sqliteCollection<T>(name, committed),
    logTable: (name, spec) => sqliteLogTable(name, spec, committed),

    transaction: (work) =>
      exclusive(async () => {
        let active = true;
        const own: ConnectionAccess = {
          read: async (step) => {
            if (!active) throw new Error('This transaction is over');
            return step(writer);
          },
          write: async (step) => {
            if (!active) throw new Error('This transaction is over');
            return step(writer);
          },
        };
        const session: ReadStoreSession = {
          collection: <T extends Doc = Doc>(name: string) => sqliteCollection<T>(name, own),
          logTable: (name, spec) => sqliteLogTable(name, spec, own),
        };
        writer.db.exec('BEGIN IMMEDIATE');
        try {
          const result = await insideTransaction.run(true, () => work(session));
          writer.db.exec('COMMIT');
          return result;
        } catch (error) {
          writer.rollback();
          throw error;
        } finally {
          active = false;
        }
      }),

    ensureIndexes: async (collection, indexes) => {
      table(collection);
      await exclusive(() =>
        writer.atomically(() => {
          writer.ensureTable(collection);
          try {
            for (const index of indexes) createIndex(collection, index);
          } catch (error) {
            throw asDuplicateKey(error, collection);
          }
        }),
      );
    },

    ensureLogTable: async (name, spec, options) => {
      const create = createLogTableSql(name, spec);
      await exclusive(() => {
        writer.atomically(() => writer.ensureLogTable(name, create));
        if (options?.withIndexes !== false) createLogIndexes(name, spec);
      });
    },

    // The reader's `data_version` changes whenever another connection commits: this store's writer, the
    // projection thread's, another process's.
    commitVersion: () => {
      assertOpen();
      return Number(reader.get({ sql: 'PRAGMA data_version', params: [] })?.data_version);
    },

    listCollections: async () => {
      assertOpen();
      return tableNames();
    },

    dropCollection: async (name) => {
      assertCollectionName(name);
      await exclusive(() => {
        writer.db.exec(`DROP TABLE IF EXISTS ${table(name)}`);
        writer.forgetTables();
        reader.forgetTables();
      });
    },

    swapCollections: async (renames) => {
      assertSwaps(renames);
      await exclusive(() => {
        try {
          writer.atomically(() => {
            for (const { from, to } of renames) {
              // No source: this pair was swapped already (the port's rule), and its target is kept.
              if (!writer.hasTable(from)) continue;
              writer.db.exec(`DROP TABLE IF EXISTS ${table(to)}`);
              writer.db.exec(`ALTER TABLE ${table(from)} RENAME TO ${table(to)}`);
            }
          });
        } finally {
          writer.forgetTables();
          reader.forgetTables();
        }
      });
    },

    close: async () => {
      if (insideTransaction.getStore()) throw new Error('Cannot close the read store inside a transaction');
      // Queued behind pending writes so that none of them is cut off.
      await lock.run(() => {
        if (closed) return;
        closed = true;
        writer.close();
        reader.close();
      });
    },
  };
}
