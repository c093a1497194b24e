import type { Logger } from 'pino';
import { TimeoutError } from 'rxjs';
import { EventSchemaRegistry } from '../application/commands/eventSchemas.ts';
import type { CommandDeps } from '../application/commands/handleCommand.ts';
import { userDirectory } from '../application/identity/userDirectory.ts';
import { builtInCatalog, type ModuleCatalog } from '../application/modules/catalog.ts';
import { moduleGate } from '../application/modules/queries.ts';
import { type Clock, systemClock } from '../application/ports/clock.ts';
import type { EventStore } from '../application/ports/eventStore.ts';
import type { PasswordHasher } from '../application/ports/passwordHasher.ts';
import type { ReadStore } from '../application/ports/readStore.ts';
import type { EnvironmentDeps } from '../application/projects/deps.ts';
import { BUILT_IN_EVENT_TYPES } from '../application/runtime/customEvents.ts';
import type { RuntimeDeps } from '../application/runtime/deps.ts';
import { InvocationFeed } from '../application/runtime/invocationFeed.ts';
import { ensureInvocationIndexes, sweepInvocations } from '../application/runtime/invocations.ts';
import { invokeWorker } from '../application/runtime/invokeWorker.ts';
import type { RuntimeExtensions } from '../application/runtime/runtimeExtensions.ts';
import {
  RuntimeSubscriber,
  type RuntimeSubscriberOptions,
} from '../application/runtime/runtimeSubscriber.ts';
import { Scheduler } from '../application/runtime/scheduler.ts';
import { projections } from '../projections/index.ts';
import { ProjectionRunner } from '../projections/projectionRunner.ts';
import { bcryptHasher } from './auth/bcryptHasher.ts';
import { loadJwtSecret } from './auth/jwtSecret.ts';
import { jwtTokens } from './auth/jwtTokens.ts';
import { LoginRateLimiter } from './auth/loginRateLimiter.ts';
import type { Config } from './config.ts';
import { aesGcmCipher, loadSecretsKey } from './crypto/secretCipher.ts';
import { fileAvatarStore } from './files/avatarStore.ts';
import { buildHttpApp, type HealthReport, type HttpApp, type HttpRoutes } from './http/app.ts';
import { httpAuth } from './http/auth.ts';
import { ProblemError } from './http/problem.ts';
import { adminRoutes } from './http/routes/admin.ts';
import { adminModuleRoutes } from './http/routes/adminModules.ts';
import { authRoutes } from './http/routes/auth.ts';
import { avatarRoutes } from './http/routes/avatars.ts';
import { colorRoutes } from './http/routes/colors.ts';
import { environmentRoutes } from './http/routes/environment.ts';
import { goalIncrementRoutes, goalRoutes } from './http/routes/goals.ts';
import type { IdentityRouteDeps } from './http/routes/identityDeps.ts';
import { invocationStreamRoutes } from './http/routes/invocationStream.ts';
import { invocationRoutes } from './http/routes/invocations.ts';
import { meRoutes } from './http/routes/me.ts';
import type { ModuleRouteDeps } from './http/routes/moduleSchemas.ts';
import { moduleRoutes } from './http/routes/modules.ts';
import type { ProjectRouteDeps } from './http/routes/projectSchemas.ts';
import { projectRoutes } from './http/routes/projects.ts';
import { runTriggerRoutes } from './http/routes/runTrigger.ts';
import { userRoutes } from './http/routes/users.ts';
import type { WorkerRouteDeps } from './http/routes/workerSchemas.ts';
import { workerRoutes } from './http/routes/workers.ts';
import { outboundFetch } from './net/outboundFetch.ts';
import { type LoadedPlugins, loadPlugins, pluginFolders } from './plugins/pluginLoader.ts';
import { SandboxHost } from './sandbox/sandboxHost.ts';
import { openStores } from './stores.ts';

/** Everything one m3m process runs on, wired from configuration. */
export interface M3m {
  config: Config;
  logger: Logger;
  eventStore: EventStore;
  readStore: ReadStore;
  runner: ProjectionRunner;
  commands: CommandDeps;
  clock: Clock;
  hasher: PasswordHasher;
  /** Projects, goals and environments: command deps plus the read store and the secrets cipher. */
  projects: EnvironmentDeps;
  /** The module catalogue: built-in modules; plugins add theirs at start-up (`registerModule`). */
  modules: ModuleCatalog;
  /** The isolated-vm runtime process; started at the first invocation. */
  sandbox: SandboxHost;
  /**
   * What the worker use cases and `invokeWorker` run on: one shared object, so a plugin loader may replace
   * `workers.extensions` at start-up and every later invocation sees it.
   */
  workers: RuntimeDeps;
  /** Deletes invocation records older than `M3M_LOG_RETENTION_DAYS` (also run hourly). Returns how many. */
  sweepInvocations(): Promise<number>;
  /** The plugins found at start-up: loaded (their modules are in `modules`) and broken (skipped). */
  plugins: LoadedPlugins;
  /** The event and schedule triggers; `start()` them after the projections (`serve` does). */
  triggers: Triggers;
  close(): Promise<void>;
}

export interface Triggers {
  subscriber: RuntimeSubscriber;
  scheduler: Scheduler;
  start(): Promise<void>;
}

export interface OpenOptions {
  /** Tests move time on (token expiry, the login rate limit) without sleeping. */
  clock?: Clock;
  /** Plugins' Runtime API functions (default: the loaded plugins', per project by active module). */
  extensions?: RuntimeExtensions;
  /** Tests shorten the runtime subscriber's retry backoff and polling. */
  subscriber?: Partial<
    Pick<
      RuntimeSubscriberOptions,
      'retryBaseMs' | 'retryMaxMs' | 'pollMs' | 'resubscribeBackoff' | 'concurrency'
    >
  >;
}

const SWEEP_INTERVAL_MS = 60 * 60_000;

export async function openM3m(config: Config, logger: Logger, options: OpenOptions = {}): Promise<M3m> {
  const clock = options.clock ?? systemClock;
  const { eventStore, readStore } = await openStores(config, logger);
  const schemas = new EventSchemaRegistry();
  const runner = new ProjectionRunner({
    eventStore,
    readStore,
    schemas,
    projections,
    logger: logger.child({ component: 'projections' }),
  });
  const projectDeps: EnvironmentDeps = {
    eventStore,
    readStore,
    schemas,
    clock,
    cipher: aesGcmCipher(loadSecretsKey({ configured: config.secretsKey, dataDir: config.dataDir })),
  };
  const runtimeLogger = logger.child({ component: 'runtime' });
  const modules = builtInCatalog();
  const plugins = await loadPlugins({
    folders: pluginFolders(config.plugins.dir),
    catalog: modules,
    settings: config.plugins.settings,
    logger: logger.child({ component: 'plugins' }),
  });
  const sandbox = new SandboxHost({ defaultLimits: config.workers.limits, logger: runtimeLogger });
  const feed = new InvocationFeed();
  const workers: RuntimeDeps = {
    ...projectDeps,
    sandbox,
    extensions: options.extensions ?? plugins.runtimeExtensions(moduleGate({ readStore, clock, modules })),
    fetcher: outboundFetch({ allowPrivate: config.workers.allowPrivateFetch }),
    feed,
    settings: {
      limits: config.workers.limits,
      logRetentionDays: config.workers.logRetentionDays,
      eventDepthLimit: config.triggers.eventDepthLimit,
    },
    // Every type a projection reacts to, whatever module defines it: a worker can never forge one.
    reservedEventTypes: new Set([...BUILT_IN_EVENT_TYPES, ...projections.flatMap((p) => p.eventTypes ?? [])]),
    log: (level, obj, message) => runtimeLogger[level](obj, message),
  };
  await ensureInvocationIndexes(readStore);
  const sweep = () => sweepInvocations(readStore, clock.now(), config.workers.logRetentionDays);
  const sweepSoon = () =>
    sweep().catch((err: unknown) => runtimeLogger.error({ err }, 'invocation retention sweep failed'));
  let sweeping = sweepSoon();
  const sweeper = setInterval(() => {
    sweeping = sweepSoon();
  }, SWEEP_INTERVAL_MS);
  sweeper.unref();
  const subscriber = new RuntimeSubscriber({
    eventStore,
    readStore,
    clock,
    invoke: (request) => invokeWorker(workers, request),
    // Match each event against the workers as the read model has them once it includes that event.
    readModelsAt: (position) => runner.waitFor(position, 60_000),
    logger: logger.child({ component: 'triggers' }),
    maxAttempts: config.triggers.eventMaxAttempts,
    depthLimit: config.triggers.eventDepthLimit,
    ...options.subscriber,
  });
  const scheduler = new Scheduler({
    readStore,
    clock,
    run: ({ workerId, projectId, scheduledAt, cron }) =>
      invokeWorker(workers, {
        workerId,
        projectId,
        trigger: { kind: 'schedule', scheduledAt },
        handler: 'scheduled',
        input: { scheduledAt, cron },
      }),
    logger: logger.child({ component: 'scheduler' }),
    retentionDays: config.workers.logRetentionDays,
  });
  return {
    config,
    logger,
    eventStore,
    readStore,
    runner,
    commands: { eventStore, schemas, clock },
    clock,
    hasher: bcryptHasher(config.auth.bcryptRounds),
    projects: projectDeps,
    modules,
    sandbox,
    workers,
    sweepInvocations: sweep,
    plugins,
    triggers: {
      subscriber,
      scheduler,
      async start() {
        await subscriber.start();
        await scheduler.start();
      },
    },
    async close() {
      clearInterval(sweeper);
      await sweeping;
      await scheduler.stop();
      await subscriber.stop();
      feed.complete();
      await sandbox.close();
      await plugins.close();
      await runner.stop();
      await eventStore.close();
      await readStore.close();
    },
  };
}

/**
 * `/health`: degraded while a projection or the runtime subscriber is failing, with each one's lag behind
 * `$all`; the scheduler; the plugins (a broken plugin is listed, but m3m runs without it: not degraded).
 */
export async function healthReport(m3m: M3m): Promise<HealthReport> {
  const head = await m3m.eventStore.headPosition();
  const projectionStatus = m3m.runner.status().map((p) => ({ ...p, lag: Math.max(0, head - p.position) }));
  const subscriber = m3m.triggers.subscriber.status();
  const failing = projectionStatus.some((p) => p.state === 'retrying') || subscriber.state === 'retrying';
  return {
    status: failing ? 'degraded' : 'ok',
    eventStore: { kind: m3m.config.eventStore.kind, headPosition: head },
    readStore: { kind: m3m.config.readStore.kind },
    projections: projectionStatus,
    runtime: {
      subscriber: {
        ...subscriber,
        lag: Math.max(0, head - subscriber.position),
        retryQueue: await m3m.triggers.subscriber.backlog(),
      },
      scheduler: m3m.triggers.scheduler.status(),
    },
    plugins: m3m.plugins.status(),
  };
}

/** The identity routes' dependencies: token signing needs the secret, which may be created on first start. */
export async function identityRouteDeps(m3m: M3m, readModelWaitMs = 10_000): Promise<IdentityRouteDeps> {
  const secret = await loadJwtSecret({ configured: m3m.config.auth.jwtSecret, dataDir: m3m.config.dataDir });
  const tokens = jwtTokens({ secret, ttlSeconds: m3m.config.auth.tokenTtlSeconds, clock: m3m.clock });
  const directory = userDirectory(m3m.readStore);
  const avatarFiles = fileAvatarStore(m3m.config.dataDir);
  return {
    commands: { commands: m3m.commands, hasher: m3m.hasher, avatars: avatarFiles },
    directory,
    tokens,
    loginLimiter: new LoginRateLimiter({ clock: m3m.clock }),
    auth: httpAuth({ directory, tokens }),
    avatarFiles,
    waitFor: async (position) => {
      if (position === null) return;
      try {
        await m3m.runner.waitFor(position, readModelWaitMs);
      } catch (error) {
        if (!(error instanceof TimeoutError)) throw error;
        // The change is recorded; only the read models are behind (a projection is failing or slow).
        m3m.logger.warn({ position, projections: m3m.runner.status() }, 'read models behind after a write');
        throw new ProblemError({
          status: 503,
          code: 'read_models_behind',
          detail:
            'The change was recorded, but the read models have not caught up yet: read it again shortly.',
          headers: { 'retry-after': '1' },
        });
      }
    },
  };
}

/** The project, goal and environment routes' dependencies; they authenticate like the identity routes. */
export function projectRouteDeps(m3m: M3m, identity: IdentityRouteDeps): ProjectRouteDeps {
  return {
    app: {
      ...m3m.projects,
      modules: m3m.modules,
      userExists: async (userId) => (await identity.directory.get(userId)) !== null,
    },
    auth: identity.auth,
    waitFor: identity.waitFor,
  };
}

/** The module, licence and admin-project routes' dependencies. */
export function moduleRouteDeps(m3m: M3m, identity: IdentityRouteDeps): ModuleRouteDeps {
  return {
    app: {
      ...m3m.projects,
      modules: m3m.modules,
      userExists: async (userId) => (await identity.directory.get(userId)) !== null,
    },
    auth: identity.auth,
    waitFor: identity.waitFor,
  };
}

/** The route dependencies, for routes added beside m3m's own (tests; later, plugins). */
export interface ServerRouteDeps {
  identity: IdentityRouteDeps;
  projects: ProjectRouteDeps;
  modules: ModuleRouteDeps;
}

export interface BuildServerOptions {
  extraRoutes?: (deps: ServerRouteDeps) => HttpRoutes[];
  /** Heartbeat of the invocation streams (SSE); default 15 s. */
  sseHeartbeatMs?: number;
  /** How long a write waits for the read models to include it before answering 503; default 10 s. */
  readModelWaitMs?: number;
}

export async function buildServer(m3m: M3m, options: BuildServerOptions = {}): Promise<HttpApp> {
  const identity = await identityRouteDeps(m3m, options.readModelWaitMs);
  const projects = projectRouteDeps(m3m, identity);
  const modules = moduleRouteDeps(m3m, identity);
  const workers: WorkerRouteDeps = {
    app: m3m.workers,
    auth: identity.auth,
    waitFor: identity.waitFor,
    ...(options.sseHeartbeatMs === undefined ? {} : { heartbeatMs: options.sseHeartbeatMs }),
  };
  return buildHttpApp({
    config: m3m.config,
    logger: m3m.logger,
    health: () => healthReport(m3m),
    routes: [
      authRoutes(identity),
      meRoutes(identity),
      userRoutes(identity),
      adminRoutes(identity),
      avatarRoutes(identity),
      colorRoutes,
      projectRoutes(projects),
      goalRoutes(projects),
      goalIncrementRoutes(projects),
      environmentRoutes(projects),
      moduleRoutes(modules),
      adminModuleRoutes(modules),
      workerRoutes(workers),
      invocationRoutes(workers),
      invocationStreamRoutes(workers),
      ...(options.extraRoutes?.({ identity, projects, modules }) ?? []),
    ],
    rootRoutes: [runTriggerRoutes(workers)],
  });
}
