import { project, projectStream } from '../../domain/project.ts';
import { handleCommand } from '../commands/handleCommand.ts';
import { type Actor, eventMetadata, type RequestOrigin } from '../context.ts';
import { refusals } from '../errors.ts';
import { deleteProjectData } from '../runtime/projectData.ts';
import type { ProjectDeps } from './deps.ts';
import { projectSlugScope } from './projectSlugs.ts';
import { findManageableProject } from './queries.ts';
import { releaseSlug } from './slugReservations.ts';

/**
 * Deletes a project: `confirm` must repeat its slug. The project leaves every read model (its goals, their
 * statistics, its environment, modules, workers, members, the users' lists and the licences for it), its
 * workers' data and records are deleted, and its slug becomes free; its events stay in the log.
 */
export async function deleteProject(
  deps: ProjectDeps,
  actor: Actor,
  projectId: string,
  confirm: string,
  origin?: RequestOrigin,
): Promise<{ position: number }> {
  await findManageableProject(deps, actor, projectId);
  const context = eventMetadata(actor, origin);
  return refusals(async () => {
    const outcome = await handleCommand(
      deps,
      projectStream(projectId),
      project,
      { type: 'DeleteProject', confirm },
      context,
    );
    const deleted = outcome.events[0]!;
    if (deleted.type === 'ProjectDeleted') {
      await releaseSlug(deps, projectSlugScope(deps), deleted.data.slug, projectId, context).catch(() => {});
      await deleteProjectData(deps.readStore, projectId);
    }
    return { position: outcome.position! };
  });
}
