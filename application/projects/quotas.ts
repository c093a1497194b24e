import { project, projectStream } from '../../domain/project.ts';
import type { ProjectQuotas, QuotaDefaults } from '../../domain/projectQuotas.ts';
import { handleCommand } from '../commands/handleCommand.ts';
import { type Actor, eventMetadata, type RequestOrigin } from '../context.ts';
import { refusals } from '../errors.ts';
import { assertCanUseAdminRoutes } from '../identity/authorization.ts';
import { modelCollectionPrefix } from '../runtime/models.ts';
import { readUsage, type UsageView } from '../runtime/projectUsage.ts';
import type { ProjectDeps } from './deps.ts';
import { findVisibleProject } from './queries.ts';

/**
 * Per-project quotas (issue 12, item 5): what a project stores against them (anyone who sees it may look), and a
 * global admin's own quotas for one project over the installation's `M3M_QUOTA_*` defaults.
 */

export async function projectUsage(
  deps: ProjectDeps,
  defaults: QuotaDefaults | undefined,
  actor: Actor,
  projectId: string,
): Promise<UsageView> {
  await findVisibleProject(deps, actor, projectId);
  return readUsage(deps.readStore, defaults, projectId, modelCollectionPrefix(projectId));
}

/** Sets the named quotas (`null`: back to the default); the others stay. Global admins only. */
export async function setProjectQuotas(
  deps: ProjectDeps,
  actor: Actor,
  projectId: string,
  quotas: Partial<ProjectQuotas>,
  origin?: RequestOrigin,
): Promise<{ position: number | null }> {
  assertCanUseAdminRoutes(actor);
  await findVisibleProject(deps, actor, projectId);
  return refusals(async () => {
    const outcome = await handleCommand(
      deps,
      projectStream(projectId),
      project,
      { type: 'SetQuotas', quotas },
      eventMetadata(actor, origin),
    );
    return { position: outcome.position };
  });
}
