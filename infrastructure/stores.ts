import { join } from 'node:path';
import type { Logger } from 'pino';
import type { EventStore } from '../application/ports/eventStore.ts';
import type { ReadStore } from '../application/ports/readStore.ts';
import type { Config } from './config.ts';
import { openKurrentEventStore } from './eventStore/kurrentEventStore.ts';
import { openPostgresEventStore } from './eventStore/postgresEventStore.ts';
import { openSqliteEventStore } from './eventStore/sqliteEventStore.ts';
import { openMongoReadStore } from './readStore/mongoReadStore.ts';
import { openPostgresReadStore } from './readStore/postgresReadStore.ts';
import { openSqliteReadStore } from './readStore/sqliteReadStore.ts';

/** The configured event and read stores, opened (and, on PostgreSQL, migrated). */
export async function openStores(
  config: Pick<Config, 'dataDir' | 'eventStore' | 'readStore'>,
  logger: Logger,
): Promise<{ eventStore: EventStore; readStore: ReadStore }> {
  const log = logger.child({ component: 'storage' });
  const report = (what: string) => (error: Error) => log.warn({ err: error }, `${what}: ${error.message}`);
  const eventStore = await openEventStore(config, report('event store connection'));
  try {
    const readStore = await openReadStore(
      config,
      report('read store connection'),
      logger.child({ component: 'read-store' }),
    );
    return { eventStore, readStore };
  } catch (error) {
    await eventStore.close().catch(() => {});
    throw error;
  }
}

async function openEventStore(
  config: Pick<Config, 'dataDir' | 'eventStore'>,
  onError: (error: Error) => void,
): Promise<EventStore> {
  const store = config.eventStore;
  switch (store.kind) {
    case 'kurrentdb':
      return openKurrentEventStore({ connectionString: store.url });
    case 'postgres':
      return openPostgresEventStore({ url: store.url, onError });
    default:
      return openSqliteEventStore({ path: join(config.dataDir, 'events.sqlite') });
  }
}

async function openReadStore(
  config: Pick<Config, 'dataDir' | 'readStore'>,
  onError: (error: Error) => void,
  logger: Logger,
): Promise<ReadStore> {
  const store = config.readStore;
  switch (store.kind) {
    case 'mongodb':
      return openMongoReadStore({ url: store.url, database: store.database, logger });
    case 'postgres':
      return openPostgresReadStore({ url: store.url, onError, logger });
    default:
      return openSqliteReadStore({ path: join(config.dataDir, 'read.sqlite'), logger });
  }
}
