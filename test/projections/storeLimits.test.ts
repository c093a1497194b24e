import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { EventSchemaRegistry } from '../../application/commands/eventSchemas.ts';
import {
  type Collection,
  type ReadStore,
  type ReadStoreSession,
  TransactionLimitError,
} from '../../application/ports/readStore.ts';
import type { Projection } from '../../projections/projection.ts';
import { ProjectionRunner, type RunnerLogger } from '../../projections/projectionRunner.ts';
import { appendDeposits, expectedLedger, ledgerProjection, readLedger } from '../kit/ledger.ts';
import { openTempStores, type TempStores } from '../kit/stores.ts';

// What a MongoDB read store does to the projection runner, played on the real SQLite store: a swap done one
// rename at a time and cut off, transactions the engine gives up on. The runner only sees the port, so the
// same code path is what runs against MongoDB.

/** The real store with some of its methods replaced. */
function withStore(store: ReadStore, overrides: Partial<ReadStore>): ReadStore {
  return new Proxy(store, {
    get(target, prop) {
      if (prop in overrides) return overrides[prop as keyof ReadStore];
      const value = Reflect.get(target, prop, target);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
}

function recordingLogger() {
  const lines: { level: string; msg: string; obj: object }[] = [];
  const logger: RunnerLogger = {
    info: (obj, msg = '') => lines.push({ level: 'info', msg, obj }),
    error: (obj, msg = '') => lines.push({ level: 'error', msg, obj }),
  };
  return { logger, lines };
}

describe('projection runner on a read store with limits', () => {
  let stores: TempStores;
  const runners: ProjectionRunner[] = [];
  const runner = (
    readStore: ReadStore,
    projection: Projection,
    more: { maxBatchMs?: number; logger?: RunnerLogger } = {},
  ) => {
    const created = new ProjectionRunner({
      eventStore: stores.eventStore,
      readStore,
      schemas: new EventSchemaRegistry(),
      projections: [projection],
      ...more,
    });
    runners.push(created);
    return created;
  };

  beforeEach(async () => {
    stores = await openTempStores();
  });
  afterEach(async () => {
    for (const r of runners.splice(0)) await r.stop();
    await stores.cleanup();
  });

  it('a rebuild swap cut off after its first rename is completed at the next start, losing nothing', async () => {
    await appendDeposits(stores.eventStore, 120);
    const v1 = runner(stores.readStore, ledgerProjection({ version: 1 }));
    await v1.start();
    await v1.stop();

    // Version 2 rebuilds, then its process dies between two renames of the swap (as it can on MongoDB).
    const dying = withStore(stores.readStore, {
      swapCollections: async (pairs) => {
        await stores.readStore.swapCollections(pairs.slice(0, 1));
        throw new Error('connection lost in the middle of the swap');
      },
    });
    await expect(runner(dying, ledgerProjection({ version: 2, factor: 10 })).start()).rejects.toThrow(
      'connection lost',
    );
    // Half-swapped: the accounts are rebuilt, the totals and the checkpoint are not.
    expect(await stores.readStore.listCollections()).toContain('ledger_totals__rebuild');

    await appendDeposits(stores.eventStore, 15);
    const { logger, lines } = recordingLogger();
    const restarted = runner(stores.readStore, ledgerProjection({ version: 2, factor: 10 }), { logger });
    await restarted.start();
    expect(await readLedger(stores.readStore)).toEqual(await expectedLedger(stores.eventStore, 10));
    const totals = await stores.readStore.collection('ledger_totals').get('all');
    expect(totals).toMatchObject({ count: 135 });
    expect(await stores.readStore.collection('m3m_checkpoint_ledger').get('checkpoint')).toMatchObject({
      version: 2,
      position: await stores.eventStore.headPosition(),
    });
    expect((await stores.readStore.listCollections()).filter((n) => n.endsWith('__rebuild'))).toEqual([]);
    expect(await stores.readStore.collection('m3m_projection_swaps').count()).toBe(0);
    expect(lines.map((l) => l.msg)).toContain('projection rebuild swapped in');
    // No second rebuild: the interrupted one was finished, not started over.
    expect(lines.map((l) => l.msg)).not.toContain('projection version changed: rebuilding');
  });

  it('a replay after an interrupted swap finishes that swap before dropping its sources', async () => {
    await appendDeposits(stores.eventStore, 60);
    const dying = withStore(stores.readStore, {
      swapCollections: async (pairs) => {
        await stores.readStore.swapCollections(pairs.slice(0, 2));
        throw new Error('killed');
      },
    });
    await expect(runner(dying, ledgerProjection()).start()).rejects.toThrow('killed');
    const cli = runner(stores.readStore, ledgerProjection());
    await cli.replay(['ledger']);
    expect(await readLedger(stores.readStore)).toEqual(await expectedLedger(stores.eventStore));
    expect(await stores.readStore.collection('ledger_totals').get('all')).toMatchObject({ count: 60 });
  });

  it('bounds a transaction by time: a slow projection commits its checkpoint every maxBatchMs', async () => {
    const first = runner(stores.readStore, ledgerProjection());
    await first.start();
    await first.stop();
    await appendDeposits(stores.eventStore, 30);
    const ledger = ledgerProjection();
    const slow: Projection = {
      ...ledger,
      async apply(event, view) {
        await sleep(10);
        await ledger.apply(event, view);
      },
    };
    const committed: number[] = [];
    const counting = withStore(stores.readStore, {
      transaction: async (work) => {
        const result = await stores.readStore.transaction(work);
        const checkpoint = await stores.readStore.collection('m3m_checkpoint_ledger').get('checkpoint');
        if (checkpoint) committed.push(checkpoint.position as number);
        return result;
      },
    });
    await runner(counting, slow, { maxBatchMs: 50 }).start();
    expect(await readLedger(stores.readStore)).toEqual(await expectedLedger(stores.eventStore));
    // 30 events of ≥10 ms each cannot fit in one 50 ms transaction: the page of 1000 was split.
    expect(committed.length).toBeGreaterThanOrEqual(4);
    for (let i = 1; i < committed.length; i++) expect(committed[i]).toBeGreaterThanOrEqual(committed[i - 1]!);
    expect(committed.at(-1)).toBe(await stores.eventStore.headPosition());
  });

  it('halves the events per transaction when the store gives up on one as too big, and still applies each once', async () => {
    await appendDeposits(stores.eventStore, 100);
    const limited = withStore(stores.readStore, {
      // Like MongoDB's TransactionTooLarge: the transaction is rolled back and nothing of it is written.
      transaction: (work) =>
        stores.readStore.transaction(async (session) => {
          let writes = 0;
          const counted: ReadStoreSession = {
            collection: (name) => countWrites(session.collection(name), () => writes++),
            logTable: (name, spec) => session.logTable(name, spec),
          };
          const result = await work(counted);
          if (writes > 30) throw new TransactionLimitError(`TransactionTooLarge: ${writes} writes`);
          return result;
        }),
    });
    const { logger, lines } = recordingLogger();
    await runner(limited, ledgerProjection(), { logger }).start();
    expect(await readLedger(stores.readStore)).toEqual(await expectedLedger(stores.eventStore));
    expect(await stores.readStore.collection('ledger_totals').get('all')).toMatchObject({ count: 100 });
    const shrinks = lines.filter((l) => l.msg.includes('too big'));
    expect(shrinks.map((l) => (l.obj as { eventsPerTransaction: number }).eventsPerTransaction)).toEqual([
      50, 25, 12,
    ]);
  });

  it('gives up, reporting the cause, when even one event is too big for a transaction', async () => {
    await appendDeposits(stores.eventStore, 3);
    const hopeless = withStore(stores.readStore, {
      transaction: (work) =>
        stores.readStore.transaction(async (session) => {
          const result = await work(session);
          throw new TransactionLimitError('TransactionTooLarge (test)');
          // biome-ignore lint/correctness/noUnreachable: the result is never committed
          return result;
        }),
    });
    await expect(runner(hopeless, ledgerProjection()).start()).rejects.toBeInstanceOf(TransactionLimitError);
    expect(await readLedger(stores.readStore)).toEqual({});
  });
});

function countWrites<T extends Collection>(collection: T, wrote: () => void): T {
  return new Proxy(collection, {
    get(target, prop) {
      const value = Reflect.get(target, prop, target);
      if (typeof value !== 'function') return value;
      if (['insert', 'upsert', 'patch', 'delete', 'deleteMany'].includes(prop as string)) {
        return (...args: unknown[]) => {
          wrote();
          return (value as (...a: unknown[]) => unknown).apply(target, args);
        };
      }
      return value.bind(target);
    },
  });
}
