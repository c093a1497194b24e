import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { EventSchemaRegistry } from '../../application/commands/eventSchemas.ts';
import type { Projection } from '../../projections/projection.ts';
import { ProjectionRunner } from '../../projections/projectionRunner.ts';
import {
  appendDeposits,
  deposit,
  expectedLedger,
  ledgerProjection,
  metadata,
  readLedger,
} from '../kit/ledger.ts';
import { openTempStores, type TempStores } from '../kit/stores.ts';

describe('ProjectionRunner', () => {
  let stores: TempStores;
  const runners: ProjectionRunner[] = [];
  const runnerFor = (projections: Projection[], schemas = new EventSchemaRegistry()) => {
    const runner = new ProjectionRunner({ ...stores, schemas, projections, batchSize: 100 });
    runners.push(runner);
    return runner;
  };

  beforeEach(async () => {
    stores = await openTempStores();
  });
  afterEach(async () => {
    for (const runner of runners.splice(0)) await runner.stop();
    await stores.cleanup();
  });

  it('catches up at start, then follows new events live', async () => {
    await appendDeposits(stores.eventStore, 250);
    const runner = runnerFor([ledgerProjection()]);
    await runner.start();
    expect(await readLedger(stores.readStore)).toEqual(await expectedLedger(stores.eventStore));

    await appendDeposits(stores.eventStore, 40);
    await runner.waitFor(await stores.eventStore.headPosition());
    expect(await readLedger(stores.readStore)).toEqual(await expectedLedger(stores.eventStore));
    expect(runner.status()).toMatchObject([{ name: 'ledger', state: 'live', lastError: null }]);
  });

  it('continues from its checkpoint after a restart without applying anything twice', async () => {
    await appendDeposits(stores.eventStore, 120);
    const first = runnerFor([ledgerProjection()]);
    await first.start();
    await first.stop();
    await appendDeposits(stores.eventStore, 30);

    const second = runnerFor([ledgerProjection()]);
    await second.start();
    expect(await readLedger(stores.readStore)).toEqual(await expectedLedger(stores.eventStore));
  });

  it('two runners on the same stores still apply every event exactly once', async () => {
    await appendDeposits(stores.eventStore, 100);
    const a = runnerFor([ledgerProjection()]);
    const b = runnerFor([ledgerProjection()]);
    await Promise.all([a.start(), b.start()]);
    await appendDeposits(stores.eventStore, 100);
    const head = await stores.eventStore.headPosition();
    await Promise.all([a.waitFor(head), b.waitFor(head)]);
    expect(await readLedger(stores.readStore)).toEqual(await expectedLedger(stores.eventStore));
  });

  it('a replay by another process while this one runs live leaves the model exact', async () => {
    await appendDeposits(stores.eventStore, 200);
    const server = runnerFor([ledgerProjection()]);
    await server.start();
    // The replaying process swaps its model in only after the live one has applied newer events.
    const readStore = new Proxy(stores.readStore, {
      get(target, prop) {
        if (prop === 'swapCollections') {
          return async (pairs: { from: string; to: string }[]) => {
            await appendDeposits(stores.eventStore, 10);
            await server.waitFor(await stores.eventStore.headPosition());
            return target.swapCollections(pairs);
          };
        }
        const value = Reflect.get(target, prop, target);
        return typeof value === 'function' ? value.bind(target) : value;
      },
    });
    const cli = new ProjectionRunner({
      ...stores,
      readStore,
      schemas: new EventSchemaRegistry(),
      projections: [ledgerProjection()],
    });
    await Promise.all([cli.replay(), appendDeposits(stores.eventStore, 150)]);
    await appendDeposits(stores.eventStore, 20);
    await server.waitFor(await stores.eventStore.headPosition());
    expect(await readLedger(stores.readStore)).toEqual(await expectedLedger(stores.eventStore));
  });

  it('rebuilds itself at start when its version changed', async () => {
    await appendDeposits(stores.eventStore, 80);
    const v1 = runnerFor([ledgerProjection({ version: 1 })]);
    await v1.start();
    await v1.stop();

    const v2 = runnerFor([ledgerProjection({ version: 2, factor: 10 })]);
    await v2.start();
    expect(await readLedger(stores.readStore)).toEqual(await expectedLedger(stores.eventStore, 10));
    const checkpoint = await stores.readStore.collection('m3m_checkpoint_ledger').get('checkpoint');
    expect(checkpoint).toMatchObject({ version: 2, position: await stores.eventStore.headPosition() });
  });

  it('a failing batch writes nothing, is reported, and is retried from the checkpoint', async () => {
    await appendDeposits(stores.eventStore, 20);
    let failing = false;
    const runner = runnerFor([ledgerProjection({ failWhen: () => failing })]);
    await runner.start();
    const before = await readLedger(stores.readStore);

    failing = true;
    await stores.eventStore.append('account-x', [deposit('acc-x', 5), deposit('acc-x', 7)], {
      expectedRevision: 'any',
    });
    await expect.poll(() => runner.status()[0]!.state).toBe('retrying');
    expect(runner.status()[0]!.lastError).toContain('failed on purpose');
    expect(await readLedger(stores.readStore)).toEqual(before);

    failing = false;
    await runner.waitFor(await stores.eventStore.headPosition());
    expect(await readLedger(stores.readStore)).toEqual(await expectedLedger(stores.eventStore));
    expect(runner.status()[0]!.state).toBe('live');
  });

  it('replay builds into fresh collections: readers see the complete old model until the swap', async () => {
    await appendDeposits(stores.eventStore, 300);
    const runner = runnerFor([ledgerProjection()]);
    await runner.start();
    const complete = await readLedger(stores.readStore);

    const seenDuringRebuild: unknown[] = [];
    const summaries = await runner.replay(['ledger'], () => {
      seenDuringRebuild.push(readLedger(stores.readStore));
    });
    const snapshots = await Promise.all(seenDuringRebuild);
    expect(snapshots.length).toBeGreaterThan(1);
    for (const snapshot of snapshots) expect(snapshot).toEqual(complete);
    expect(await readLedger(stores.readStore)).toEqual(complete);
    expect(summaries).toMatchObject([{ projection: 'ledger', events: 300 }]);
    expect(await stores.readStore.listCollections()).not.toContain('ledger_accounts__rebuild');

    await appendDeposits(stores.eventStore, 5);
    await runner.waitFor(await stores.eventStore.headPosition());
    expect(await readLedger(stores.readStore)).toEqual(await expectedLedger(stores.eventStore));
  });

  it('refuses to replay an unknown projection, naming the known ones', async () => {
    const runner = runnerFor([ledgerProjection()]);
    await expect(runner.replay(['nope'])).rejects.toThrow(/Unknown projection: nope \(known: ledger\)/);
  });

  it('hands projections the upcast, current shape of old events', async () => {
    await stores.eventStore.append(
      'account-old',
      [
        {
          type: 'Deposited',
          data: { account: 'old', cents: 1200 },
          metadata: metadata({ schemaVersion: 1 }),
        },
      ],
      { expectedRevision: 'any' },
    );
    await stores.eventStore.append(
      'account-new',
      [{ ...deposit('new', 3), metadata: metadata({ schemaVersion: 2 }) }],
      {
        expectedRevision: 'any',
      },
    );
    const schemas = new EventSchemaRegistry().register('Deposited', {
      version: 2,
      upcasters: {
        1: (data) => ({
          account: (data as { account: string }).account,
          amount: (data as { cents: number }).cents / 100,
        }),
      },
    });
    const runner = runnerFor([ledgerProjection()], schemas);
    await runner.start();
    expect(await readLedger(stores.readStore)).toEqual({
      old: { id: 'old', balance: 12, deposits: 1 },
      new: { id: 'new', balance: 3, deposits: 1 },
    });
  });

  it('skips irrelevant events without writing, yet reports the position as reached', async () => {
    const runner = runnerFor([ledgerProjection()]);
    await runner.start();
    const { position } = await stores.eventStore.append(
      'other-1',
      [{ type: 'SomethingElse', data: {}, metadata: metadata() }],
      { expectedRevision: 'any' },
    );
    await runner.waitFor(position);
    await sleep(20);
    expect(await readLedger(stores.readStore)).toEqual({});
  });
});
