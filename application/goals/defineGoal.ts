import { randomUUID } from 'node:crypto';
import { type Color, isColor } from '../../domain/colors.ts';
import { DomainError } from '../../domain/decider.ts';
import {
  GOAL_DESCRIPTION_MAX,
  GOAL_TYPES,
  type GoalCommand,
  type GoalType,
  goal,
  goalStream,
  validateGoalSlug,
} from '../../domain/goal.ts';
import { normalizeName } from '../../domain/project.ts';
import { handleClaimedAtomically } from '../commands/handleClaimed.ts';
import { handleCommand } from '../commands/handleCommand.ts';
import { type Actor, eventMetadata, type RequestOrigin } from '../context.ts';
import { refusals, refuse } from '../errors.ts';
import { canManageGlobalGoals } from '../projects/accessPolicy.ts';
import type { ProjectDeps } from '../projects/deps.ts';
import { findManageableProject } from '../projects/queries.ts';
import { releaseSlug, reserveSlug, slugClaim } from '../projects/slugReservations.ts';
import { goalSlugScope } from './goalSlugs.ts';
import { assertLiveProjects } from './queries.ts';

export interface DefineGoalInput {
  slug: string;
  name: string;
  type: GoalType;
  color?: Color;
  description?: string;
  /** Global goals only. */
  allowedProjectIds?: string[];
}

export function validateGoalInput(input: {
  slug?: string;
  name?: string;
  type?: string;
  color?: unknown;
  description?: string;
}): void {
  refusals(() => {
    if (input.slug !== undefined) validateGoalSlug(input.slug);
    if (input.name !== undefined) normalizeName(input.name);
    if (input.type !== undefined && !(GOAL_TYPES as readonly string[]).includes(input.type))
      throw new DomainError('invalid_goal_type', `A goal type is one of ${GOAL_TYPES.join(', ')}.`);
    if (input.color !== undefined && !isColor(input.color))
      throw new DomainError('invalid_color', 'Unknown colour; see GET /api/v1/colors.');
    if (input.description !== undefined && input.description.trim().length > GOAL_DESCRIPTION_MAX)
      throw new DomainError(
        'invalid_description',
        `A description is at most ${GOAL_DESCRIPTION_MAX} characters.`,
      );
  });
}

/**
 * Defines a project goal (`projectId` set; the project's owner or a global admin) or a global goal
 * (`projectId` null; global admins only). The goal slug's reservation and the definition are one append where the
 * event store offers it (SQLite, PostgreSQL), as for projects: of two definitions racing for one slug exactly one
 * gets it, and no failure leaves a reservation without its goal (ADR 25).
 */
export async function defineGoal(
  deps: ProjectDeps,
  actor: Actor,
  projectId: string | null,
  input: DefineGoalInput,
  origin?: RequestOrigin,
): Promise<{ goalId: string; position: number }> {
  if (projectId !== null) await findManageableProject(deps, actor, projectId);
  else if (!canManageGlobalGoals(actor)) {
    throw refuse('not_global_admin', 'Only global admins define global goals.');
  }
  validateGoalInput(input);
  const allowedProjectIds = input.allowedProjectIds ?? [];
  if (projectId !== null && allowedProjectIds.length > 0) {
    throw refuse(
      'not_a_global_goal',
      'A project goal belongs to its project; only global goals have a list of allowed projects.',
      'allowedProjectIds',
    );
  }
  await assertLiveProjects(deps, allowedProjectIds);

  const goalId = randomUUID();
  const context = eventMetadata(actor, origin);
  const scope = goalSlugScope(deps, projectId);
  const define: GoalCommand = {
    type: 'DefineGoal',
    goalId,
    projectId,
    slug: input.slug,
    name: input.name,
    color: input.color ?? null,
    description: input.description ?? '',
    goalType: input.type,
    allowedProjectIds,
  };
  return refusals(async () => {
    if (deps.eventStore.appendAtomically) {
      const [, defined] = await handleClaimedAtomically(
        deps,
        slugClaim(deps, scope, input.slug, goalId),
        [{ streamId: goalStream(goalId), decider: goal, command: define }],
        context,
      );
      return { goalId, position: defined!.position! };
    }
    // An event store without atomic appends to several streams (KurrentDB before 25.1): reserve, define, and
    // give the slug back when the definition fails (a death in between leaves it to be reclaimed as abandoned).
    await reserveSlug(deps, scope, input.slug, goalId, context);
    try {
      const outcome = await handleCommand(deps, goalStream(goalId), goal, define, context);
      return { goalId, position: outcome.position! };
    } catch (error) {
      await releaseSlug(deps, scope, input.slug, goalId, context).catch(() => {});
      throw error;
    }
  });
}
