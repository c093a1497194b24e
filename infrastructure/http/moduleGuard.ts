import type { FastifyRequest } from 'fastify';
import type { ModuleGateDeps } from '../../application/modules/deps.ts';
import { assertModuleActive } from '../../application/modules/queries.ts';
import type { ProjectDeps } from '../../application/projects/deps.ts';
import { findVisibleProject } from '../../application/projects/queries.ts';
import type { HttpAuth } from './auth.ts';

export interface ModuleGuardDeps {
  app: ProjectDeps & ModuleGateDeps;
  auth: HttpAuth;
}

const projectIdParam = (request: FastifyRequest): unknown => (request.params as { id?: unknown }).id;

/**
 * A `preHandler` for the routes that belong to a module and act on one project (by default the `:id` path
 * parameter), after `auth.authenticate`: a project the caller cannot see is a 404 as everywhere, then a
 * module that is not active there (disabled, trial over, plugin not installed) is a 403 `module_disabled`.
 *
 *     app.get('/projects/:id/crm/contacts', { preHandler: requireModule(deps, 'crm'), schema }, handler)
 *
 * The module must be in the catalogue when the route is registered: a typo fails at start-up, not at 403.
 */
export function requireModule(
  deps: ModuleGuardDeps,
  moduleCode: string,
  projectIdOf: (request: FastifyRequest) => unknown = projectIdParam,
): (request: FastifyRequest) => Promise<void> {
  if (!deps.app.modules.get(moduleCode)) {
    throw new Error(`requireModule: there is no module "${moduleCode}" in the catalogue.`);
  }
  return async (request) => {
    const projectId = projectIdOf(request);
    if (typeof projectId !== 'string') {
      throw new Error(`requireModule(${moduleCode}): the route has no project id for ${request.url}`);
    }
    await findVisibleProject(deps.app, deps.auth.actorOf(request), projectId);
    await assertModuleActive(deps.app, projectId, moduleCode);
  };
}
