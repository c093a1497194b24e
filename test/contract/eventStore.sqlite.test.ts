import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { NewEvent, RecordedEvent } from '../../application/ports/eventStore.ts';
import { openSqliteEventStore } from '../../infrastructure/eventStore/sqliteEventStore.ts';
import { withSparsePositions } from '../kit/sparsePositions.ts';
import { eventStoreContract } from './eventStore.contract.ts';

eventStoreContract('sqlite', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'm3m-es-'));
  // A missing parent folder must be created.
  const store = openSqliteEventStore({ path: join(dir, 'nested', 'events.sqlite'), pollIntervalMs: 20 });
  return {
    store,
    cleanup: async () => {
      await store.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
});

// The same contract with positions that are not consecutive numbers (as KurrentDB's byte offsets are not), and
// any other number refused: it holds only if every case pages on the positions the store returned.
eventStoreContract('sqlite with sparse positions', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'm3m-es-'));
  const store = openSqliteEventStore({ path: join(dir, 'events.sqlite'), pollIntervalMs: 20 });
  return {
    store: withSparsePositions(store),
    cleanup: async () => {
      await store.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
});

function event(type: string, data: unknown = {}): NewEvent {
  return {
    type,
    data,
    metadata: {
      actorId: null,
      correlationId: randomUUID(),
      causationId: null,
      source: 'cli',
      schemaVersion: 1,
      timestamp: new Date().toISOString(),
    },
  };
}

async function waitFor(condition: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(10);
  }
}

describe('SQLite event store', () => {
  let dir: string;
  let path: string;

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'm3m-es-'));
    path = join(dir, 'events.sqlite');
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('starts empty', async () => {
    const store = openSqliteEventStore({ path });
    expect(await store.headPosition()).toBe(0);
    expect(await store.readAll()).toEqual([]);
    await store.close();
  });

  it('uses WAL journaling', async () => {
    const store = openSqliteEventStore({ path });
    const db = new DatabaseSync(path);
    expect(db.prepare('PRAGMA journal_mode').get()).toEqual({ journal_mode: 'wal' });
    db.close();
    await store.close();
  });

  it('keeps its events across close and reopen', async () => {
    const first = openSqliteEventStore({ path });
    const written = await first.append('s-1', [event('A'), event('B')], { expectedRevision: 'no_stream' });
    await first.close();
    await expect(first.readStream('s-1')).rejects.toThrow(/closed/);

    const reopened = openSqliteEventStore({ path });
    expect((await reopened.readStream('s-1')).map((e) => e.type)).toEqual(['A', 'B']);
    expect(await reopened.headPosition()).toBe(written.position);
    const next = await reopened.append('s-1', [event('C')], { expectedRevision: 1 });
    expect(next.position).toBeGreaterThan(written.position);
    await reopened.close();
  });

  it("a second connection's appends reach the first one's live subscription", async () => {
    const server = openSqliteEventStore({ path, pollIntervalMs: 20 });
    const cli = openSqliteEventStore({ path });
    const seen: RecordedEvent[] = [];
    const subscription = server.subscribeAll().subscribe((e) => seen.push(e));

    await server.append('own', [event('FromServer')], { expectedRevision: 'any' });
    await cli.append('foreign', [event('FromCli', { n: 1 })], { expectedRevision: 'any' });
    await waitFor(() => seen.length === 2, 'the foreign event');
    await cli.append('foreign', [event('FromCli', { n: 2 })], { expectedRevision: 0 });
    await server.append('own', [event('FromServer')], { expectedRevision: 0 });
    await waitFor(() => seen.length === 4, 'more events');

    subscription.unsubscribe();
    expect(seen.map((e) => e.type)).toEqual(['FromServer', 'FromCli', 'FromCli', 'FromServer']);
    await cli.close();
    await server.close();
  });

  it("another process's appends reach a live subscription", { timeout: 30_000 }, async () => {
    const server = openSqliteEventStore({ path, pollIntervalMs: 20 });
    const seen: RecordedEvent[] = [];
    const subscription = server
      .subscribeAll({ filter: { eventTypes: ['FromChild'] } })
      .subscribe((e) => seen.push(e));
    const moduleUrl = new URL('../../infrastructure/eventStore/sqliteEventStore.ts', import.meta.url).href;
    const script = `
      const { openSqliteEventStore } = await import(${JSON.stringify(moduleUrl)});
      const store = openSqliteEventStore({ path: ${JSON.stringify(path)} });
      const metadata = { actorId: null, correlationId: 'c', causationId: null, source: 'cli', schemaVersion: 1, timestamp: new Date().toISOString() };
      for (let i = 0; i < 5; i++) await store.append('child', [{ type: 'FromChild', data: { i }, metadata }], { expectedRevision: 'any' });
      await store.close();
    `;
    await promisify(execFile)(process.execPath, ['--input-type=module', '-e', script]);
    await waitFor(() => seen.length === 5, "the child process's events");
    subscription.unsubscribe();
    expect(seen.map((e) => e.data)).toEqual([0, 1, 2, 3, 4].map((i) => ({ i })));
    await server.close();
  });

  it('refuses reserved ($…) and empty event types, writing nothing', async () => {
    const store = openSqliteEventStore({ path });
    await expect(
      store.append('user-1', [event('UserCreated'), event('$metadata')], { expectedRevision: 'any' }),
    ).rejects.toThrow(RangeError);
    await expect(store.append('user-1', [event('')], { expectedRevision: 'any' })).rejects.toThrow(
      RangeError,
    );
    expect(await store.readAll()).toEqual([]);
    expect(await store.headPosition()).toBe(0);
    await store.close();
  });

  it('caps a page at 10 000 events', async () => {
    const store = openSqliteEventStore({ path });
    await store.append(
      'big',
      Array.from({ length: 10_001 }, () => event('N')),
      { expectedRevision: 'no_stream' },
    );
    expect(await store.readAll()).toHaveLength(1000);
    expect(await store.readAll({ limit: 50_000 })).toHaveLength(10_000);
    await store.close();
  });

  it('catches up asynchronously, page by page, without starving the event loop', async () => {
    const store = openSqliteEventStore({ path });
    for (let i = 0; i < 2; i++) {
      await store.append(
        `bulk-${i}`,
        Array.from({ length: 10_000 }, () => event('N')),
        { expectedRevision: 'no_stream' },
      );
    }
    let delivered = 0;
    const progressSeenByTimers: number[] = [];
    const timer = setInterval(() => progressSeenByTimers.push(delivered), 1);
    const subscription = store.subscribeAll().subscribe(() => delivered++);
    expect(delivered).toBe(0);
    await waitFor(() => delivered === 20_000, 'the catch-up');
    clearInterval(timer);
    subscription.unsubscribe();
    expect(progressSeenByTimers.some((n) => n > 0 && n < 20_000)).toBe(true);
    await store.close();
  });

  it('completes live subscriptions on close', async () => {
    const store = openSqliteEventStore({ path });
    let completed = false;
    store.subscribeAll().subscribe({ complete: () => (completed = true) });
    await store.close();
    expect(completed).toBe(true);
  });
});
