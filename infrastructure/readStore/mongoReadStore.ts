import { type Db, MongoClient, WriteConcern } from 'mongodb';
import type { Doc, ReadStore } from '../../application/ports/readStore.ts';
import { assertCollectionName, assertSwaps } from './documentRules.ts';
import { mongoCollection } from './mongoCollection.ts';
import { deploymentProblem } from './mongoDeployment.ts';
import { asDuplicateKey, asTransactionLimit, isNamespaceExists, isNamespaceNotFound } from './mongoErrors.ts';
import { ensureMongoIndexes, type IndexLogger } from './mongoIndexes.ts';
import { ensureMongoLogTable, mongoLogTable } from './mongoLogTable.ts';

/** A commit that takes longer than this is abandoned (and reported) rather than left waiting for ever. */
const MAX_COMMIT_MS = 10_000;

export interface MongoReadStoreOptions {
  url: string;
  database: string;
  /** Told when an index is replaced because its options changed. */
  logger?: IndexLogger;
}

/**
 * The MongoDB read store. Our `id` is stored as `_id` and mapped back on the way out.
 *
 * `transaction()` uses a session transaction, which MongoDB only offers on a replica set or a sharded cluster:
 * opening refuses a standalone server (a single-node replica set is enough: `mongod --replSet rs0`, then
 * `rs.initiate()`).
 */
export async function openMongoReadStore(options: MongoReadStoreOptions): Promise<ReadStore> {
  // Dropping `undefined` fields matches JSON.stringify, which is what the SQLite adapter stores.
  const client = new MongoClient(options.url, { ignoreUndefined: true });
  await client.connect();
  const db = client.db(options.database);
  const logger = options.logger ?? { warn: () => {} };
  try {
    const problem = deploymentProblem(await db.admin().command({ hello: 1 }));
    if (problem) throw new Error(problem);
  } catch (error) {
    await client.close();
    throw error;
  }

  return {
    collection: <T extends Doc = Doc>(name: string) => mongoCollection<T>(db, name, undefined),
    logTable: (name, spec) => mongoLogTable(db, name, spec, undefined),

    transaction: async (work) => {
      const session = client.startSession();
      try {
        // withTransaction retries the callback on transient errors, as the port allows.
        return await session.withTransaction(
          () =>
            work({
              collection: <T extends Doc = Doc>(name: string) => mongoCollection<T>(db, name, session),
              logTable: (name, spec) => mongoLogTable(db, name, spec, session),
            }),
          {
            readConcern: { level: 'snapshot' },
            writeConcern: new WriteConcern('majority'),
            maxCommitTimeMS: MAX_COMMIT_MS,
          },
        );
      } catch (error) {
        throw asTransactionLimit(error);
      } finally {
        await session.endSession();
      }
    },

    ensureIndexes: async (collection, indexes) => {
      assertCollectionName(collection);
      await createCollectionIfMissing(db, collection);
      const missing = await ensureMongoIndexes(db, collection, indexes, logger);
      if (missing.length === 0) return;
      try {
        await db.collection(collection).createIndexes(missing);
      } catch (error) {
        throw asDuplicateKey(error, collection);
      }
    },

    ensureLogTable: (name, spec, options) =>
      ensureMongoLogTable(db, name, spec, options?.withIndexes !== false),

    listCollections: async () => {
      const infos = await db.listCollections({}, { nameOnly: true }).toArray();
      return infos
        .map((info) => info.name)
        .filter((name) => !name.startsWith('system.'))
        .sort();
    },

    dropCollection: async (name) => {
      assertCollectionName(name);
      await db.dropCollection(name); // the driver ignores NamespaceNotFound
    },

    swapCollections: async (renames) => {
      assertSwaps(renames);
      // renameCollection cannot run inside a transaction: each rename is atomic on its own. A missing source
      // was renamed by an earlier, interrupted run of this swap: its target already holds it.
      for (const { from, to } of renames) {
        try {
          await db.renameCollection(from, to, { dropTarget: true });
        } catch (error) {
          if (!isNamespaceNotFound(error)) throw error;
        }
      }
    },

    close: () => client.close(),
  };
}

async function createCollectionIfMissing(db: Db, name: string): Promise<void> {
  try {
    await db.createCollection(name);
  } catch (error) {
    if (!isNamespaceExists(error)) throw error;
  }
}
