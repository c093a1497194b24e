import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { NewEvent } from '../../application/ports/eventStore.ts';
import { decodeCompact, encodeCompact, type KeyLists } from '../../infrastructure/eventStore/compactJson.ts';
import { openSqliteEventStore } from '../../infrastructure/eventStore/sqliteEventStore.ts';

/** Key lists in memory, as the store keeps them in `event_keys`. */
function memoryKeyLists(): KeyLists {
  const ids = new Map<string, number>();
  const lists: string[][] = [];
  return {
    idOf: (joined) => {
      let id = ids.get(joined);
      if (id === undefined) {
        id = lists.length;
        ids.set(joined, id);
        lists.push(joined === '' ? [] : joined.split('\u0000'));
      }
      return id;
    },
    keysOf: (id) => lists[id]!,
  };
}

const exactValues: unknown[] = [
  null,
  true,
  false,
  0,
  -0,
  1,
  -1,
  127,
  128,
  2 ** 31,
  Number.MAX_SAFE_INTEGER,
  -Number.MAX_SAFE_INTEGER,
  2 ** 60,
  0.1,
  -1.5e-300,
  '',
  'plain',
  'ünïcödé ✓ 😀',
  '0a0b0c0d-1e1f-4a4b-8c8d-9e9fa0a1a2a3',
  '0A0B0C0D-1E1F-4A4B-8C8D-9E9FA0A1A2A3',
  '0a0b0c0d-1e1f-4a4b-8c8d-9e9fa0a1a2a', // 35 characters
  '2026-12-02',
  '2026-02-30', // no such day: kept as text
  '1969-12-31',
  '2026-12-02T14:55:03.123Z',
  '2026-12-02T14:55:03Z',
  '2026-12-02T14:55:03.123+00:00',
  '1900-01-01T00:00:00.000Z',
  [],
  [1, 'two', null, [3], { four: 4 }],
  {},
  { b: 1, a: 2, '10': 'numeric keys first, as JSON.parse does', nested: { deep: [{ x: null }] } },
  { 'key with spaces': 1, '': 'empty key', ключ: 'значение' },
  {
    goalId: randomUUID(),
    by: 1,
    day: '2026-12-02',
    projectId: null,
  },
];

const refusedValues: unknown[] = [
  undefined,
  { a: undefined },
  [1, undefined],
  new Date(),
  Number.NaN,
  Number.POSITIVE_INFINITY,
  'lone \ud800 surrogate',
  JSON.parse('{"__proto__": 1}'),
  new Map(),
  { toJSON: () => 'x' },
];

describe('compact JSON', () => {
  it('gives back exactly the JSON text of what it encoded, key order included', () => {
    const keyLists = memoryKeyLists();
    for (const value of exactValues) {
      const bytes = encodeCompact(value, keyLists);
      expect(bytes, JSON.stringify(value)).not.toBeNull();
      expect(JSON.stringify(decodeCompact(bytes!, keyLists))).toBe(JSON.stringify(value));
    }
    const all = encodeCompact(exactValues, keyLists)!;
    expect(JSON.stringify(decodeCompact(all, keyLists))).toBe(JSON.stringify(exactValues));
  });

  it('refuses what it could not give back exactly (the store keeps the JSON text then)', () => {
    const keyLists = memoryKeyLists();
    for (const value of refusedValues) expect(encodeCompact(value, keyLists)).toBeNull();
    expect(encodeCompact({ inside: [{ at: new Date() }] }, keyLists)).toBeNull();
  });

  it('writes keys inline when the store has no more room for key lists', () => {
    const inline: KeyLists = { idOf: () => null, keysOf: () => [] };
    const value = { b: 1, a: { c: [true] } };
    expect(JSON.stringify(decodeCompact(encodeCompact(value, inline)!, inline))).toBe(JSON.stringify(value));
  });

  it('is a fraction of the JSON text of a goal increment', () => {
    const keyLists = memoryKeyLists();
    const data = { goalId: randomUUID(), by: 1, day: '2026-12-02', projectId: randomUUID() };
    expect(encodeCompact(data, keyLists)!.byteLength).toBeLessThan(JSON.stringify(data).length / 2.5);
  });
});

/** A file as m3m made it before ADR 0024: every field of a row as text. */
function textLayoutFile(path: string): void {
  const db = new DatabaseSync(path);
  db.exec(`CREATE TABLE events (
    position INTEGER PRIMARY KEY, stream_id TEXT NOT NULL, revision INTEGER NOT NULL, id TEXT NOT NULL,
    type TEXT NOT NULL, data TEXT NOT NULL, metadata TEXT NOT NULL, UNIQUE (stream_id, revision)) STRICT`);
  db.close();
}

describe('SQLite event store: compact rows and text rows', () => {
  let dir: string;

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'm3m-compact-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  const events = (): { stream: string; event: NewEvent }[] => {
    const goal = randomUUID();
    const meta = (i: number, extra: object = {}) => ({
      actorId: i % 2 === 0 ? null : randomUUID(),
      correlationId: i % 3 === 0 ? `not-a-uuid-${i}` : randomUUID(),
      causationId: null,
      source: 'api',
      schemaVersion: 1,
      timestamp: new Date(Date.UTC(2026, 11, 2, 0, 0, i)).toISOString(),
      ...extra,
    });
    return [
      ...exactValues.map((data, i) => ({
        stream: `goal-increments-${goal}`,
        event: {
          id: randomUUID(),
          type: 'GoalIncremented',
          data,
          metadata: meta(i, { requestId: `req-${i}` }),
        },
      })),
      // Values compact JSON refuses are stored as JSON text, as before.
      {
        stream: 'odd',
        event: {
          id: 'an id that is no uuid',
          type: 'Odd',
          data: { at: new Date(0), gone: undefined },
          metadata: meta(1),
        },
      },
      { stream: 'odd', event: { type: 'Odd', data: 'lone \ud800 surrogate', metadata: meta(2) } },
      {
        stream: `user-${randomUUID()}`,
        event: { type: 'UserRegistered', data: { name: 'A' }, metadata: meta(4) },
      },
    ].map(({ stream, event }) => ({ stream, event: { ...event, id: event.id ?? randomUUID() } }));
  };

  it('reads back the same events from either layout, and the chain has the same head in both', async () => {
    const script = events();
    const textPath = join(dir, 'text.sqlite');
    textLayoutFile(textPath);
    const text = openSqliteEventStore({ path: textPath });
    const compact = openSqliteEventStore({ path: join(dir, 'compact.sqlite') });
    try {
      expect(text.layout).toBe('text');
      expect(compact.layout).toBe('compact');
      for (const store of [text, compact]) {
        for (const { stream, event } of script)
          await store.append(stream, [event], { expectedRevision: 'any' });
      }
      const same = async (read: (store: typeof text) => Promise<unknown>) => {
        const [a, b] = [await read(text), await read(compact)];
        // JSON text, not deep equality: the key order must be the same too.
        expect(JSON.stringify(b)).toBe(JSON.stringify(a));
        return b;
      };
      const all = (await same((s) => s.readAll())) as { type: string }[];
      expect(all).toHaveLength(script.length);
      await same((s) => s.readStream(script[0]!.stream, { fromRevision: 3, limit: 5 }));
      await same((s) => s.readStream('odd'));
      await same((s) => s.readStream('nothing here'));
      await same((s) => s.readEvent('odd', 1));
      await same((s) => s.readAll({ filter: { eventTypes: ['Odd', 'UserRegistered', 'NeverStored'] } }));
      await same((s) => s.readAll({ filter: { eventTypes: ['NeverStored'] } }));
      await same((s) => s.readAll({ filter: { streamPrefixes: ['user-', 'od'] } }));
      await same((s) => s.readAll({ fromPosition: 5, limit: 7 }));
      await same((s) => s.headPosition());
      const [a, b] = [text.verifyChain(), compact.verifyChain()];
      expect(a).toMatchObject({ intact: true, checked: script.length });
      expect(b).toEqual(a);
    } finally {
      await text.close();
      await compact.close();
    }
  });

  it('an append whose data does not serialize fails alone; names it interned are kept or dropped cleanly', async () => {
    const path = join(dir, 'events.sqlite');
    const store = openSqliteEventStore({ path });
    try {
      const meta = events()[0]!.event.metadata;
      const outcomes = await Promise.allSettled([
        store.append('fine-1', [{ type: 'Fine', data: { a: 1 }, metadata: meta }], {
          expectedRevision: 'any',
        }),
        store.append('broken', [{ type: 'Broken', data: { n: 1n }, metadata: meta }], {
          expectedRevision: 'any',
        }),
        store.append('fine-2', [{ type: 'Fine', data: { b: 2 }, metadata: meta }], { expectedRevision: 99 }),
        store.append('fine-3', [{ type: 'Also', data: { c: 3 }, metadata: meta }], {
          expectedRevision: 'any',
        }),
      ]);
      expect(outcomes.map((o) => o.status)).toEqual(['fulfilled', 'rejected', 'rejected', 'fulfilled']);
      expect((await store.readAll()).map((e) => [e.streamId, e.type, e.data])).toEqual([
        ['fine-1', 'Fine', { a: 1 }],
        ['fine-3', 'Also', { c: 3 }],
      ]);
      expect(await store.readStream('fine-2')).toEqual([]);
      expect(store.verifyChain()).toMatchObject({ intact: true, checked: 2 });
    } finally {
      await store.close();
    }
    // Another process sees what this one interned.
    const again = openSqliteEventStore({ path });
    try {
      expect((await again.readAll({ filter: { eventTypes: ['Also'] } })).map((e) => e.streamId)).toEqual([
        'fine-3',
      ]);
    } finally {
      await again.close();
    }
  });
});
