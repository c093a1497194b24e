import type { Color } from '../../domain/colors.ts';
import { goal, goalStream } from '../../domain/goal.ts';
import { handleCommand } from '../commands/handleCommand.ts';
import { type Actor, eventMetadata, type RequestOrigin } from '../context.ts';
import { refusals } from '../errors.ts';
import type { ProjectDeps } from '../projects/deps.ts';
import { validateGoalInput } from './defineGoal.ts';
import { assertLiveProjects, findManageableGoal } from './queries.ts';

export interface UpdateGoalInput {
  name?: string;
  color?: Color;
  description?: string;
  /** Global goals only. */
  allowedProjectIds?: string[];
}

/** Name, colour, description and (global goals) allowed projects. The slug and the type are fixed. */
export async function updateGoal(
  deps: ProjectDeps,
  actor: Actor,
  idOrSlug: string,
  input: UpdateGoalInput,
  origin?: RequestOrigin,
): Promise<{ goalId: string; position: number | null }> {
  const doc = await findManageableGoal(deps, actor, idOrSlug);
  validateGoalInput(input);
  if (input.allowedProjectIds) await assertLiveProjects(deps, input.allowedProjectIds);
  return refusals(async () => {
    const outcome = await handleCommand(
      deps,
      goalStream(doc.id),
      goal,
      { type: 'UpdateGoal', ...input },
      eventMetadata(actor, origin),
    );
    return { goalId: doc.id, position: outcome.position };
  });
}
