import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  type NewEvent,
  type RecordedEvent,
  WrongExpectedRevisionError,
} from '../../application/ports/eventStore.ts';
import {
  openPostgresEventStore,
  type PostgresEventStore,
} from '../../infrastructure/eventStore/postgresEventStore.ts';
import { freshDatabase, type TestDatabase } from '../kit/postgres.ts';
import { eventStoreContract } from './eventStore.contract.ts';

eventStoreContract('postgres', async () => {
  const database = await freshDatabase();
  const store = await openPostgresEventStore({ url: database.url, pollIntervalMs: 50 });
  return {
    store,
    cleanup: async () => {
      await store.close();
      await database.drop();
    },
  };
});

function event(type: string, data: unknown = {}): NewEvent {
  return {
    id: randomUUID(),
    type,
    data,
    metadata: {
      actorId: null,
      correlationId: randomUUID(),
      causationId: null,
      source: 'system',
      schemaVersion: 1,
      timestamp: new Date().toISOString(),
    },
  };
}

async function waitFor(condition: () => boolean, what: string, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(10);
  }
}

describe('PostgreSQL event store', () => {
  let database: TestDatabase;
  const opened: PostgresEventStore[] = [];
  const clients: pg.Client[] = [];
  const open = async (pollIntervalMs = 50) => {
    const store = await openPostgresEventStore({ url: database.url, pollIntervalMs });
    opened.push(store);
    return store;
  };
  const connect = async () => {
    const client = new pg.Client(database.url);
    await client.connect();
    clients.push(client);
    return client;
  };
  /** Starts an append the way the store does, in a transaction left open: its position is taken, not committed. */
  const appendUncommitted = async (client: pg.Client, stream: string, type: string) => {
    const e = event(type);
    await client.query('BEGIN');
    const { rows } = await client.query('SELECT last_position FROM m3m_append($1, $2, $3, $4, $5, $6, $7)', [
      [stream],
      ['any'],
      [1],
      [e.id],
      [type],
      [JSON.stringify(e.data)],
      [JSON.stringify(e.metadata)],
    ]);
    return Number(rows[0].last_position);
  };

  beforeEach(async () => {
    database = await freshDatabase();
  });
  afterEach(async () => {
    for (const client of clients.splice(0)) await client.end().catch(() => {});
    for (const store of opened.splice(0)) await store.close();
    await database.drop();
  });

  describe('a transaction that commits late is never skipped', () => {
    it('an event committed after a later position stays hidden until then, and is read first', async () => {
      const store = await open();
      const seen: RecordedEvent[] = [];
      const subscription = store.subscribeAll().subscribe((e) => seen.push(e));
      const slow = await connect();

      const early = await appendUncommitted(slow, 'slow-1', 'Early');
      const late = await store.append('fast-1', [event('Late')], { expectedRevision: 'any' });
      expect(late.position).toBeGreaterThan(early);

      // A reader that took `late` now would move its checkpoint past `early` and lose it for good.
      await sleep(300);
      expect(await store.readAll()).toEqual([]);
      expect(await store.headPosition()).toBe(0);
      expect(seen).toEqual([]);

      await slow.query('COMMIT');
      // No notification comes from that transaction: the poll must find it.
      await waitFor(() => seen.length === 2, 'both events');
      subscription.unsubscribe();
      expect(seen.map((e) => [e.type, e.position])).toEqual([
        ['Early', early],
        ['Late', late.position],
      ]);
      expect((await store.readAll()).map((e) => e.type)).toEqual(['Early', 'Late']);
      expect(await store.headPosition()).toBe(late.position);
    });

    it('a checkpoint taken before the late commit still leads to it', async () => {
      const store = await open();
      const first = await store.append('a', [event('First')], { expectedRevision: 'any' });
      const slow = await connect();
      await appendUncommitted(slow, 'b', 'Slow');
      await store.append('c', [event('Fast')], { expectedRevision: 'any' });

      const page = await store.readAll({ fromPosition: 0 });
      expect(page.map((e) => e.type)).toEqual(['First']);
      const checkpoint = page.at(-1)!.position;
      expect(checkpoint).toBe(first.position);

      await slow.query('COMMIT');
      expect((await store.readAll({ fromPosition: checkpoint })).map((e) => e.type)).toEqual([
        'Slow',
        'Fast',
      ]);
    });

    it('an event rolled back leaves a hole that readers pass', async () => {
      const store = await open();
      const slow = await connect();
      const lost = await appendUncommitted(slow, 'b', 'RolledBack');
      const kept = await store.append('c', [event('Kept')], { expectedRevision: 'any' });
      await slow.query('ROLLBACK');
      const all = await store.readAll();
      expect(all.map((e) => e.type)).toEqual(['Kept']);
      expect(all[0]!.position).toBe(kept.position);
      expect(kept.position).toBeGreaterThan(lost);
    });

    it('any open writing transaction delays readers (it might be an append) but loses nothing', async () => {
      const store = await open();
      const other = await connect();
      await other.query('CREATE TABLE scratch (n int)');
      await other.query('BEGIN');
      await other.query('INSERT INTO scratch VALUES (1)');
      const seen: RecordedEvent[] = [];
      const subscription = store.subscribeAll().subscribe((e) => seen.push(e));
      await store.append('a', [event('Waiting')], { expectedRevision: 'any' });
      await sleep(300);
      expect(seen).toEqual([]);
      await other.query('COMMIT');
      await waitFor(() => seen.length === 1, 'the event once the transaction ended');
      subscription.unsubscribe();
    });
  });

  describe('waking subscribers', () => {
    it("another process's append wakes a subscriber through NOTIFY, long before its poll", async () => {
      const server = await open(60_000);
      const other = await open(60_000);
      const seen: RecordedEvent[] = [];
      const subscription = server.subscribeAll().subscribe((e) => seen.push(e));
      // The LISTEN connection is set up asynchronously: wait until it has listened (a fixed pause was too short
      // on a loaded machine, and the 60 s poll then made the test fail).
      const admin = await connect();
      const deadline = Date.now() + 15_000;
      while (Date.now() < deadline) {
        const { rows } = await admin.query(
          "SELECT 1 FROM pg_stat_activity WHERE datname = current_database() AND application_name = 'm3m event feed' AND query LIKE 'LISTEN%' AND state = 'idle'",
        );
        if (rows.length > 0) break;
        await sleep(20);
      }
      const started = Date.now();
      await other.append('x', [event('FromOther')], { expectedRevision: 'any' });
      await waitFor(() => seen.length === 1, 'the notified event', 10_000);
      expect(Date.now() - started).toBeLessThan(10_000);
      subscription.unsubscribe();
    });

    it('polls on when the LISTEN connection is killed, and listens again', async () => {
      const server = await open(50);
      const other = await open(60_000);
      const seen: RecordedEvent[] = [];
      const subscription = server.subscribeAll().subscribe((e) => seen.push(e));
      const admin = await connect();
      const listener = async () =>
        (
          await admin.query<{ pid: number }>(
            "SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND application_name = 'm3m event feed'",
          )
        ).rows;
      const deadline = Date.now() + 10_000;
      while ((await listener()).length === 0 && Date.now() < deadline) await sleep(20);
      const [first] = await listener();
      expect(first).toBeDefined();
      await admin.query('SELECT pg_terminate_backend($1)', [first!.pid]);

      await other.append('x', [event('AfterKill')], { expectedRevision: 'any' });
      await waitFor(() => seen.length === 1, 'the event through the poll');
      const again = Date.now() + 10_000;
      let pids = await listener();
      while ((pids.length === 0 || pids[0]!.pid === first!.pid) && Date.now() < again) {
        await sleep(50);
        pids = await listener();
      }
      expect(pids.map((p) => p.pid)).not.toContain(first!.pid);
      expect(pids).toHaveLength(1);
      subscription.unsubscribe();
    });
  });

  it('two processes racing on one stream with exact revisions all land exactly once', {
    timeout: 120_000,
  }, async () => {
    const stores = [await open(), await open()];
    const writers = 30;
    const writer = async (i: number): Promise<number> => {
      const store = stores[i % 2]!;
      let known = -1;
      for (let attempts = 1; ; attempts++) {
        known = (await store.readStream('hot', { fromRevision: known + 1 })).at(-1)?.revision ?? known;
        try {
          await store.append('hot', [event('Raced', { i })], {
            expectedRevision: known === -1 ? 'no_stream' : known,
          });
          return attempts;
        } catch (error) {
          if (!(error instanceof WrongExpectedRevisionError)) throw error;
        }
      }
    };
    const attempts = await Promise.all(Array.from({ length: writers }, (_, i) => writer(i)));
    const read = await stores[0]!.readStream('hot');
    expect(read.map((e) => e.revision)).toEqual(Array.from({ length: writers }, (_, i) => i));
    expect(read.map((e) => (e.data as { i: number }).i).sort((a, b) => a - b)).toEqual(
      Array.from({ length: writers }, (_, i) => i),
    );
    expect(Math.max(...attempts)).toBeGreaterThan(1);
  });

  describe('an exact expectation meeting a writer in flight on its stream', () => {
    /** Opens a transaction that holds the stream's lock: a guard (no events) or a write of one event. */
    const holdStream = async (client: pg.Client, stream: string, expected: string, write: boolean) => {
      const e = event('Held');
      await client.query('BEGIN');
      await client.query('SELECT * FROM m3m_append($1, $2, $3, $4, $5, $6, $7)', [
        [stream],
        [expected],
        [write ? 1 : 0],
        write ? [e.id] : [],
        write ? [e.type] : [],
        write ? [JSON.stringify(e.data)] : [],
        write ? [JSON.stringify(e.metadata)] : [],
      ]);
    };

    // The flaky "expected revision 0, actual 0": PostgreSQL reports a failed append to its client before the
    // transaction has released its locks, so the next append found the row locked by a writer that was failing,
    // and was refused although its expectation held.
    it('waits for a writer that fails, and succeeds when its expectation still holds', async () => {
      const store = await open();
      await store.append('held', [event('A')], { expectedRevision: 'no_stream' });
      const holder = await connect();
      await holdStream(holder, 'held', '0', false);
      const append = store.append('held', [event('B')], { expectedRevision: 0 });
      const outcome = append.then(
        () => 'settled',
        () => 'settled',
      );
      expect(await Promise.race([outcome, sleep(300).then(() => 'waiting')])).toBe('waiting');
      await holder.query('ROLLBACK');
      expect((await append).nextRevision).toBe(1);
      expect((await store.readStream('held')).map((e) => e.type)).toEqual(['A', 'B']);
    });

    it('loses to a writer that commits, and reports the revision it wrote', async () => {
      const store = await open();
      await store.append('held', [event('A')], { expectedRevision: 'no_stream' });
      const holder = await connect();
      await holdStream(holder, 'held', '0', true);
      const append = store.append('held', [event('B')], { expectedRevision: 0 }).catch((e: unknown) => e);
      await sleep(100);
      await holder.query('COMMIT');
      expect(await append).toMatchObject({ streamId: 'held', expected: 0, actual: 1 });
    });

    it('fails at once when its expectation is already stale', async () => {
      const store = await open();
      await store.append('held', [event('A'), event('B')], { expectedRevision: 'no_stream' });
      const holder = await connect();
      await holdStream(holder, 'held', '1', true);
      const other = await open();
      // Another process's store: it has not seen revision 1 written, so the server must answer.
      const refused = await other
        .append('held', [event('C')], { expectedRevision: 0 })
        .catch((e: unknown) => e);
      expect(refused).toMatchObject({ streamId: 'held', expected: 0, actual: 1 });
      await holder.query('ROLLBACK');
    });
  });

  describe('appendAtomically', () => {
    it('writes to several streams at once, or to none when one expectation fails', async () => {
      const store = await open();
      await store.append('slug-taken', [event('Reserved')], { expectedRevision: 'no_stream' });
      const refused = await store
        .appendAtomically([
          { streamId: 'project-1', events: [event('Created')], expectedRevision: 'no_stream' },
          { streamId: 'slug-taken', events: [event('Reserved')], expectedRevision: 'no_stream' },
        ])
        .catch((e: unknown) => e);
      expect(refused).toBeInstanceOf(WrongExpectedRevisionError);
      expect(refused).toMatchObject({ streamId: 'slug-taken', actual: 0 });
      expect(await store.readStream('project-1')).toEqual([]);

      const results = await store.appendAtomically([
        {
          streamId: 'project-1',
          events: [event('Created'), event('Renamed')],
          expectedRevision: 'no_stream',
        },
        { streamId: 'slug-free', events: [event('Reserved')], expectedRevision: 'no_stream' },
      ]);
      const [project, slug] = [await store.readStream('project-1'), await store.readStream('slug-free')];
      expect(results).toEqual([
        { nextRevision: 1, position: project[1]!.position },
        { nextRevision: 0, position: slug[0]!.position },
      ]);
      expect(slug[0]!.position).toBe(project[1]!.position + 1);
    });

    it('a write without events guards its expectation', async () => {
      const store = await open();
      await store.append('guard', [event('A')], { expectedRevision: 'no_stream' });
      await expect(
        store.appendAtomically([
          { streamId: 'guard', events: [], expectedRevision: 5 },
          { streamId: 'other', events: [event('B')], expectedRevision: 'any' },
        ]),
      ).rejects.toBeInstanceOf(WrongExpectedRevisionError);
      expect(await store.readStream('other')).toEqual([]);
      const [guard, other] = await store.appendAtomically([
        { streamId: 'guard', events: [], expectedRevision: 0 },
        { streamId: 'other', events: [event('B')], expectedRevision: 'any' },
      ]);
      expect(guard!.nextRevision).toBe(0);
      expect(other!.nextRevision).toBe(0);
    });

    it('concurrent reservations of one name: exactly one wins', async () => {
      const stores = [await open(), await open()];
      const outcomes = await Promise.allSettled(
        Array.from({ length: 20 }, (_, i) =>
          stores[i % 2]!.appendAtomically([
            { streamId: `project-${i}`, events: [event('Created', { i })], expectedRevision: 'no_stream' },
            { streamId: 'slug-home', events: [event('Reserved', { i })], expectedRevision: 'no_stream' },
          ]),
        ),
      );
      const won = outcomes.flatMap((o, i) => (o.status === 'fulfilled' ? [i] : []));
      expect(won).toHaveLength(1);
      for (const o of outcomes) {
        if (o.status === 'rejected') expect(o.reason).toBeInstanceOf(WrongExpectedRevisionError);
      }
      const created = (await stores[0]!.readAll()).filter((e) => e.type === 'Created');
      expect(created.map((e) => e.data)).toEqual([{ i: won[0] }]);
    });
  });

  describe('group commit', () => {
    const transactionsOf = async (streams: string[]) => {
      const client = await connect();
      const { rows } = await client.query(
        'SELECT DISTINCT transaction_id::text AS t FROM m3m_events WHERE stream_id = ANY($1)',
        [streams],
      );
      return rows.length;
    };

    it('appends made at once share one transaction; a conflict undoes only its own append', async () => {
      const store = await open();
      const streams = Array.from({ length: 30 }, (_, i) => `group-${i}`);
      await store.append('group-taken', [event('Taken')], { expectedRevision: 'no_stream' });
      const outcomes = await Promise.allSettled([
        ...streams.map((s, i) =>
          store.append(s, [event('A', { i }), event('B', { i })], { expectedRevision: 'no_stream' }),
        ),
        store.append('group-taken', [event('Lost')], { expectedRevision: 'no_stream' }),
        store.appendAtomically([
          { streamId: 'group-atomic', events: [event('Never')], expectedRevision: 'no_stream' },
          { streamId: 'group-taken', events: [], expectedRevision: 'no_stream' },
        ]),
      ]);
      expect(outcomes.slice(0, 30).every((o) => o.status === 'fulfilled')).toBe(true);
      for (const lost of outcomes.slice(30)) {
        expect((lost as PromiseRejectedResult).reason).toBeInstanceOf(WrongExpectedRevisionError);
      }
      expect(await store.readStream('group-atomic')).toEqual([]);
      expect((await store.readStream('group-taken')).map((e) => e.type)).toEqual(['Taken']);
      // One transaction for the thirty (two at most: a group may start while the first is being queued).
      expect(await transactionsOf(streams)).toBeLessThanOrEqual(2);
      const results = outcomes
        .slice(0, 30)
        .map((o) => (o as PromiseFulfilledResult<{ position: number }>).value);
      for (const [i, stream] of streams.entries()) {
        const read = await store.readStream(stream);
        expect(read.map((e) => [e.type, e.revision, e.data])).toEqual([
          ['A', 0, { i }],
          ['B', 1, { i }],
        ]);
        expect(results[i]!.position).toBe(read[1]!.position);
      }
      const all = await store.readAll({ limit: 10_000 });
      expect(all.map((e) => e.position)).toEqual([...all.map((e) => e.position)].sort((a, b) => a - b));
    });

    it('two processes appending in groups at once: $all read live has every event once, in order', async () => {
      const [a, b] = [await open(), await open()];
      const reader = await open();
      const seen: RecordedEvent[] = [];
      const subscription = reader.subscribeAll().subscribe((e) => seen.push(e));
      const writes: Promise<unknown>[] = [];
      for (let round = 0; round < 20; round++) {
        for (const [n, store] of [a, b].entries()) {
          for (let k = 0; k < 10; k++) {
            writes.push(
              store.append(`live-${n}-${k}`, [event('E', { n, k, round })], { expectedRevision: 'any' }),
            );
          }
        }
        await sleep(1);
      }
      await Promise.all(writes);
      await waitFor(() => seen.length >= 400, 'every event');
      subscription.unsubscribe();
      expect(seen).toHaveLength(400);
      const positions = seen.map((e) => e.position);
      expect(new Set(positions).size).toBe(400);
      expect(positions).toEqual([...positions].sort((x, y) => x - y));
    });
  });

  describe('schema', () => {
    it('is migrated once, by one of several processes starting together, and reopens as is', async () => {
      const stores = await Promise.all([open(), open(), open()]);
      await stores[0]!.append('s', [event('A')], { expectedRevision: 'no_stream' });
      const admin = await connect();
      const { rows } = await admin.query(
        "SELECT version, name FROM m3m_schema_migrations WHERE component = 'event_store' ORDER BY version",
      );
      expect(rows).toEqual([
        { version: 1, name: expect.any(String) },
        { version: 2, name: expect.any(String) },
        { version: 3, name: expect.any(String) },
      ]);
      const reopened = await open();
      expect((await reopened.readStream('s')).map((e) => e.type)).toEqual(['A']);
    });

    it('refuses a schema newer than this m3m knows', async () => {
      await open();
      const admin = await connect();
      await admin.query(
        "INSERT INTO m3m_schema_migrations (component, version, name) VALUES ('event_store', 99, 'from the future')",
      );
      await expect(openPostgresEventStore({ url: database.url })).rejects.toThrow(/version 99, newer/);
    });

    it('fails with the reason when the server cannot be reached', async () => {
      const url = new URL(database.url);
      url.port = '1';
      await expect(openPostgresEventStore({ url: url.toString() })).rejects.toThrow(/ECONNREFUSED/);
    });
  });
});
