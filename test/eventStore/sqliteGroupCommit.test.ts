import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type NewEvent, WrongExpectedRevisionError } from '../../application/ports/eventStore.ts';
import {
  openSqliteEventStore,
  type SqliteEventStore,
} from '../../infrastructure/eventStore/sqliteEventStore.ts';

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

describe('SQLite event store: group commit', () => {
  let dir: string;
  let path: string;
  let store: SqliteEventStore;

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'm3m-group-'));
    path = join(dir, 'events.sqlite');
    store = openSqliteEventStore({ path });
  });
  afterEach(async () => {
    await store.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('appends of one turn commit together; one expected-revision conflict fails alone', async () => {
    await store.append('s-conflict', [event('A')], { expectedRevision: 'no_stream' });
    const appends = [
      store.append('s-1', [event('A')], { expectedRevision: 'no_stream' }),
      store.append('s-conflict', [event('B')], { expectedRevision: 5 }),
      store.append('s-2', [event('A'), event('B')], { expectedRevision: 'no_stream' }),
      store.append('s-conflict', [event('C')], { expectedRevision: 0 }),
    ];
    const outcomes = await Promise.allSettled(appends);
    expect(outcomes.map((o) => o.status)).toEqual(['fulfilled', 'rejected', 'fulfilled', 'fulfilled']);
    expect((outcomes[1] as PromiseRejectedResult).reason).toBeInstanceOf(WrongExpectedRevisionError);
    // In call order, with the refused append leaving nothing behind.
    const positions = outcomes.flatMap((o) => (o.status === 'fulfilled' ? [o.value.position] : []));
    expect(positions).toEqual([...positions].sort((a, b) => a - b));
    expect((await store.readStream('s-conflict')).map((e) => e.type)).toEqual(['A', 'C']);
    expect((await store.readStream('s-2')).map((e) => e.revision)).toEqual([0, 1]);
    expect((await store.readAll()).map((e) => `${e.streamId}:${e.type}`)).toEqual([
      's-conflict:A',
      's-1:A',
      's-2:A',
      's-2:B',
      's-conflict:C',
    ]);
    // The tamper-evidence chain links exactly the events that stayed, in order (ADR 0021).
    expect(store.verifyChain()).toMatchObject({ intact: true, checked: 5 });
  });

  it('an append that cannot be stored (its data does not serialize) does not sink the others of its group', async () => {
    const bad = { big: 1n };
    const outcomes = await Promise.allSettled([
      store.append('ok-1', [event('A')], { expectedRevision: 'any' }),
      store.append('bad', [event('A'), event('B', bad)], { expectedRevision: 'any' }),
      store.append('ok-2', [event('A')], { expectedRevision: 'any' }),
    ]);
    expect(outcomes.map((o) => o.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect(await store.readStream('bad')).toEqual([]);
    expect((await store.readAll()).map((e) => e.streamId)).toEqual(['ok-1', 'ok-2']);
    expect(store.verifyChain()).toMatchObject({ intact: true, checked: 2 });
  });

  it('answers each caller only once its events are committed: another connection already reads them', async () => {
    const other = new DatabaseSync(path, { readOnly: true });
    try {
      const seen: number[] = [];
      await Promise.all(
        Array.from({ length: 50 }, (_, i) =>
          store
            .append(`d-${i % 7}`, [event('Durable', { i })], { expectedRevision: 'any' })
            .then((result) => {
              // Read through a separate connection at the moment this caller hears back.
              const row = other
                .prepare('SELECT position FROM events WHERE position = ?')
                .get(result.position);
              if (row) seen.push(result.position);
            }),
        ),
      );
      expect(seen).toHaveLength(50);
    } finally {
      other.close();
    }
  });

  it('expected revisions hold against appends by another connection to the same streams (remembered heads)', async () => {
    const other = openSqliteEventStore({ path });
    try {
      await store.append('shared', [event('A')], { expectedRevision: 'no_stream' });
      // The other connection appends to the stream this one remembers at revision 0.
      await other.append('shared', [event('B')], { expectedRevision: 0 });
      await expect(store.append('shared', [event('C')], { expectedRevision: 0 })).rejects.toBeInstanceOf(
        WrongExpectedRevisionError,
      );
      await expect(
        store.append('shared', [event('C')], { expectedRevision: 'no_stream' }),
      ).rejects.toBeInstanceOf(WrongExpectedRevisionError);
      expect(await store.append('shared', [event('C')], { expectedRevision: 1 })).toMatchObject({
        nextRevision: 2,
      });
      // A stream the other connection made after this one looked it up (and found nothing).
      await store.append('late', [event('A')], { expectedRevision: 'no_stream' }).catch(() => undefined);
      await other.append('late', [event('B')], { expectedRevision: 0 });
      await expect(store.append('late', [event('C')], { expectedRevision: 0 })).rejects.toBeInstanceOf(
        WrongExpectedRevisionError,
      );
      await Promise.all([
        store.append('late', [event('C')], { expectedRevision: 1 }),
        other.append('shared', [event('D')], { expectedRevision: 2 }),
      ]);
      expect((await other.readStream('shared')).map((e) => e.type)).toEqual(['A', 'B', 'C', 'D']);
      expect((await store.readStream('late')).map((e) => e.revision)).toEqual([0, 1, 2]);
      // Both connections' links form one chain.
      expect(store.verifyChain()).toMatchObject({ intact: true, checked: 7 });
    } finally {
      await other.close();
    }
  });

  it('closing the store writes the appends already accepted', async () => {
    const pending = store.append('late', [event('A')], { expectedRevision: 'no_stream' });
    await store.close();
    await expect(pending).resolves.toMatchObject({ nextRevision: 0 });
    const reopened = openSqliteEventStore({ path });
    try {
      expect((await reopened.readStream('late')).map((e) => e.type)).toEqual(['A']);
    } finally {
      await reopened.close();
    }
  });

  it('a live subscription receives every event of a group, in order', async () => {
    const received: string[] = [];
    const subscription = store.subscribeAll().subscribe((e) => received.push(e.streamId));
    try {
      await Promise.all(
        Array.from({ length: 20 }, (_, i) =>
          store.append(`w-${i}`, [event('W')], { expectedRevision: 'any' }),
        ),
      );
      const deadline = Date.now() + 10_000;
      while (received.length < 20 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
      expect(received).toEqual(Array.from({ length: 20 }, (_, i) => `w-${i}`));
    } finally {
      subscription.unsubscribe();
    }
  });
});

describe('SQLite event store: files from before', () => {
  it('opens a file whose events table has AUTOINCREMENT (the old format) and appends after its events', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'm3m-oldformat-'));
    const path = join(dir, 'events.sqlite');
    try {
      const old = new DatabaseSync(path);
      old.exec(`CREATE TABLE events (
        position INTEGER PRIMARY KEY AUTOINCREMENT,
        stream_id TEXT NOT NULL, revision INTEGER NOT NULL, id TEXT NOT NULL, type TEXT NOT NULL,
        data TEXT NOT NULL, metadata TEXT NOT NULL, UNIQUE (stream_id, revision)) STRICT`);
      const insert = old.prepare(
        'INSERT INTO events (stream_id, revision, id, type, data, metadata) VALUES (?, ?, ?, ?, ?, ?)',
      );
      for (let i = 0; i < 3; i++) {
        const e = event('Old', { i });
        insert.run('old', i, randomUUID(), e.type, JSON.stringify(e.data), JSON.stringify(e.metadata));
      }
      old.close();

      const store = openSqliteEventStore({ path });
      try {
        expect((await store.readStream('old')).map((e) => e.data)).toEqual([{ i: 0 }, { i: 1 }, { i: 2 }]);
        const appended = await store.append('old', [event('New')], { expectedRevision: 2 });
        expect(appended).toEqual({ nextRevision: 3, position: 4 });
        expect((await store.readAll()).map((e) => e.position)).toEqual([1, 2, 3, 4]);
        expect(store.verifyChain()).toMatchObject({ intact: true, checked: 4 });
      } finally {
        await store.close();
      }
      const check = new DatabaseSync(path, { readOnly: true });
      try {
        // Still the old table: nothing was migrated behind the operator's back.
        const sql = (
          check.prepare("SELECT sql FROM sqlite_schema WHERE name = 'events'").get() as { sql: string }
        ).sql;
        expect(sql).toContain('AUTOINCREMENT');
      } finally {
        check.close();
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('a new file has no AUTOINCREMENT, and positions keep growing across reopenings', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'm3m-newformat-'));
    const path = join(dir, 'events.sqlite');
    try {
      let store = openSqliteEventStore({ path });
      await store.append('a', [event('A'), event('B')], { expectedRevision: 'any' });
      await store.close();
      store = openSqliteEventStore({ path });
      expect((await store.append('b', [event('C')], { expectedRevision: 'any' })).position).toBe(3);
      await store.close();
      const check = new DatabaseSync(path, { readOnly: true });
      try {
        const sql = (
          check.prepare("SELECT sql FROM sqlite_schema WHERE name = 'events'").get() as { sql: string }
        ).sql;
        expect(sql).not.toContain('AUTOINCREMENT');
      } finally {
        check.close();
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
