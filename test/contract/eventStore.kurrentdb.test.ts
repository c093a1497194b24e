import { randomUUID } from 'node:crypto';
import { KurrentDBClient } from '@kurrent/kurrentdb-client';
import { firstValueFrom } from 'rxjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  InvalidPositionError,
  type NewEvent,
  StreamDeletedError,
} from '../../application/ports/eventStore.ts';
import {
  type KurrentEventStore,
  openKurrentEventStore,
} from '../../infrastructure/eventStore/kurrentEventStore.ts';
import { eventStoreContract } from './eventStore.contract.ts';

// Runs through `npm run test:external` (vitest.external.config.ts), which includes this file only when
// M3M_TEST_KURRENTDB_URL is set, e.g. kurrentdb://localhost:2113?tls=false with docker-compose.
const url = process.env.M3M_TEST_KURRENTDB_URL;
if (!url) throw new Error('M3M_TEST_KURRENTDB_URL is not set: run this suite with npm run test:external');

function event(type: string): NewEvent {
  return {
    type,
    data: {},
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

describe('KurrentDB event store', () => {
  eventStoreContract('kurrentdb', async () => {
    const store = openKurrentEventStore({ connectionString: url! });
    return { store, cleanup: () => store.close() };
  });

  describe('what only KurrentDB does', () => {
    let store: KurrentEventStore;
    let client: KurrentDBClient;
    beforeAll(() => {
      store = openKurrentEventStore({ connectionString: url! });
      client = KurrentDBClient.connectionString(url!);
    });
    afterAll(async () => {
      await store.close();
      await client.dispose();
    });

    it('answers a number that is not one of its positions with InvalidPositionError', async () => {
      const written = await store.append(`t${randomUUID()}`, [event('A'), event('B')], {
        expectedRevision: 'any',
      });
      // Positions are byte offsets: one past an event's start is inside its record.
      const inside = written.position + 1;
      const read = await store.readAll({ fromPosition: inside }).catch((e: unknown) => e);
      expect(read).toBeInstanceOf(InvalidPositionError);
      const subscribed = await firstValueFrom(store.subscribeAll({ fromPosition: inside })).catch(
        (e: unknown) => e,
      );
      expect(subscribed).toBeInstanceOf(InvalidPositionError);
    });

    it('reports a deleted stream as StreamDeletedError, and its events as gone', async () => {
      const stream = `t${randomUUID()}`;
      await store.append(stream, [event('A')], { expectedRevision: 'no_stream' });
      await client.tombstoneStream(stream);
      await expect(store.append(stream, [event('B')], { expectedRevision: 'any' })).rejects.toBeInstanceOf(
        StreamDeletedError,
      );
      await expect(store.readStream(stream)).rejects.toBeInstanceOf(StreamDeletedError);
      expect(await store.readEvent(stream, 0)).toBeNull();
    });
  });
});
