import type { Logger } from 'pino';
import { EventSchemaRegistry } from '../application/commands/eventSchemas.ts';
import type { CommandDeps } from '../application/context.ts';
import { EventFeed } from '../application/eventFeed.ts';
import { builtInCatalog, type ModuleCatalog } from '../application/modules/catalog.ts';
import { type Clock, systemClock } from '../application/ports/clock.ts';
import type { EventStore } from '../application/ports/eventStore.ts';
import type { PasswordHasher } from '../application/ports/passwordHasher.ts';
import type { ReadStore } from '../application/ports/readStore.ts';
import type { EnvironmentDeps } from '../application/projects/deps.ts';
import { identityProblem } from '../application/storeConsistency.ts';
import { projections } from '../projections/index.ts';
import { ProjectionRunner } from '../projections/projectionRunner.ts';
import { bcryptHasher } from './auth/bcryptHasher.ts';
import type { Config } from './config.ts';
import { aesGcmCipher, loadSecretsKey } from './crypto/secretCipher.ts';
import { type LoadedPlugins, loadPlugins, pluginFolders } from './plugins/pluginLoader.ts';
import { StorageAlarm } from './storageAlarm.ts';
import { openStores } from './stores.ts';
import { openWebhooks, type WebhookOptions, type Webhooks } from './webhooks.ts';
import { openWorkerRuntime, type WorkerRuntime, type WorkerRuntimeOptions } from './workerRuntime.ts';

export type { Triggers } from './workerRuntime.ts';

/**
 * Everything one m3m process runs on, wired from configuration: the stores, the projections, the
 * application's dependencies, the plugins and the worker runtime. The HTTP server on top is
 * `http/server.ts`; `/health` is `health.ts`.
 */
export interface M3m extends Omit<WorkerRuntime, 'close'> {
  config: Config;
  logger: Logger;
  eventStore: EventStore;
  readStore: ReadStore;
  /** The process's one follower of `$all`: projections and the runtime subscriber are its consumers. */
  feed: EventFeed;
  runner: ProjectionRunner;
  commands: CommandDeps;
  clock: Clock;
  hasher: PasswordHasher;
  /** Projects, goals and environments: command deps plus the read store and the secrets cipher. */
  projects: EnvironmentDeps;
  /** The module catalogue: built-in modules; plugins add theirs at start-up (`registerModule`). */
  modules: ModuleCatalog;
  /** The plugins found at start-up: loaded (their modules are in `modules`) and broken (skipped). */
  plugins: LoadedPlugins;
  /** Whether the storage is full (writes refused with 507), for `/health`. */
  storage: StorageAlarm;
  /** The `webhooks` module's outbox and sender; `start()` them after the projections (`serve` does). */
  webhooks: Webhooks;
  close(): Promise<void>;
}

export interface OpenOptions extends WorkerRuntimeOptions {
  /** Tests move time on (token expiry, the login rate limit) without sleeping. */
  clock?: Clock;
  /** Tests shorten the webhook sender's polling. */
  webhooks?: WebhookOptions;
}

export async function openM3m(config: Config, logger: Logger, options: OpenOptions = {}): Promise<M3m> {
  const clock = options.clock ?? systemClock;
  const { eventStore, readStore, eventStoreProblem } = await openStores(config, logger);
  const schemas = new EventSchemaRegistry();
  const feed = new EventFeed({
    eventStore,
    logger: logger.child({ component: 'feed' }),
    backoff: options.subscriber?.resubscribeBackoff,
    verify: async () => eventStoreProblem() ?? (await identityProblem(eventStore, readStore)),
  });
  const runner = new ProjectionRunner({
    eventStore,
    readStore,
    schemas,
    projections,
    feed,
    logger: logger.child({ component: 'projections' }),
  });
  const projectDeps: EnvironmentDeps = {
    eventStore,
    readStore,
    schemas,
    clock,
    cipher: aesGcmCipher(loadSecretsKey({ configured: config.secretsKey, dataDir: config.dataDir })),
  };
  const modules = builtInCatalog();
  const plugins = await loadPlugins({
    folders: pluginFolders(config.plugins.dir),
    catalog: modules,
    settings: config.plugins.settings,
    logger: logger.child({ component: 'plugins' }),
  });
  const runtime = await openWorkerRuntime({
    config,
    logger,
    projects: projectDeps,
    modules,
    plugins,
    runner,
    feed,
    options,
  });
  const webhooks = openWebhooks({
    config,
    logger,
    projects: projectDeps,
    schemas,
    modules,
    feed,
    owners: runtime.triggers.lease,
    ...(options.webhooks ? { options: options.webhooks } : {}),
  });
  return {
    config,
    logger,
    eventStore,
    readStore,
    feed,
    runner,
    commands: { eventStore, schemas, clock },
    clock,
    hasher: bcryptHasher(config.auth.bcryptRounds),
    projects: projectDeps,
    modules,
    plugins,
    storage: new StorageAlarm(),
    sandbox: runtime.sandbox,
    workers: runtime.workers,
    sweepInvocations: runtime.sweepInvocations,
    triggers: runtime.triggers,
    webhooks,
    async close() {
      await webhooks.close();
      await runtime.close();
      await plugins.close();
      await runner.stop();
      await feed.stop();
      await eventStore.close();
      await readStore.close();
    },
  };
}
