import type { Color } from '../../domain/colors.ts';
import { type ProjectEvent, project, projectStream } from '../../domain/project.ts';
import { type CommandResult, handleCommand } from '../commands/handleCommand.ts';
import { type Actor, eventMetadata, type RequestOrigin } from '../context.ts';
import { refusals } from '../errors.ts';
import { validateProjectInput } from './createProject.ts';
import type { ProjectDeps } from './deps.ts';
import { projectSlugScope } from './projectSlugs.ts';
import { findManageableProject } from './queries.ts';
import { releaseSlug, reserveSlug } from './slugReservations.ts';

export interface UpdateProjectInput {
  name?: string;
  color?: Color;
  slug?: string;
}

/**
 * Rename, recolour, change the slug — in one append. A new slug is reserved first and the old one released
 * once the project has moved to the new one, so the project never goes without its slug and no other project
 * can take the new one meanwhile. Returns the position of the change, `null` when nothing changed.
 */
export async function updateProject(
  deps: ProjectDeps,
  actor: Actor,
  projectId: string,
  input: UpdateProjectInput,
  origin?: RequestOrigin,
): Promise<{ position: number | null }> {
  await findManageableProject(deps, actor, projectId);
  validateProjectInput(input);
  const context = eventMetadata(actor, origin);
  const scope = projectSlugScope(deps);
  return refusals(async () => {
    if (input.slug !== undefined) await reserveSlug(deps, scope, input.slug, projectId, context);
    let outcome: CommandResult<ProjectEvent>;
    try {
      outcome = await handleCommand(
        deps,
        projectStream(projectId),
        project,
        { type: 'UpdateProject', ...input },
        context,
      );
    } catch (error) {
      if (input.slug !== undefined && !(await scope.holderUses(projectId, input.slug))) {
        await releaseSlug(deps, scope, input.slug, projectId, context).catch(() => {});
      }
      throw error;
    }
    for (const event of outcome.events) {
      // Should this fail, the old slug stays reserved until someone reclaims it as abandoned.
      if (event.type === 'ProjectSlugChanged') {
        await releaseSlug(deps, scope, event.data.from, projectId, context).catch(() => {});
      }
    }
    return { position: outcome.position };
  });
}
