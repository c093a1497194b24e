import { join } from 'node:path';
import type { Logger } from 'pino';
import { EventSchemaRegistry } from '../application/commands/eventSchemas.ts';
import type { CommandDeps } from '../application/commands/handleCommand.ts';
import { systemClock } from '../application/ports/clock.ts';
import type { EventStore } from '../application/ports/eventStore.ts';
import type { ReadStore } from '../application/ports/readStore.ts';
import { projections } from '../projections/index.ts';
import { ProjectionRunner } from '../projections/projectionRunner.ts';
import type { Config } from './config.ts';
import { openKurrentEventStore } from './eventStore/kurrentEventStore.ts';
import { openSqliteEventStore } from './eventStore/sqliteEventStore.ts';
import { buildHttpApp, type HealthReport, type HttpApp } from './http/app.ts';
import { openMongoReadStore } from './readStore/mongoReadStore.ts';
import { openSqliteReadStore } from './readStore/sqliteReadStore.ts';

/** Everything one m3m process runs on, wired from configuration. */
export interface M3m {
  config: Config;
  logger: Logger;
  eventStore: EventStore;
  readStore: ReadStore;
  runner: ProjectionRunner;
  commands: CommandDeps;
  close(): Promise<void>;
}

export async function openM3m(config: Config, logger: Logger): Promise<M3m> {
  const eventStore =
    config.eventStore.kind === 'kurrentdb'
      ? openKurrentEventStore({ connectionString: config.eventStore.url })
      : openSqliteEventStore({ path: join(config.dataDir, 'events.sqlite') });
  const readStore =
    config.readStore.kind === 'mongodb'
      ? await openMongoReadStore({ url: config.readStore.url, database: config.readStore.database })
      : openSqliteReadStore({ path: join(config.dataDir, 'read.sqlite') });
  const schemas = new EventSchemaRegistry();
  const runner = new ProjectionRunner({
    eventStore,
    readStore,
    schemas,
    projections,
    logger: logger.child({ component: 'projections' }),
  });
  return {
    config,
    logger,
    eventStore,
    readStore,
    runner,
    commands: { eventStore, schemas, clock: systemClock },
    async close() {
      await runner.stop();
      await eventStore.close();
      await readStore.close();
    },
  };
}

/** `/health`: degraded while a projection is failing, with each one's lag behind `$all`. */
export async function healthReport(m3m: M3m): Promise<HealthReport> {
  const head = await m3m.eventStore.headPosition();
  const projectionStatus = m3m.runner.status().map((p) => ({ ...p, lag: Math.max(0, head - p.position) }));
  const failing = projectionStatus.some((p) => p.state === 'retrying');
  return {
    status: failing ? 'degraded' : 'ok',
    eventStore: { kind: m3m.config.eventStore.kind, headPosition: head },
    readStore: { kind: m3m.config.readStore.kind },
    projections: projectionStatus,
  };
}

export function buildServer(m3m: M3m): Promise<HttpApp> {
  return buildHttpApp({
    config: m3m.config,
    logger: m3m.logger,
    health: () => healthReport(m3m),
    routes: [],
  });
}
