import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ReadStore } from '../../application/ports/readStore.ts';
import { openSqliteReadStore } from '../../infrastructure/readStore/sqliteReadStore.ts';
import { readStoreContract } from './readStore.contract.ts';

const openFresh = async () => {
  const dir = await mkdtemp(join(tmpdir(), 'm3m-readstore-'));
  const path = join(dir, 'nested', 'read.sqlite');
  const store = openSqliteReadStore({ path });
  return {
    store,
    path,
    cleanup: async () => {
      await store.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
};

readStoreContract('sqlite', openFresh);

describe('SQLite read store', () => {
  let opened: Awaited<ReturnType<typeof openFresh>>;
  let store: ReadStore;
  beforeEach(async () => {
    opened = await openFresh();
    store = opened.store;
  });
  afterEach(() => opened.cleanup());

  it("does not show a transaction's writes outside it until it commits", async () => {
    let release!: () => void;
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    let written!: () => void;
    const wrote = new Promise<void>((resolve) => {
      written = resolve;
    });
    const transaction = store.transaction(async (session) => {
      await session.collection('goals').upsert({ id: 'g1', count: 1 });
      await session.collection('checkpoints').upsert({ id: 'goals', position: 1 });
      written();
      await gate;
    });
    await wrote;
    await new Promise((resolve) => setImmediate(resolve));
    try {
      expect(await store.collection('goals').get('g1')).toBeNull();
      expect(await store.collection('checkpoints').count()).toBe(0);
    } finally {
      release();
      await transaction;
    }
    expect(await store.collection('goals').get('g1')).toEqual({ id: 'g1', count: 1 });
    expect(await store.collection('checkpoints').get('goals')).toEqual({ id: 'goals', position: 1 });
  });

  it('queues an outside write behind a transaction instead of letting it join (and die with) it', async () => {
    let release!: () => void;
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    let written!: () => void;
    const wrote = new Promise<void>((resolve) => {
      written = resolve;
    });
    const transaction = store.transaction(async (session) => {
      await session.collection('goals').insert({ id: 'inside' });
      written();
      await gate;
      throw new Error('rolled back');
    });
    await wrote;
    const outside = store.collection('goals').insert({ id: 'outside' });
    await new Promise((resolve) => setImmediate(resolve));
    release();
    await expect(transaction).rejects.toThrow('rolled back');
    await outside;
    expect(await store.collection('goals').get('inside')).toBeNull();
    expect(await store.collection('goals').get('outside')).toEqual({ id: 'outside' });
  });

  it('refuses store-level writes from inside a transaction callback instead of deadlocking', async () => {
    await expect(
      store.transaction(async () => {
        await store.collection('goals').insert({ id: 'x' });
      }),
    ).rejects.toThrow(/session/);
    expect(await store.collection('goals').count()).toBe(0);
  });

  it('logs the index it replaces when a uniqueness changed', async () => {
    const lines: { obj: object; msg: string }[] = [];
    const logged = openSqliteReadStore({
      path: join(opened.path, '..', 'logged.sqlite'),
      logger: { warn: (obj, msg) => lines.push({ obj, msg }) },
    });
    try {
      await logged.ensureIndexes('slugs', [{ fields: ['slug'], unique: true }]);
      await logged.ensureIndexes('slugs', [{ fields: ['slug'], unique: true }]);
      expect(lines).toEqual([]);
      await logged.ensureIndexes('slugs', [{ fields: ['slug'] }]);
      expect(lines).toEqual([
        {
          msg: 'read store index changed: dropping it and creating it again',
          obj: expect.objectContaining({
            collection: 'slugs',
            from: { unique: true },
            to: { unique: false },
          }),
        },
      ]);
    } finally {
      await logged.close();
    }
  });

  it('keeps its data across close and reopen', async () => {
    await store.ensureIndexes('users', [{ fields: ['email'], unique: true }]);
    await store.collection('users').insert({ id: 'u1', email: 'a@x.io', profile: { name: 'Ada' } });
    await store.close();
    const reopened = openSqliteReadStore({ path: opened.path });
    try {
      expect(await reopened.collection('users').get('u1')).toEqual({
        id: 'u1',
        email: 'a@x.io',
        profile: { name: 'Ada' },
      });
      expect(await reopened.listCollections()).toEqual(['users']);
      await expect(reopened.collection('users').insert({ id: 'u2', email: 'a@x.io' })).rejects.toThrow(
        /Duplicate key/,
      );
    } finally {
      await reopened.close();
    }
  });
});
