import type { Logger } from 'pino';
import { EventSchemaRegistry } from '../application/commands/eventSchemas.ts';
import type { CommandDeps } from '../application/context.ts';
import { EventFeed, type Feed } from '../application/eventFeed.ts';
import { builtInCatalog, type ModuleCatalog } from '../application/modules/catalog.ts';
import { type Clock, systemClock } from '../application/ports/clock.ts';
import type { EventStore } from '../application/ports/eventStore.ts';
import type { PasswordHasher } from '../application/ports/passwordHasher.ts';
import type { ReadStore } from '../application/ports/readStore.ts';
import type { EnvironmentDeps } from '../application/projects/deps.ts';
import { identityProblem } from '../application/storeConsistency.ts';
import { projections } from '../projections/index.ts';
import { ProjectionRunner, type Runner } from '../projections/projectionRunner.ts';
import { webhookOutboxProjection } from '../projections/webhookOutbox.ts';
import { bcryptHasher } from './auth/bcryptHasher.ts';
import type { Config } from './config.ts';
import { aesGcmCipher, loadSecretsKey } from './crypto/secretCipher.ts';
import { type LoadedPlugins, loadPlugins, pluginFolders } from './plugins/pluginLoader.ts';
import { ProjectionThread } from './projectionThread/host.ts';
import { newWriteLockBuffer, threadWriteLock } from './projectionThread/threadWriteLock.ts';
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
  /**
   * The process's one follower of `$all`: projections and the runtime subscriber are its consumers. With the
   * projection thread, the follower runs there and this is its stand-in (the runtime subscriber's pages come by
   * message).
   */
  feed: Feed;
  runner: Runner;
  /** The thread the projections run in (`m3m serve`, ADR 30), or `null` when they run on this one. */
  projectionThread: ProjectionThread | null;
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
  /**
   * Run the feed, the projections and the webhook outbox in a thread of their own (ADR 30), off the thread that
   * serves HTTP: what `m3m serve` does. Default: on this thread (tools that exit afterwards).
   */
  projectionThread?: boolean;
}

export async function openM3m(config: Config, logger: Logger, options: OpenOptions = {}): Promise<M3m> {
  const clock = options.clock ?? systemClock;
  const schemas = new EventSchemaRegistry();
  const opened = await openProjections(config, logger, options, schemas);
  const { readStore, feed, runner, outbox, thread } = opened;
  const eventStore = opened.eventStore;
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
    outbox,
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
    projectionThread: thread,
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
      await thread?.close();
      await eventStore.close();
      await readStore.close();
    },
  };
}

/**
 * The stores and the projections: on this thread, or (`projectionThread`) the feed, the projections and the
 * webhook outbox in a thread of their own with stores of their own, and stand-ins for them here. Then the SQLite
 * read store's writes take a lock shared with that thread, and appends tell it at once.
 */
async function openProjections(
  config: Config,
  logger: Logger,
  options: OpenOptions,
  schemas: EventSchemaRegistry,
): Promise<{
  eventStore: EventStore;
  readStore: ReadStore;
  feed: Feed;
  runner: Runner;
  outbox: (nudge: () => void) => Runner;
  thread: ProjectionThread | null;
}> {
  const backoff = options.subscriber?.resubscribeBackoff;
  if (options.projectionThread) {
    const lock = newWriteLockBuffer();
    const stores = await openStores(config, logger, { readStoreWriteLock: threadWriteLock(lock, 'main') });
    let thread: ProjectionThread;
    try {
      thread = await ProjectionThread.open({ config, logger, lock, ...(backoff ? { backoff } : {}) });
    } catch (error) {
      await stores.eventStore.close().catch(() => {});
      await stores.readStore.close().catch(() => {});
      throw error;
    }
    // SQLite's live subscription polls for other connections' commits: told of each append, it looks at once.
    const eventStore = stores.eventStore.wake ? thread.appendsTold(stores.eventStore) : stores.eventStore;
    return {
      eventStore,
      readStore: stores.readStore,
      feed: thread.feed,
      runner: thread.runner,
      outbox: (nudge) => {
        thread.onNudge(nudge);
        return thread.outbox;
      },
      thread,
    };
  }
  const { eventStore, readStore, eventStoreProblem } = await openStores(config, logger);
  const feed = new EventFeed({
    eventStore,
    logger: logger.child({ component: 'feed' }),
    ...(backoff ? { backoff } : {}),
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
  const outbox = (nudge: () => void) =>
    new ProjectionRunner({
      eventStore,
      readStore,
      schemas,
      projections: [webhookOutboxProjection(nudge)],
      feed,
      logger: logger.child({ component: 'webhook-outbox' }),
    });
  return { eventStore, readStore, feed, runner, outbox, thread: null };
}
