import { goal, goalStream } from '../../domain/goal.ts';
import { handleCommand } from '../commands/handleCommand.ts';
import { type Actor, eventMetadata, type RequestOrigin } from '../context.ts';
import { refusals } from '../errors.ts';
import type { ProjectDeps } from '../projects/deps.ts';
import { releaseSlug } from '../projects/slugReservations.ts';
import { goalSlugScope } from './goalSlugs.ts';
import { findManageableGoal } from './queries.ts';

/** Deletes the goal and its statistics from the read models and frees its slug; the events stay. */
export async function deleteGoal(
  deps: ProjectDeps,
  actor: Actor,
  idOrSlug: string,
  origin?: RequestOrigin,
): Promise<{ position: number }> {
  const doc = await findManageableGoal(deps, actor, idOrSlug);
  const context = eventMetadata(actor, origin);
  return refusals(async () => {
    const outcome = await handleCommand(deps, goalStream(doc.id), goal, { type: 'DeleteGoal' }, context);
    const deleted = outcome.events[0]!;
    if (deleted.type === 'GoalDeleted') {
      const scope = goalSlugScope(deps, deleted.data.projectId);
      await releaseSlug(deps, scope, deleted.data.slug, doc.id, context).catch(() => {});
    }
    return { position: outcome.position! };
  });
}
