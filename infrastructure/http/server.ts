import { TimeoutError } from 'rxjs';
import { peopleLookup, userDirectory } from '../../application/identity/userDirectory.ts';
import { PROJECTS } from '../../application/projects/readModel.ts';
import { loadJwtSecret } from '../auth/jwtSecret.ts';
import { jwtTokens } from '../auth/jwtTokens.ts';
import { RATE_LIMITS, StoreRateLimiter } from '../auth/storeRateLimiter.ts';
import type { M3m } from '../composition.ts';
import { fileAvatarStore } from '../files/avatarStore.ts';
import { healthReport } from '../health.ts';
import { API_KEY_WINDOW_MS } from './apiKeys.ts';

/** Failed sign-ins one address may make for one email (and wrong current passwords per user) in the window. */
const SIGN_IN_MAX_FAILURES = 5;
const SIGN_IN_WINDOW_MS = 15 * 60_000;

import { buildHttpApp } from './app.ts';
import { httpAuth } from './auth.ts';
import { problem } from './problem.ts';
import type { HttpApp, HttpRoutes } from './routeKit.ts';
import { adminRoutes } from './routes/admin.ts';
import { adminModuleRoutes } from './routes/adminModules.ts';
import { adminPluginRoutes } from './routes/adminPlugins.ts';
import { auditRoutes } from './routes/audit.ts';
import { authRoutes } from './routes/auth.ts';
import { avatarRoutes } from './routes/avatars.ts';
import { collectionRoutes } from './routes/collections.ts';
import { colorRoutes } from './routes/colors.ts';
import { dryRunRoutes } from './routes/dryRun.ts';
import { environmentRoutes } from './routes/environment.ts';
import { goalIncrementRoutes, goalRoutes } from './routes/goals.ts';
import type { IdentityRouteDeps } from './routes/identityDeps.ts';
import { invocationStreamRoutes } from './routes/invocationStream.ts';
import { invocationRoutes } from './routes/invocations.ts';
import { meRoutes } from './routes/me.ts';
import type { ModuleRouteDeps } from './routes/moduleSchemas.ts';
import { moduleRoutes } from './routes/modules.ts';
import type { ProjectRouteDeps } from './routes/projectSchemas.ts';
import { projectRoutes } from './routes/projects.ts';
import { adminQuotaRoutes, quotaRoutes } from './routes/quotas.ts';
import { runTriggerRoutes } from './routes/runTrigger.ts';
import { triggerHelpRoutes } from './routes/triggerHelp.ts';
import { userRoutes } from './routes/users.ts';
import { webhookRoutes } from './routes/webhooks.ts';
import type { WorkerRouteDeps } from './routes/workerSchemas.ts';
import { workerRoutes } from './routes/workers.ts';

/**
 * The HTTP server of one m3m process: each route module gets the dependencies of its area, built here from
 * the process's parts (`composition.ts`).
 */

/** The identity routes' dependencies: token signing needs the secret, which may be created on first start. */
export async function identityRouteDeps(m3m: M3m, readModelWaitMs = 10_000): Promise<IdentityRouteDeps> {
  const secret = await loadJwtSecret({ configured: m3m.config.auth.jwtSecret, dataDir: m3m.config.dataDir });
  const tokens = jwtTokens({ secret, ttlSeconds: m3m.config.auth.tokenTtlSeconds, clock: m3m.clock });
  const directory = userDirectory(m3m.readStore);
  const avatarFiles = fileAvatarStore(m3m.config.dataDir);
  return {
    commands: {
      commands: m3m.commands,
      hasher: m3m.hasher,
      avatars: avatarFiles,
      projectExists: async (projectId) => (await m3m.readStore.collection(PROJECTS).get(projectId)) !== null,
    },
    directory,
    tokens,
    // Failed sign-ins per address and email, and wrong current passwords: 5 per 15 minutes, in the read store so
    // that the limit holds across m3m processes (ADR 23).
    loginLimiter: new StoreRateLimiter({
      readStore: m3m.readStore,
      clock: m3m.clock,
      scope: 'login',
      maxFailures: SIGN_IN_MAX_FAILURES,
      windowMs: SIGN_IN_WINDOW_MS,
    }),
    apiKeyLimiter: new StoreRateLimiter({
      readStore: m3m.readStore,
      clock: m3m.clock,
      scope: 'api_key',
      maxFailures: m3m.config.auth.apiKeyMaxFailures,
      windowMs: API_KEY_WINDOW_MS,
    }),
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
        throw problem(
          'read_models_behind',
          'The change was recorded, but the read models have not caught up yet: read it again shortly.',
          { headers: { 'retry-after': '1' } },
        );
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
      people: peopleLookup(identity.directory),
    },
    auth: identity.auth,
    apiKeyLimiter: identity.apiKeyLimiter,
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
  /** How often an invocation stream re-checks its viewer's access; default 2 s. */
  streamAccessCheckMs?: number;
  /** How long a write waits for the read models to include it before answering 503; default 10 s. */
  readModelWaitMs?: number;
}

export async function buildServer(m3m: M3m, options: BuildServerOptions = {}): Promise<HttpApp> {
  // The table every X-Api-Key request looks in: made up front, so the lookup is a plain read (a missing table
  // is looked for again after each schema change) and the sweep of expired entries has its index.
  await m3m.readStore.ensureIndexes(RATE_LIMITS, [{ fields: ['expiresAt'] }]);
  const identity = await identityRouteDeps(m3m, options.readModelWaitMs);
  const projects = projectRouteDeps(m3m, identity);
  const modules = moduleRouteDeps(m3m, identity);
  const workers: WorkerRouteDeps = {
    app: m3m.workers,
    auth: identity.auth,
    apiKeyLimiter: identity.apiKeyLimiter,
    waitFor: identity.waitFor,
    ...(options.sseHeartbeatMs === undefined ? {} : { heartbeatMs: options.sseHeartbeatMs }),
    ...(options.streamAccessCheckMs === undefined
      ? {}
      : { streamAccessCheckMs: options.streamAccessCheckMs }),
  };
  return buildHttpApp({
    config: m3m.config,
    logger: m3m.logger,
    health: () => healthReport(m3m),
    storage: m3m.storage,
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
      collectionRoutes(projects),
      moduleRoutes(modules),
      adminModuleRoutes(modules),
      adminPluginRoutes({ auth: identity.auth, plugins: () => m3m.plugins.status() }),
      workerRoutes(workers),
      invocationRoutes(workers),
      invocationStreamRoutes(workers),
      dryRunRoutes(workers),
      quotaRoutes(workers),
      adminQuotaRoutes(workers),
      triggerHelpRoutes(workers),
      auditRoutes(projects),
      webhookRoutes({
        app: m3m.webhooks.deps,
        auth: identity.auth,
        sender: m3m.webhooks.sender,
        waitFor: identity.waitFor,
      }),
      ...(options.extraRoutes?.({ identity, projects, modules }) ?? []),
    ],
    rootRoutes: [runTriggerRoutes(workers)],
  });
}
