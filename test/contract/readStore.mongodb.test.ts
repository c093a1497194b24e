import { randomBytes } from 'node:crypto';
import { describe } from 'vitest';
import { openMongoReadStore } from '../../infrastructure/readStore/mongoReadStore.ts';
import { readStoreContract } from './readStore.contract.ts';

/** Needs a replica set for transactions, e.g. `M3M_TEST_MONGO_URL=mongodb://localhost:27017/?replicaSet=rs0`. */
const url = process.env.M3M_TEST_MONGO_URL;

describe.runIf(url)('MongoDB read store', () => {
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
});
