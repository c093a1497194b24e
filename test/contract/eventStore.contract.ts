import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Observable } from 'rxjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type EventMetadata,
  type EventStore,
  type ExpectedRevision,
  InvalidPositionError,
  type NewEvent,
  type RecordedEvent,
  WrongExpectedRevisionError,
} from '../../application/ports/eventStore.ts';

export type OpenEventStore = () => Promise<{ store: EventStore; cleanup: () => Promise<void> }>;

function metadata(overrides: Partial<EventMetadata> = {}): EventMetadata {
  return {
    actorId: null,
    correlationId: randomUUID(),
    causationId: null,
    source: 'system',
    schemaVersion: 1,
    timestamp: new Date().toISOString(),
    ...overrides,
  };
}

function event(type: string, data: unknown = {}, id: string = randomUUID()): NewEvent {
  return { id, type, data, metadata: metadata() };
}

/** A stream-name prefix no other test (or earlier run against a shared server) uses. */
function uniquePrefix(): string {
  return `t${randomUUID().replaceAll('-', '')}-`;
}

async function waitFor(condition: () => boolean, what: string, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(10);
  }
}

function record(observable: Observable<RecordedEvent>) {
  const events: RecordedEvent[] = [];
  const errors: unknown[] = [];
  const subscription = observable.subscribe({ next: (e) => events.push(e), error: (e) => errors.push(e) });
  return { events, errors, subscription };
}

async function conflict(promise: Promise<unknown>): Promise<WrongExpectedRevisionError> {
  const error = await promise.then(
    () => null,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(WrongExpectedRevisionError);
  return error as WrongExpectedRevisionError;
}

function expectStrictlyIncreasing(positions: number[]): void {
  for (let i = 1; i < positions.length; i++) expect(positions[i]).toBeGreaterThan(positions[i - 1]!);
}

export function eventStoreContract(name: string, open: OpenEventStore): void {
  describe(`EventStore contract: ${name}`, () => {
    let store: EventStore;
    let cleanup: () => Promise<void>;

    beforeAll(async () => {
      ({ store, cleanup } = await open());
    });
    afterAll(async () => {
      await cleanup?.();
    });

    describe('append', () => {
      it('no_stream creates the stream, then conflicts', async () => {
        const stream = `${uniquePrefix()}a`;
        const first = await store.append(stream, [event('Created')], { expectedRevision: 'no_stream' });
        expect(first.nextRevision).toBe(0);

        const error = await conflict(
          store.append(stream, [event('Again')], { expectedRevision: 'no_stream' }),
        );
        expect(error).toMatchObject({ streamId: stream, expected: 'no_stream', actual: 0 });
        expect((await store.readStream(stream)).map((e) => e.type)).toEqual(['Created']);
      });

      it('stream_exists conflicts on a missing stream, writing nothing', async () => {
        const stream = `${uniquePrefix()}a`;
        const error = await conflict(
          store.append(stream, [event('X')], { expectedRevision: 'stream_exists' }),
        );
        expect(error.actual).toBeNull();
        expect(await store.readStream(stream)).toEqual([]);

        await store.append(stream, [event('A')], { expectedRevision: 'any' });
        const result = await store.append(stream, [event('B')], { expectedRevision: 'stream_exists' });
        expect(result.nextRevision).toBe(1);
      });

      it('an exact revision must match the last event', async () => {
        const stream = `${uniquePrefix()}a`;
        const missing = await conflict(store.append(stream, [event('X')], { expectedRevision: 0 }));
        expect(missing.actual).toBeNull();

        await store.append(stream, [event('A'), event('B')], { expectedRevision: 'no_stream' });
        const ok = await store.append(stream, [event('C')], { expectedRevision: 1 });
        expect(ok.nextRevision).toBe(2);

        for (const stale of [0, 1, 3, 10] satisfies ExpectedRevision[]) {
          const error = await conflict(store.append(stream, [event('Lost')], { expectedRevision: stale }));
          expect(error).toMatchObject({ streamId: stream, expected: stale, actual: 2 });
        }
        expect((await store.readStream(stream)).map((e) => e.type)).toEqual(['A', 'B', 'C']);
      });

      it('any appends whether or not the stream exists', async () => {
        const stream = `${uniquePrefix()}a`;
        expect((await store.append(stream, [event('A')], { expectedRevision: 'any' })).nextRevision).toBe(0);
        expect((await store.append(stream, [event('B')], { expectedRevision: 'any' })).nextRevision).toBe(1);
      });

      it('a conflicting multi-event append writes none of its events', async () => {
        const stream = `${uniquePrefix()}a`;
        await store.append(stream, [event('A')], { expectedRevision: 'no_stream' });
        const head = await store.headPosition();
        await conflict(store.append(stream, [event('X'), event('Y'), event('Z')], { expectedRevision: 5 }));
        expect(await store.readStream(stream)).toHaveLength(1);
        expect(await store.headPosition()).toBe(head);
      });

      it('appends several events atomically with consecutive revisions and rising positions', async () => {
        const stream = `${uniquePrefix()}a`;
        const ids = [randomUUID(), randomUUID(), randomUUID()];
        const result = await store.append(
          stream,
          ids.map((id, i) => event(`E${i}`, { i }, id)),
          { expectedRevision: 'no_stream' },
        );
        const read = await store.readStream(stream);
        expect(read.map((e) => [e.id, e.revision, e.data])).toEqual(ids.map((id, i) => [id, i, { i }]));
        expectStrictlyIncreasing(read.map((e) => e.position));
        expect(result).toEqual({ nextRevision: 2, position: read[2]!.position });
      });

      it('generates an id when none is given', async () => {
        const stream = `${uniquePrefix()}a`;
        await store.append(stream, [{ type: 'NoId', data: {}, metadata: metadata() }], {
          expectedRevision: 'any',
        });
        const [read] = await store.readStream(stream);
        expect(read!.id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i);
      });

      it('an empty append only checks the expectation', async () => {
        const stream = `${uniquePrefix()}a`;
        expect(await store.append(stream, [], { expectedRevision: 'no_stream' })).toEqual({
          nextRevision: -1,
          position: 0,
        });
        await conflict(store.append(stream, [], { expectedRevision: 'stream_exists' }));
        const written = await store.append(stream, [event('A'), event('B')], {
          expectedRevision: 'no_stream',
        });
        expect(await store.append(stream, [], { expectedRevision: 1 })).toEqual(written);
        expect((await conflict(store.append(stream, [], { expectedRevision: 0 }))).actual).toBe(1);
        expect(await store.readStream(stream)).toHaveLength(2);
      });
    });

    describe('appendAtomically (where the store offers it)', () => {
      const atomic = () => {
        if (!store.appendAtomically) throw new Error('unreachable');
        return store.appendAtomically.bind(store);
      };
      const offered = () => store.appendAtomically !== undefined;

      it('writes every stream or none, and names the stream whose expectation failed', async ({ skip }) => {
        if (!offered()) skip();
        const [a, b] = [`${uniquePrefix()}a`, `${uniquePrefix()}b`];
        await store.append(b, [event('Taken')], { expectedRevision: 'no_stream' });
        const error = await conflict(
          atomic()([
            { streamId: a, events: [event('A1'), event('A2')], expectedRevision: 'no_stream' },
            { streamId: b, events: [event('B1')], expectedRevision: 'no_stream' },
          ]),
        );
        expect(error).toMatchObject({ streamId: b, expected: 'no_stream', actual: 0 });
        expect(await store.readStream(a)).toEqual([]);

        const results = await atomic()([
          { streamId: a, events: [event('A1'), event('A2')], expectedRevision: 'no_stream' },
          { streamId: b, events: [event('B1')], expectedRevision: 0 },
        ]);
        expect(results.map((r) => r.nextRevision)).toEqual([1, 1]);
        const [readA, readB] = [await store.readStream(a), await store.readStream(b)];
        expect(readA.map((e) => e.type)).toEqual(['A1', 'A2']);
        expect(readB.map((e) => e.type)).toEqual(['Taken', 'B1']);
        expect(results.map((r) => r.position)).toEqual([readA[1]!.position, readB[1]!.position]);
        expectStrictlyIncreasing([readA[0]!.position, readA[1]!.position, readB[1]!.position]);
      });

      it('a write without events only guards its expectation', async ({ skip }) => {
        if (!offered()) skip();
        const [guard, target] = [`${uniquePrefix()}g`, `${uniquePrefix()}t`];
        await conflict(
          atomic()([
            { streamId: guard, events: [], expectedRevision: 'stream_exists' },
            { streamId: target, events: [event('T')], expectedRevision: 'no_stream' },
          ]),
        );
        expect(await store.readStream(target)).toEqual([]);
        const [guarded, written] = await atomic()([
          { streamId: guard, events: [], expectedRevision: 'no_stream' },
          { streamId: target, events: [event('T')], expectedRevision: 'no_stream' },
        ]);
        expect(guarded!.nextRevision).toBe(-1);
        expect(written!.nextRevision).toBe(0);
        expect(await store.readStream(guard)).toEqual([]);
      });

      it('of appends racing for one reservation exactly one writes, with its other stream', async ({
        skip,
      }) => {
        if (!offered()) skip();
        const prefix = uniquePrefix();
        const reservation = `${prefix}slug`;
        const outcomes = await Promise.allSettled(
          Array.from({ length: 8 }, (_, i) =>
            atomic()([
              { streamId: reservation, events: [event('Reserved', { i })], expectedRevision: 'no_stream' },
              { streamId: `${prefix}holder-${i}`, events: [event('Created')], expectedRevision: 'no_stream' },
            ]),
          ),
        );
        const won = outcomes.flatMap((o, i) => (o.status === 'fulfilled' ? [i] : []));
        expect(won).toHaveLength(1);
        for (const o of outcomes) {
          if (o.status === 'rejected') expect(o.reason).toBeInstanceOf(WrongExpectedRevisionError);
        }
        expect((await store.readStream(reservation)).map((e) => e.data)).toEqual([{ i: won[0] }]);
        for (let i = 0; i < 8; i++) {
          expect(await store.readStream(`${prefix}holder-${i}`)).toHaveLength(i === won[0] ? 1 : 0);
        }
      });

      it('refuses the same stream twice and reserved types, writing nothing', async ({ skip }) => {
        if (!offered()) skip();
        const stream = `${uniquePrefix()}a`;
        await expect(
          atomic()([
            { streamId: stream, events: [event('A')], expectedRevision: 'any' },
            { streamId: stream, events: [event('B')], expectedRevision: 'any' },
          ]),
        ).rejects.toThrow(RangeError);
        await expect(
          atomic()([{ streamId: stream, events: [event('$x')], expectedRevision: 'any' }]),
        ).rejects.toThrow(RangeError);
        expect(await store.readStream(stream)).toEqual([]);
      });
    });

    describe('readStream', () => {
      it('reads in revision order from a revision, with a limit', async () => {
        const stream = `${uniquePrefix()}a`;
        await store.append(
          stream,
          Array.from({ length: 10 }, (_, i) => event('N', { i })),
          { expectedRevision: 'no_stream' },
        );
        expect((await store.readStream(stream)).map((e) => e.revision)).toEqual([
          0, 1, 2, 3, 4, 5, 6, 7, 8, 9,
        ]);
        expect((await store.readStream(stream, { fromRevision: 7 })).map((e) => e.data)).toEqual([
          { i: 7 },
          { i: 8 },
          { i: 9 },
        ]);
        expect(
          (await store.readStream(stream, { fromRevision: 2, limit: 3 })).map((e) => e.revision),
        ).toEqual([2, 3, 4]);
        expect(await store.readStream(stream, { fromRevision: 10 })).toEqual([]);
      });

      it('reads an unknown stream as empty', async () => {
        expect(await store.readStream(`${uniquePrefix()}nothing`)).toEqual([]);
      });
    });

    describe('readAll', () => {
      it('returns events in position order and pages with an exclusive fromPosition', async () => {
        const prefix = uniquePrefix();
        const start = await store.headPosition();
        const ids: string[] = [];
        for (let i = 0; i < 12; i++) {
          const id = randomUUID();
          ids.push(id);
          await store.append(`${prefix}${i % 3}`, [event('Paged', { i }, id)], { expectedRevision: 'any' });
        }

        const all = await store.readAll({ fromPosition: start });
        expectStrictlyIncreasing(all.map((e) => e.position));
        expect(all.filter((e) => e.streamId.startsWith(prefix)).map((e) => e.id)).toEqual(ids);

        const paged: RecordedEvent[] = [];
        let from = start;
        for (;;) {
          const page = await store.readAll({
            fromPosition: from,
            limit: 5,
            filter: { streamPrefixes: [prefix] },
          });
          expect(page.length).toBeLessThanOrEqual(5);
          if (page.length === 0) break;
          expect(page[0]!.position).toBeGreaterThan(from);
          paged.push(...page);
          from = page.at(-1)!.position;
        }
        expect(paged.map((e) => e.id)).toEqual(ids);
      });

      it('filters by event type and by stream prefix, exactly and case-sensitively', async () => {
        const prefix = uniquePrefix();
        // `%` and `_` are LIKE wildcards: a prefix must match them literally.
        const odd = `${prefix}a%_`;
        const start = await store.headPosition();
        await store.append(`${odd}1`, [event('Kept'), event('Other')], { expectedRevision: 'any' });
        await store.append(`${prefix}aXY1`, [event('Kept')], { expectedRevision: 'any' });
        await store.append(`${prefix.toUpperCase()}A%_1`, [event('Kept')], { expectedRevision: 'any' });
        await store.append(`${prefix}b`, [event('Kept'), event('kept'), event('KeptToo')], {
          expectedRevision: 'any',
        });

        const byPrefix = await store.readAll({ fromPosition: start, filter: { streamPrefixes: [odd] } });
        expect(byPrefix.map((e) => [e.streamId, e.type])).toEqual([
          [`${odd}1`, 'Kept'],
          [`${odd}1`, 'Other'],
        ]);

        const byType = await store.readAll({ fromPosition: start, filter: { eventTypes: ['Kept'] } });
        expect(byType.filter((e) => e.streamId.startsWith(prefix)).map((e) => e.streamId)).toEqual([
          `${odd}1`,
          `${prefix}aXY1`,
          `${prefix}b`,
        ]);

        const both = await store.readAll({
          fromPosition: start,
          filter: { eventTypes: ['Kept', 'KeptToo'], streamPrefixes: [`${prefix}b`, odd] },
        });
        expect(both.map((e) => [e.streamId, e.type])).toEqual([
          [`${odd}1`, 'Kept'],
          [`${prefix}b`, 'Kept'],
          [`${prefix}b`, 'KeptToo'],
        ]);
      });

      it('clamps the page size and rejects a non-positive one', async () => {
        const prefix = uniquePrefix();
        const start = await store.headPosition();
        await store.append(
          `${prefix}a`,
          Array.from({ length: 3 }, () => event('N')),
          { expectedRevision: 'any' },
        );
        expect(await store.readAll({ fromPosition: start, limit: 1 })).toHaveLength(1);
        await expect(store.readAll({ limit: 0 })).rejects.toThrow(RangeError);
      });

      it('pages on the positions the store returned: appends, events and the head', async () => {
        const prefix = uniquePrefix();
        const first = await store.append(`${prefix}a`, [event('P1'), event('P2')], {
          expectedRevision: 'any',
        });
        const second = await store.append(`${prefix}b`, [event('P3')], { expectedRevision: 'any' });
        const third = await store.append(`${prefix}a`, [event('P4'), event('P5')], {
          expectedRevision: 'any',
        });
        const mine = { streamPrefixes: [prefix] };

        // An append's position is its last event's: reading after it starts with the next append.
        const afterFirst = await store.readAll({ fromPosition: first.position, filter: mine });
        expect(afterFirst.map((e) => e.type)).toEqual(['P3', 'P4', 'P5']);
        expect(afterFirst[0]!.position).toBe(second.position);
        // An event's position, whatever it is worth as a number, is where the next read starts.
        const afterP3 = await store.readAll({
          fromPosition: afterFirst[0]!.position,
          limit: 1,
          filter: mine,
        });
        expect(afterP3.map((e) => e.type)).toEqual(['P4']);
        expect(await store.readAll({ fromPosition: third.position, filter: mine })).toEqual([]);
        const head = await store.headPosition();
        expect(head).toBeGreaterThanOrEqual(third.position);
        expect(await store.readAll({ fromPosition: head, filter: mine })).toEqual([]);
      });

      it('refuses a fromPosition that cannot be a position', async () => {
        for (const bad of [-1, 1.5, Number.NaN]) {
          await expect(store.readAll({ fromPosition: bad })).rejects.toThrow(RangeError);
        }
        const seen = record(store.subscribeAll({ fromPosition: -5 }));
        await waitFor(() => seen.errors.length === 1, 'the refusal');
        expect(seen.errors[0]).toBeInstanceOf(RangeError);
        // Not an InvalidPositionError: that one is the store's answer to a number it never returned.
        expect(seen.errors[0]).not.toBeInstanceOf(InvalidPositionError);
      });

      it('an empty type or prefix list matches nothing', async () => {
        const prefix = uniquePrefix();
        const start = await store.headPosition();
        await store.append(`${prefix}a`, [event('Any')], { expectedRevision: 'any' });
        expect(await store.readAll({ fromPosition: start, filter: { eventTypes: [] } })).toEqual([]);
        expect(await store.readAll({ fromPosition: start, filter: { streamPrefixes: [] } })).toEqual([]);
        expect(
          await store.readAll({ fromPosition: start, filter: { eventTypes: [], streamPrefixes: [prefix] } }),
        ).toEqual([]);
      });
    });

    describe('readEvent', () => {
      it('reads one event by stream and revision, the same as readStream returns it', async () => {
        const stream = `${uniquePrefix()}one`;
        await store.append(stream, [event('R0', { n: 0 }), event('R1', { n: 1 }), event('R2', { n: 2 })], {
          expectedRevision: 'no_stream',
        });
        const all = await store.readStream(stream);
        expect(await store.readEvent(stream, 1)).toEqual(all[1]);
        expect(await store.readEvent(stream, 0)).toEqual(all[0]);
        expect(await store.readEvent(stream, 3)).toBeNull();
        expect(await store.readEvent(`${uniquePrefix()}none`, 0)).toBeNull();
        await expect(store.readEvent(stream, -1)).rejects.toThrow(RangeError);
      });

      it('finds an event again from what a subscriber kept of it (stream and revision)', async () => {
        const prefix = uniquePrefix();
        const start = await store.headPosition();
        await store.append(`${prefix}x`, [event('Kept', { n: 1 })], { expectedRevision: 'any' });
        await store.append(`${prefix}y`, [event('Other'), event('Kept', { n: 2 })], {
          expectedRevision: 'any',
        });
        const seen = await store.readAll({ fromPosition: start, filter: { eventTypes: ['Kept'] } });
        const kept = seen.filter((e) => e.streamId.startsWith(prefix));
        expect(kept).toHaveLength(2);
        for (const original of kept) {
          expect(await store.readEvent(original.streamId, original.revision)).toEqual(original);
        }
      });
    });

    describe('readPositions', () => {
      it('reads the events at positions it handed out, in position order, each once', async () => {
        const prefix = uniquePrefix();
        await store.append(`${prefix}a`, [event('P0', { n: 0 }), event('P1', { n: 1 })], {
          expectedRevision: 'no_stream',
        });
        await store.append(`${prefix}b`, [event('P2', { n: 2 })], { expectedRevision: 'no_stream' });
        const a = await store.readStream(`${prefix}a`);
        const b = await store.readStream(`${prefix}b`);
        const [e0, e1, e2] = [a[0]!, a[1]!, b[0]!];
        expect(await store.readPositions([e2.position, e0.position])).toEqual([e0, e2]);
        expect(await store.readPositions([e1.position, e1.position])).toEqual([e1]);
        expect(await store.readPositions([])).toEqual([]);
        await expect(store.readPositions([-1])).rejects.toThrow(RangeError);
        await expect(store.readPositions([1.5])).rejects.toThrow(RangeError);
      });
    });

    it('round-trips data and metadata unchanged', async () => {
      const stream = `${uniquePrefix()}meta`;
      const meta = metadata({
        actorId: 'user-1',
        causationId: randomUUID(),
        source: 'worker:abc',
        schemaVersion: 3,
      });
      const data = { text: 'héllo ✓ 👋', n: 1.5, list: [1, null, { deep: true }], empty: {} };
      const start = await store.headPosition();
      await store.append(stream, [{ type: 'Meta', data, metadata: meta }], { expectedRevision: 'no_stream' });

      const [fromStream] = await store.readStream(stream);
      expect(fromStream).toMatchObject({ streamId: stream, type: 'Meta', revision: 0, data, metadata: meta });
      const fromAll = await store.readAll({ fromPosition: start, filter: { streamPrefixes: [stream] } });
      expect(fromAll).toEqual([fromStream]);
    });

    it('200 concurrent writers with exact expected revisions all land exactly once', {
      timeout: 120_000,
    }, async () => {
      const stream = `${uniquePrefix()}race`;
      const writer = async (i: number): Promise<number> => {
        let known = -1;
        let attempts = 0;
        for (;;) {
          attempts += 1;
          const newer = await store.readStream(stream, { fromRevision: known + 1 });
          known = newer.at(-1)?.revision ?? known;
          try {
            await store.append(stream, [event('Raced', { i })], {
              expectedRevision: known === -1 ? 'no_stream' : known,
            });
            return attempts;
          } catch (error) {
            if (!(error instanceof WrongExpectedRevisionError)) throw error;
          }
        }
      };
      const attempts = await Promise.all(Array.from({ length: 200 }, (_, i) => writer(i)));

      const read = await store.readStream(stream);
      expect(read.map((e) => e.revision)).toEqual(Array.from({ length: 200 }, (_, i) => i));
      const writers = read.map((e) => (e.data as { i: number }).i).sort((a, b) => a - b);
      expect(writers).toEqual(Array.from({ length: 200 }, (_, i) => i));
      // Otherwise the race was not a race and the test proves nothing.
      expect(Math.max(...attempts)).toBeGreaterThan(1);
    });

    // The trap of stores whose positions come from a counter taken before commit (a SQL sequence): a writer
    // that took position 10 commits after one that took 11, and a reader that already moved its checkpoint
    // past 11 never sees 10. Readers following $all while writers commit concurrently must miss nothing.
    it('readers following $all while many writers commit concurrently miss nothing and see positions in order', {
      timeout: 120_000,
    }, async () => {
      const prefix = uniquePrefix();
      const start = await store.headPosition();
      const written: string[] = [];
      let writing = true;

      const writer = async (w: number) => {
        for (let i = 0; i < 15; i++) {
          // Batches of different sizes make transactions of different lengths, so commits overtake each other.
          const batch = Array.from({ length: 1 + ((w + i) % 4) * 8 }, () => event('Raced', { w, i }));
          await store.append(`${prefix}${w}`, batch, { expectedRevision: 'any' });
          written.push(...batch.map((e) => e.id!));
        }
      };
      const pager = async () => {
        const seen: RecordedEvent[] = [];
        let from = start;
        for (let idle = 0; idle < 3; ) {
          const page = await store.readAll({
            fromPosition: from,
            limit: 7,
            filter: { streamPrefixes: [prefix] },
          });
          if (page.length > 0) {
            seen.push(...page);
            from = page.at(-1)!.position;
          } else if (!writing) idle += 1;
          else await sleep(1);
        }
        return seen;
      };

      const live = record(store.subscribeAll({ fromPosition: start, filter: { streamPrefixes: [prefix] } }));
      const pagers = [pager(), pager()];
      await Promise.all(Array.from({ length: 12 }, (_, w) => writer(w)));
      writing = false;
      const paged = await Promise.all(pagers);
      await waitFor(() => live.events.length >= written.length, 'the live subscriber');
      await sleep(200);
      live.subscription.unsubscribe();

      const expected = [...written].sort();
      for (const seen of [...paged, live.events]) {
        expectStrictlyIncreasing(seen.map((e) => e.position));
        expect(seen.map((e) => e.id).sort()).toEqual(expected);
      }
      expect(live.errors).toEqual([]);
    });

    describe('subscribeAll', () => {
      it('a subscriber joining mid-stream sees every event exactly once, in order', {
        timeout: 120_000,
      }, async () => {
        const prefix = uniquePrefix();
        const start = await store.headPosition();
        const expected: string[] = [];
        const append = async (stream: string, count: number) => {
          const events = Array.from({ length: count }, () => event('Seen'));
          expected.push(...events.map((e) => e.id!));
          await store.append(`${prefix}${stream}`, events, { expectedRevision: 'any' });
        };

        // More than two default pages, so the catch-up really pages.
        for (let i = 0; i < 25; i++) await append(`s${i % 5}`, 100);
        const seen = record(store.subscribeAll({ fromPosition: start }));
        const ours = () => seen.events.filter((e) => e.streamId.startsWith(prefix));

        // Appends racing the catch-up, interleaved with its page reads.
        for (let i = 0; i < 300; i++) {
          await append(`s${i % 7}`, 1);
          if (i % 10 === 0) await new Promise((resolve) => setImmediate(resolve));
        }
        await waitFor(() => ours().length >= expected.length, 'catch-up');
        for (let i = 0; i < 20; i++) await append('after', 1);
        await waitFor(() => ours().length >= expected.length, 'live events');
        await sleep(300);
        seen.subscription.unsubscribe();

        expect(seen.errors).toEqual([]);
        expectStrictlyIncreasing(seen.events.map((e) => e.position));
        expect(seen.events[0]!.position).toBeGreaterThan(start);
        expect(ours().map((e) => e.id)).toEqual(expected);
      });

      it('starts strictly after fromPosition and applies the filter', async () => {
        const prefix = uniquePrefix();
        await store.append(`${prefix}a`, [event('Wanted', { n: 0 })], { expectedRevision: 'any' });
        const checkpoint = await store.append(`${prefix}a`, [event('Wanted', { n: 1 })], {
          expectedRevision: 'any',
        });
        await store.append(`${prefix}a`, [event('Wanted', { n: 2 }), event('Unwanted')], {
          expectedRevision: 'any',
        });
        await store.append(`other-${prefix}`, [event('Wanted', { n: -1 })], { expectedRevision: 'any' });

        const seen = record(
          store.subscribeAll({
            fromPosition: checkpoint.position,
            filter: { eventTypes: ['Wanted'], streamPrefixes: [prefix] },
          }),
        );
        await store.append(`${prefix}b`, [event('Unwanted'), event('Wanted', { n: 3 })], {
          expectedRevision: 'any',
        });
        await store.append(`other-${prefix}`, [event('Wanted', { n: -2 })], { expectedRevision: 'any' });
        await store.append(`${prefix}a`, [event('Wanted', { n: 4 })], { expectedRevision: 'any' });

        await waitFor(() => seen.events.length >= 3, 'filtered events');
        await sleep(300);
        seen.subscription.unsubscribe();
        expect(seen.errors).toEqual([]);
        expect(seen.events.map((e) => e.data)).toEqual([{ n: 2 }, { n: 3 }, { n: 4 }]);
      });

      it('reports checkpoints past events a sparse filter skipped, after the events it delivered', async () => {
        const prefix = uniquePrefix();
        const start = await store.headPosition();
        const wanted = await store.append(`${prefix}w`, [event('Wanted')], { expectedRevision: 'any' });
        // KurrentDB checkpoints after every 1024 events it looked at (32 pages of 32): give it more than that.
        for (let i = 0; i < 11; i++) {
          await store.append(
            `${prefix}noise`,
            Array.from({ length: 100 }, () => event('Noise')),
            { expectedRevision: 'any' },
          );
        }
        const filter = { eventTypes: ['Wanted'], streamPrefixes: [prefix] };
        const log: Array<['event' | 'checkpoint', number]> = [];
        const subscription = store
          .subscribeAll({
            fromPosition: start,
            filter,
            onCheckpoint: (position) => log.push(['checkpoint', position]),
          })
          .subscribe((e) => log.push(['event', e.position]));
        try {
          await waitFor(
            () => log.some(([kind, at]) => kind === 'checkpoint' && at > wanted.position),
            'a checkpoint past the skipped events',
          );
        } finally {
          subscription.unsubscribe();
        }
        expect(log.filter(([kind]) => kind === 'event')).toEqual([['event', wanted.position]]);
        const firstPast = log.findIndex(([kind, at]) => kind === 'checkpoint' && at > wanted.position);
        expect(firstPast).toBeGreaterThan(log.findIndex(([kind]) => kind === 'event'));
        const checkpoints = log.filter(([kind]) => kind === 'checkpoint').map(([, at]) => at);
        expectStrictlyIncreasing(checkpoints);
        // A checkpoint is a position, and nothing the subscription wanted lies at or before it undelivered.
        const newest = checkpoints.at(-1)!;
        expect(newest).toBeLessThanOrEqual(await store.headPosition());
        expect(await store.readAll({ fromPosition: newest, filter })).toEqual([]);
      });

      it("delivers events appended by the subscriber's own handler", async () => {
        const prefix = uniquePrefix();
        const start = await store.headPosition();
        const seen: string[] = [];
        const appended: Promise<unknown>[] = [];
        const subscription = store
          .subscribeAll({ fromPosition: start, filter: { streamPrefixes: [prefix] } })
          .subscribe((e) => {
            seen.push(e.type);
            // Appending from inside delivery, as a process manager does, must not lose the new event.
            if (e.type === 'Ping')
              appended.push(store.append(`${prefix}b`, [event('Pong')], { expectedRevision: 'any' }));
          });
        await store.append(`${prefix}a`, [event('Ping')], { expectedRevision: 'any' });
        await waitFor(() => seen.length === 2, 'the reaction');
        subscription.unsubscribe();
        await Promise.all(appended);
        expect(seen).toEqual(['Ping', 'Pong']);
      });

      it('delivers nothing after unsubscribe', async () => {
        const prefix = uniquePrefix();
        const start = await store.headPosition();
        const seen = record(
          store.subscribeAll({ fromPosition: start, filter: { streamPrefixes: [prefix] } }),
        );
        await store.append(`${prefix}a`, [event('One')], { expectedRevision: 'any' });
        await waitFor(() => seen.events.length === 1, 'first event');

        seen.subscription.unsubscribe();
        await store.append(`${prefix}a`, [event('Two'), event('Three')], { expectedRevision: 'any' });
        await sleep(500);
        expect(seen.events.map((e) => e.type)).toEqual(['One']);
      });
    });

    it('headPosition is the position of the newest event', async () => {
      const stream = `${uniquePrefix()}head`;
      const first = await store.append(stream, [event('A')], { expectedRevision: 'any' });
      expect(await store.headPosition()).toBe(first.position);
      const second = await store.append(stream, [event('B'), event('C')], { expectedRevision: 'any' });
      expect(second.position).toBeGreaterThan(first.position);
      expect(await store.headPosition()).toBe(second.position);
    });
  });
}
