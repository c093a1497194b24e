import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { EventFeed, type FeedConsumer, type FeedPage } from '../../application/eventFeed.ts';
import type {
  EventStore,
  ReadAllOptions,
  RecordedEvent,
  SubscribeAllOptions,
} from '../../application/ports/eventStore.ts';
import { appendDeposits, metadata } from '../kit/ledger.ts';
import { openTempStores, type TempStores } from '../kit/stores.ts';

/** The real SQLite store, counting what the feed asks of it. */
function counting(store: EventStore) {
  const calls = { readAll: [] as ReadAllOptions[], subscribeAll: [] as SubscribeAllOptions[] };
  const wrapped: EventStore = {
    append: (...args) => store.append(...args),
    readStream: (...args) => store.readStream(...args),
    readEvent: (...args) => store.readEvent(...args),
    readPositions: (...args) => store.readPositions(...args),
    headPosition: () => store.headPosition(),
    close: () => store.close(),
    readAll: (options = {}) => {
      calls.readAll.push(options);
      return store.readAll(options);
    },
    subscribeAll: (options = {}) => {
      calls.subscribeAll.push(options);
      return store.subscribeAll(options);
    },
  };
  return { store: wrapped, calls };
}

/** A consumer keeping its checkpoint in memory, recording what it was handed. */
function recorder(
  name: string,
  options: { types?: string[]; failWhile?: () => boolean; slowMs?: number } = {},
) {
  const seen: RecordedEvent[] = [];
  let checkpoint = 0;
  const consumer: FeedConsumer = {
    name,
    eventTypes: options.types,
    resume: async () => checkpoint,
    async handle(page: FeedPage) {
      if (options.slowMs) await new Promise((resolve) => setTimeout(resolve, options.slowMs));
      if (page.events.length > 0 && options.failWhile?.()) throw new Error(`${name} failed on purpose`);
      seen.push(...page.events);
      checkpoint = page.upTo;
    },
  };
  return {
    consumer,
    seen,
    get checkpoint() {
      return checkpoint;
    },
  };
}

const positionsOf = (events: readonly RecordedEvent[]) => events.map((e) => e.position);

describe('EventFeed: one follower of $all for every consumer', () => {
  let stores: TempStores;
  const feeds: EventFeed[] = [];
  const feedOn = (store: EventStore, options: { graceMs?: number; pageSize?: number } = {}) => {
    const feed = new EventFeed({
      eventStore: store,
      pageSize: options.pageSize ?? 500,
      graceMs: options.graceMs,
      highWater: options.pageSize ?? 500,
      backoff: { initialMs: 50, maxMs: 100 },
    });
    feeds.push(feed);
    return feed;
  };

  beforeEach(async () => {
    stores = await openTempStores();
  });
  afterEach(async () => {
    for (const feed of feeds.splice(0)) await feed.stop();
    await stores.cleanup();
  });

  it('reads each page once for all its consumers, then follows live with one subscription', async () => {
    await appendDeposits(stores.eventStore, 2400);
    const { store, calls } = counting(stores.eventStore);
    const feed = feedOn(store);
    const consumers = [recorder('a'), recorder('b'), recorder('c')];
    await feed.join(consumers.map((c) => c.consumer));
    feed.start();
    const all = await stores.eventStore.readAll({ limit: 10_000 });
    const head = all.at(-1)!.position;
    await expect.poll(() => consumers.map((c) => c.checkpoint)).toEqual([head, head, head]);
    for (const c of consumers) expect(positionsOf(c.seen)).toEqual(positionsOf(all));
    // 2400 events in pages of 500: five pages read once, not once per consumer.
    expect(calls.readAll).toHaveLength(5);
    expect(calls.subscribeAll).toHaveLength(1);

    await appendDeposits(stores.eventStore, 30);
    const after = await stores.eventStore.readAll({ limit: 10_000 });
    await expect.poll(() => consumers.map((c) => c.seen.length)).toEqual([2430, 2430, 2430]);
    for (const c of consumers) expect(positionsOf(c.seen)).toEqual(positionsOf(after));
    expect(calls.readAll).toHaveLength(5);
    expect(calls.subscribeAll).toHaveLength(1);
    expect(feed.status().map((s) => s.state)).toEqual(['live', 'live', 'live']);
  });

  it('hands each consumer only the types it declared, and asks the store for their union', async () => {
    await appendDeposits(stores.eventStore, 20);
    await stores.eventStore.append('other-1', [{ type: 'Noted', data: {}, metadata: metadata() }], {
      expectedRevision: 'any',
    });
    await stores.eventStore.append('other-2', [{ type: 'Ignored', data: {}, metadata: metadata() }], {
      expectedRevision: 'any',
    });
    const { store, calls } = counting(stores.eventStore);
    const feed = feedOn(store);
    const deposits = recorder('deposits', { types: ['Deposited'] });
    const notes = recorder('notes', { types: ['Noted'] });
    await feed.join([deposits.consumer, notes.consumer]);
    feed.start();
    const head = await stores.eventStore.headPosition();
    await expect.poll(() => [deposits.checkpoint, notes.checkpoint]).toEqual([head, head]);
    expect(deposits.seen.map((e) => e.type)).toEqual(Array(20).fill('Deposited'));
    expect(notes.seen.map((e) => e.type)).toEqual(['Noted']);
    expect(calls.readAll[0]!.filter).toEqual({ eventTypes: ['Deposited', 'Noted'] });
    expect(calls.subscribeAll[0]!.filter).toEqual({ eventTypes: ['Deposited', 'Noted'] });
  });

  it('a failing consumer is retried from its checkpoint without holding the others back', async () => {
    await appendDeposits(stores.eventStore, 50);
    const feed = feedOn(stores.eventStore);
    let failing = false;
    const flaky = recorder('flaky', { failWhile: () => failing });
    const steady = recorder('steady');
    await feed.join([flaky.consumer, steady.consumer]);
    feed.start();
    let head = await stores.eventStore.headPosition();
    await expect.poll(() => [flaky.checkpoint, steady.checkpoint]).toEqual([head, head]);

    failing = true;
    await appendDeposits(stores.eventStore, 40);
    head = await stores.eventStore.headPosition();
    // The steady one goes on while the flaky one fails and waits for its retry.
    await expect.poll(() => steady.checkpoint).toBe(head);
    await expect.poll(() => feed.statusOf('flaky')?.state).toBe('retrying');
    expect(feed.statusOf('flaky')?.lastError).toBe('flaky failed on purpose');
    await appendDeposits(stores.eventStore, 10);
    head = await stores.eventStore.headPosition();
    await expect.poll(() => steady.checkpoint).toBe(head);
    expect(flaky.seen).toHaveLength(50);

    failing = false;
    await expect.poll(() => flaky.checkpoint).toBe(head);
    const all = await stores.eventStore.readAll({ limit: 10_000 });
    expect(positionsOf(flaky.seen)).toEqual(positionsOf(all));
    expect(positionsOf(steady.seen)).toEqual(positionsOf(all));
    await expect.poll(() => feed.statusOf('flaky')?.state).toBe('live');
  });

  it('a consumer too slow to keep up catches up alone while the others follow', async () => {
    await appendDeposits(stores.eventStore, 1000);
    const feed = feedOn(stores.eventStore, { pageSize: 100, graceMs: 100 });
    const slow = recorder('slow', { slowMs: 150 });
    const fast = recorder('fast');
    await feed.join([slow.consumer, fast.consumer]);
    feed.start();
    const head = await stores.eventStore.headPosition();
    // The fast one reaches the head long before the slow one could (10 pages at 150 ms each and more).
    await expect.poll(() => fast.checkpoint, { timeout: 2000 }).toBe(head);
    expect(slow.checkpoint).toBeLessThan(head);
    await expect.poll(() => slow.checkpoint, { timeout: 20_000 }).toBe(head);
    const all = await stores.eventStore.readAll({ limit: 10_000 });
    expect(positionsOf(slow.seen)).toEqual(positionsOf(all));
    expect(positionsOf(fast.seen)).toEqual(positionsOf(all));

    await appendDeposits(stores.eventStore, 5);
    await expect.poll(() => [slow.seen.length, fast.seen.length]).toEqual([1005, 1005]);
  });

  it('a consumer joining later than the others catches up from its own checkpoint, then joins them', async () => {
    await appendDeposits(stores.eventStore, 300);
    const feed = feedOn(stores.eventStore, { pageSize: 100 });
    const first = recorder('first');
    await feed.join([first.consumer]);
    feed.start();
    const head = await stores.eventStore.headPosition();
    await expect.poll(() => first.checkpoint).toBe(head);
    const late = recorder('late');
    await feed.join([late.consumer]);
    await expect.poll(() => late.checkpoint).toBe(head);
    await appendDeposits(stores.eventStore, 3);
    await expect.poll(() => [first.seen.length, late.seen.length]).toEqual([303, 303]);
    expect(positionsOf(late.seen)).toEqual(positionsOf(first.seen));
  });
});
