import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ReadStore } from '../../application/ports/readStore.ts';
import { upsertAll } from '../../application/ports/upsertAll.ts';
import { openPostgresReadStore } from '../../infrastructure/readStore/postgresReadStore.ts';
import { freshDatabase, type TestDatabase } from '../kit/postgres.ts';
import { readStoreContract } from './readStore.contract.ts';

const openFresh = async () => {
  const database = await freshDatabase();
  const store = await openPostgresReadStore({ url: database.url });
  return {
    store,
    database,
    cleanup: async () => {
      await store.close();
      await database.drop();
    },
  };
};

readStoreContract('postgres', openFresh);

describe('PostgreSQL read store', () => {
  let database: TestDatabase;
  let store: ReadStore;
  let cleanup: () => Promise<void>;
  beforeEach(async () => {
    ({ store, database, cleanup } = await openFresh());
  });
  afterEach(() => cleanup());

  it('keeps long collection names apart and lists them as they were given', async () => {
    const base = `wm_${'a'.repeat(32)}_${'x'.repeat(40)}`;
    const [one, two] = [`${base}1`, `${base}2`];
    await store.collection(one).insert({ id: '1' });
    await store.collection(two).insert({ id: '2' });
    expect(await store.listCollections()).toEqual([one, two]);
    expect(await store.collection(one).count()).toBe(1);
    await store.swapCollections([{ from: two, to: `${base}3` }]);
    expect(await store.listCollections()).toEqual([one, `${base}3`]);
  });

  it('uses the declared index for a filter on it', async () => {
    await store.ensureIndexes('keys', [{ fields: ['digest'], unique: true }]);
    const c = store.collection('keys');
    for (let i = 0; i < 2000; i++) await c.insert({ id: `k${i}`, digest: `d${i}` });
    const pg = await import('pg');
    const client = new pg.default.Client(database.url);
    await client.connect();
    try {
      await client.query('ANALYZE rs_keys');
      const { rows } = await client.query(
        `EXPLAIN SELECT id, doc FROM rs_keys WHERE nullif(doc #> '{digest}', 'null'::jsonb) = '"d7"'::jsonb`,
      );
      expect(rows.map((r) => r['QUERY PLAN']).join('\n')).toMatch(/Index Scan using rsix_/);
    } finally {
      await client.end();
    }
    expect((await c.findOne({ digest: 'd7' }))?.id).toBe('k7');
  });

  it('upsertAll in one statement per thousand documents: every read of the collection sees them', async () => {
    await store.ensureIndexes('entries', [{ fields: ['n'] }]);
    const found = await store.transaction(async (session) => {
      const entries = session.collection<{ id: string; n: number }>('entries');
      await upsertAll(entries, [
        ...Array.from({ length: 1500 }, (_, i) => ({ id: `e${i % 500}`, n: i % 500 })),
        { id: 'e7', n: 7000 },
      ]);
      const again = await entries.get('e7');
      const page = await entries.find({ n: { $gte: 490 } }, { sort: { n: 1 }, limit: 20 });
      await entries.upsert({ id: 'e8', n: 8000 });
      return { again, count: await entries.count(), ids: page.items.map((d) => d.id) };
    });
    expect(found.again).toEqual({ id: 'e7', n: 7000 });
    expect(found.count).toBe(500);
    expect(found.ids.slice(0, 10)).toEqual(Array.from({ length: 10 }, (_, i) => `e${490 + i}`));
    expect(await store.collection('entries').get('e8')).toEqual({ id: 'e8', n: 8000 });
    expect(await store.collection('entries').count()).toBe(500);
  });

  it('an upsert breaking a unique index fails at the call, inside a transaction too', async () => {
    await store.ensureIndexes('people', [{ fields: ['email'], unique: true }]);
    await store.collection('people').insert({ id: 'a', email: 'a@example.com' });
    const caught = await store
      .transaction(async (session) => {
        try {
          await session.collection('people').upsert({ id: 'b', email: 'a@example.com' });
        } catch (error) {
          return error;
        }
        return null;
      })
      .catch((error: unknown) => error);
    expect((caught as Error).name).toBe('DuplicateKeyError');
    expect(await store.collection('people').get('b')).toBeNull();
  });

  it('refuses store-level writes from inside a transaction callback instead of deadlocking', async () => {
    await expect(
      store.transaction(async () => {
        await store.collection('goals').insert({ id: 'x' });
      }),
    ).rejects.toThrow(/session/);
    expect(await store.collection('goals').count()).toBe(0);
  });

  it('a transaction that creates a collection and fails leaves no collection behind', async () => {
    await expect(
      store.transaction(async (session) => {
        await session.collection('fresh').insert({ id: '1' });
        throw new Error('projection failed');
      }),
    ).rejects.toThrow('projection failed');
    expect(await store.listCollections()).toEqual([]);
    await store.collection('fresh').insert({ id: '2' });
    expect(await store.collection('fresh').count()).toBe(1);
  });

  it('another process sees committed changes only, and a table it dropped is made again', async () => {
    const other = await openPostgresReadStore({ url: database.url });
    try {
      await store.collection('shared').insert({ id: 'a', n: 1 });
      expect(await other.collection('shared').get('a')).toEqual({ id: 'a', n: 1 });
      await other.dropCollection('shared');
      await store.collection('shared').insert({ id: 'b' });
      expect(await other.collection('shared').count()).toBe(1);
    } finally {
      await other.close();
    }
  });
});
