import { randomBytes } from 'node:crypto';
import { MongoClient } from 'mongodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ReadStore } from '../../application/ports/readStore.ts';
import { openMongoReadStore } from '../../infrastructure/readStore/mongoReadStore.ts';
import { readStoreContract } from './readStore.contract.ts';

// Runs through `npm run test:external` (vitest.external.config.ts), which includes this file only when
// M3M_TEST_MONGO_URL is set, e.g. mongodb://localhost:27017/?replicaSet=rs0 (a replica set: transactions need one).
const url = process.env.M3M_TEST_MONGO_URL;
if (!url) throw new Error('M3M_TEST_MONGO_URL is not set: run this suite with npm run test:external');

describe('MongoDB read store', () => {
  readStoreContract('mongodb', async () => {
    const store = await openMongoReadStore({
      url: url!,
      database: `m3m_test_${randomBytes(4).toString('hex')}`,
    });
    return {
      store,
      cleanup: async () => {
        for (const name of await store.listCollections()) await store.dropCollection(name);
        await store.close();
      },
    };
  });

  describe('what only MongoDB does', () => {
    const database = `m3m_test_${randomBytes(4).toString('hex')}`;
    let client: MongoClient;
    let store: ReadStore;
    const warnings: string[] = [];
    beforeAll(async () => {
      client = await new MongoClient(url!).connect();
      store = await openMongoReadStore({
        url: url!,
        database,
        logger: { warn: (_, msg) => warnings.push(msg) },
      });
    });
    afterAll(async () => {
      await store.close();
      await client.db(database).dropDatabase();
      await client.close();
    });

    it('migrates a unique index an older m3m made (partial on $exists), so explicit nulls stop colliding', async () => {
      const users = client.db(database).collection('users');
      await users.createIndex(
        { email: 1 },
        { unique: true, partialFilterExpression: { email: { $exists: true } } },
      );
      await store.ensureIndexes('users', [{ fields: ['email'], unique: true }]);
      expect(warnings).toContain('read store index changed: dropping it and creating it again');
      await store.collection('users').insert({ id: 'a', email: null });
      await store.collection('users').insert({ id: 'b', email: null });
      const emailIndexes = (await users.listIndexes().toArray()).filter((ix) => 'email' in ix.key);
      expect(emailIndexes).toHaveLength(1);
      // Idempotent: the new index is recognised as the wanted one.
      warnings.length = 0;
      await store.ensureIndexes('users', [{ fields: ['email'], unique: true }]);
      expect(warnings).toEqual([]);
    });
  });
});
