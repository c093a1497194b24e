import { accessSync, constants, existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { Logger } from 'pino';
import type { EventStore } from '../application/ports/eventStore.ts';
import type { ReadStore } from '../application/ports/readStore.ts';
import type { Config } from './config.ts';
import { guardEventStoreFile } from './eventStore/eventStoreFileGuard.ts';
import { openKurrentEventStore } from './eventStore/kurrentEventStore.ts';
import { openPostgresEventStore } from './eventStore/postgresEventStore.ts';
import { openSqliteEventStore } from './eventStore/sqliteEventStore.ts';
import type { WriteLock } from './projectionThread/threadWriteLock.ts';
import { openMongoReadStore } from './readStore/mongoReadStore.ts';
import { openPostgresReadStore } from './readStore/postgresReadStore.ts';
import { openSqliteReadStore } from './readStore/sqliteReadStore.ts';

export interface StoreOptions {
  /** The embedded read store's write lock shared with the other thread of this process (ADR 30). */
  readStoreWriteLock?: WriteLock;
}

/** The configured event and read stores, opened (and, on PostgreSQL, migrated). */
export async function openStores(
  config: Pick<Config, 'dataDir' | 'eventStore' | 'readStore'>,
  logger: Logger,
  options: StoreOptions = {},
): Promise<{ eventStore: EventStore; readStore: ReadStore; eventStoreProblem: () => string | null }> {
  const log = logger.child({ component: 'storage' });
  const report = (what: string) => (error: Error) => log.warn({ err: error }, `${what}: ${error.message}`);
  const { store: eventStore, problem: eventStoreProblem } = await openEventStore(
    config,
    report('event store connection'),
  );
  try {
    const readStore = await openReadStore(
      config,
      report('read store connection'),
      logger.child({ component: 'read-store' }),
      options.readStoreWriteLock,
    );
    return { eventStore, readStore, eventStoreProblem };
  } catch (error) {
    await eventStore.close().catch(() => {});
    throw error;
  }
}

async function openEventStore(
  config: Pick<Config, 'dataDir' | 'eventStore'>,
  onError: (error: Error) => void,
): Promise<{ store: EventStore; problem: () => string | null }> {
  const store = config.eventStore;
  switch (store.kind) {
    case 'kurrentdb':
      return { store: openKurrentEventStore({ connectionString: store.url }), problem: () => null };
    case 'postgres':
      return { store: await openPostgresEventStore({ url: store.url, onError }), problem: () => null };
    default: {
      // The embedded store's file may be deleted or replaced under a running server: noticed, not written on.
      const path = join(config.dataDir, 'events.sqlite');
      return guardEventStoreFile(
        await embedded('event store', path, () => openSqliteEventStore({ path })),
        path,
      );
    }
  }
}

async function openReadStore(
  config: Pick<Config, 'dataDir' | 'readStore'>,
  onError: (error: Error) => void,
  logger: Logger,
  writeLock?: WriteLock,
): Promise<ReadStore> {
  const store = config.readStore;
  switch (store.kind) {
    case 'mongodb':
      return openMongoReadStore({ url: store.url, database: store.database, logger });
    case 'postgres':
      return openPostgresReadStore({ url: store.url, onError, logger });
    default: {
      const path = join(config.dataDir, 'read.sqlite');
      return embedded('read store', path, () =>
        openSqliteReadStore({ path, logger, ...(writeLock ? { writeLock } : {}) }),
      );
    }
  }
}

/** An embedded store's file cannot be opened: the message names the file and the cause. */
export class StorageUnavailableError extends Error {
  constructor(message: string, options: { cause: unknown }) {
    super(message, options);
    this.name = 'StorageUnavailableError';
  }
}

/**
 * Opens an embedded (SQLite) store; a failure names the file and why (SQLite alone says only "unable to open
 * database file" when, say, the directory is read-only and its journal cannot be created).
 */
async function embedded<T>(what: string, file: string, open: () => T | Promise<T>): Promise<T> {
  try {
    return await open();
  } catch (error) {
    throw new StorageUnavailableError(`Cannot open the ${what} ${file}: ${whyNotWritable(file, error)}`, {
      cause: error,
    });
  }
}

function whyNotWritable(file: string, error: unknown): string {
  const { code, message } = error as { code?: string; message?: string };
  const reason = message ?? String(error);
  const system: Record<string, string> = {
    EROFS: 'it is on a read-only file system',
    EACCES: 'permission denied',
    EPERM: 'operation not permitted',
    ENOSPC: 'no space left on the device',
  };
  const said = code && system[code] ? `${system[code]} (${reason})` : reason;
  // Which part m3m cannot write, when the system's message does not say.
  for (const [path, role] of [
    [dirname(file), 'the data directory'],
    [file, 'the file'],
  ] as const) {
    if (!existsSync(path)) continue;
    try {
      accessSync(path, constants.W_OK);
    } catch (denied) {
      return `${said}; ${role} ${path} is not writable (${(denied as { code?: string }).code ?? 'denied'})`;
    }
  }
  return said;
}
