import type { Logger } from 'pino';
import type { Feed } from '../application/eventFeed.ts';
import type { ModuleCatalog } from '../application/modules/catalog.ts';
import type { ModuleGateDeps } from '../application/modules/deps.ts';
import { PROJECT_MODULES, type ProjectModuleDoc } from '../application/modules/readModel.ts';
import { findAll } from '../application/ports/findAll.ts';
import type { RuntimeExtensions } from '../application/ports/runtimeExtensions.ts';
import { ProcessLease } from '../application/processLease.ts';
import type { EnvironmentDeps } from '../application/projects/deps.ts';
import { readModelMemo } from '../application/readModelMemo.ts';
import { BUILT_IN_EVENT_TYPES } from '../application/runtime/customEvents.ts';
import type { RuntimeDeps } from '../application/runtime/deps.ts';
import { InvocationFeed } from '../application/runtime/invocationFeed.ts';
import { ensureInvocationIndexes, sweepInvocations } from '../application/runtime/invocations.ts';
import { invokeWorker, runWorker } from '../application/runtime/invokeWorker.ts';
import { ProjectShare } from '../application/runtime/projectShare.ts';
import {
  RuntimeSubscriber,
  type RuntimeSubscriberOptions,
} from '../application/runtime/runtimeSubscriber.ts';
import { Scheduler } from '../application/runtime/scheduler.ts';
import { WorkerGuard } from '../application/runtime/workerGuard.ts';
import { effectiveStatus } from '../domain/projectModules.ts';
import { projections } from '../projections/index.ts';
import type { Runner } from '../projections/projectionRunner.ts';
import type { Config } from './config.ts';
import { outboundFetch } from './net/outboundFetch.ts';
import type { LoadedPlugins } from './plugins/pluginLoader.ts';
import { hostIdentity } from './processIdentity.ts';
import { RuntimePool } from './sandbox/runtimePool.ts';

/** The event and schedule triggers; `start()` them after the projections (`serve` does). */
export interface Triggers {
  subscriber: RuntimeSubscriber;
  scheduler: Scheduler;
  /** This process's lease: the owner of its claims, beside the other processes on the store. */
  lease: ProcessLease;
  start(): Promise<void>;
  /**
   * Stops taking event deliveries and cron ticks: running ones finish and are recorded, waiting ones go back to
   * the durable queue. The lease stays (the webhook sender still claims with it) until `close()`. Once only.
   */
  stop(): Promise<void>;
}

/** The worker runtime of one m3m process, wired from configuration. */
export interface WorkerRuntime {
  /** The isolated-vm runtime processes (each started at its first invocation), projects assigned to them. */
  sandbox: RuntimePool;
  /**
   * What the worker use cases and `invokeWorker` run on: one shared object, so a plugin loader may replace
   * `workers.extensions` at start-up and every later invocation sees it.
   */
  workers: RuntimeDeps;
  /** Deletes invocation records older than `M3M_LOG_RETENTION_DAYS` (also run hourly). Returns how many. */
  sweepInvocations(): Promise<number>;
  triggers: Triggers;
  close(): Promise<void>;
}

export interface WorkerRuntimeOptions {
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

/**
 * The modules on in a project, for the plugins' Runtime API functions of each invocation: the project's module
 * settings from memory while the `project_modules` projection has not moved (one read of its checkpoint per turn,
 * `readModelMemo.ts`), their status computed at each call (a trial ends on time). What `moduleGate`'s
 * `activeModules` answers, without a query per invocation.
 */
function memoizedModuleGate(deps: ModuleGateDeps): { activeModules(projectId: string): Promise<string[]> } {
  const memo = readModelMemo<ProjectModuleDoc[]>(deps.readStore, 'project_modules', 'runtimeSettings');
  return {
    async activeModules(projectId) {
      const docs =
        (await memo.get(projectId, () =>
          findAll(deps.readStore.collection<ProjectModuleDoc>(PROJECT_MODULES), { projectId }),
        )) ?? [];
      const now = deps.clock.now();
      const core = deps.modules.list().filter((m) => m.isCore);
      const others = docs.filter((doc) => {
        const module = deps.modules.get(doc.moduleCode);
        return module && !module.isCore && effectiveStatus(doc, now) !== 'disabled';
      });
      return [...core.map((m) => m.code), ...others.map((d) => d.moduleCode)].sort();
    },
  };
}

/**
 * The sandbox, the Runtime API's parts (plugins' functions, outbound fetch, the invocation feed), the hourly
 * sweep of old invocation records, and the triggers that run workers: events (`RuntimeSubscriber`) and
 * schedules (`Scheduler`).
 */
export async function openWorkerRuntime(parts: {
  config: Config;
  logger: Logger;
  projects: EnvironmentDeps;
  modules: ModuleCatalog;
  plugins: LoadedPlugins;
  runner: Pick<Runner, 'waitFor'>;
  feed: Feed;
  options: WorkerRuntimeOptions;
}): Promise<WorkerRuntime> {
  const { config, logger, projects, modules, plugins, runner, feed: eventFeed, options } = parts;
  const { eventStore, readStore, clock } = projects;
  const runtimeLogger = logger.child({ component: 'runtime' });
  const sandbox = new RuntimePool({
    defaultLimits: config.workers.limits,
    maxIsolatesPerProject: config.workers.share.maxIsolates,
    processes: config.workers.runtime.processes,
    quarantineProcesses: config.workers.runtime.quarantineProcesses,
    logger: runtimeLogger,
  });
  const feed = new InvocationFeed();
  const workers: RuntimeDeps = {
    ...projects,
    sandbox,
    extensions:
      options.extensions ?? plugins.runtimeExtensions(memoizedModuleGate({ readStore, clock, modules })),
    fetcher: outboundFetch({ allowPrivate: config.workers.allowPrivateFetch }),
    feed,
    settings: {
      limits: config.workers.limits,
      logRetentionDays: config.workers.logRetentionDays,
      eventDepthLimit: config.triggers.eventDepthLimit,
      quotas: config.workers.quotas,
    },
    // Every type a projection reacts to, whatever module defines it: a worker can never forge one.
    reservedEventTypes: new Set([...BUILT_IN_EVENT_TYPES, ...projections.flatMap((p) => p.eventTypes ?? [])]),
    log: (level, obj, message) => runtimeLogger[level](obj, message),
    guard: new WorkerGuard(readStore, clock, config.workers.guard),
    share: new ProjectShare(clock, config.workers.share),
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
  const lease = new ProcessLease({
    readStore,
    clock,
    host: hostIdentity(),
    ttlMs: config.triggers.processLeaseMs,
    logger: runtimeLogger,
  });
  const subscriber = new RuntimeSubscriber({
    eventStore,
    readStore,
    clock,
    owners: lease,
    feed: eventFeed,
    // The lane may start its next delivery once the sandbox has answered: the record follows with the outcome.
    invoke: async (request) => (await runWorker(workers, request, { linger: true })).invocation,
    // An in-order worker's next delivery waits in its runtime process, not for a round trip (runWorker keeps turns).
    inOrderAhead: 1,
    // Match each event against the workers as the read model has them once it includes that event.
    readModelsAt: (position) => runner.waitFor(position, 60_000),
    logger: logger.child({ component: 'triggers' }),
    maxAttempts: config.triggers.eventMaxAttempts,
    depthLimit: config.triggers.eventDepthLimit,
    hasRoom: (projectId) => workers.share?.hasRoom(projectId) ?? true,
    maxPerProject: config.workers.share.maxConcurrent,
    maxWorkerConcurrency: config.workers.limits.concurrency,
    ...options.subscriber,
  });
  const scheduler = new Scheduler({
    readStore,
    clock,
    owner: lease.bootId,
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
  let stopping: Promise<void> | null = null;
  const stopTriggers = () => {
    stopping ??= (async () => {
      await scheduler.stop();
      await subscriber.stop();
    })();
    return stopping;
  };
  return {
    sandbox,
    workers,
    sweepInvocations: sweep,
    triggers: {
      subscriber,
      scheduler,
      lease,
      async start() {
        await lease.start();
        await subscriber.start();
        await scheduler.start();
      },
      stop: stopTriggers,
    },
    async close() {
      clearInterval(sweeper);
      await sweeping;
      await stopTriggers();
      await lease.stop();
      feed.complete();
      await sandbox.close();
    },
  };
}
