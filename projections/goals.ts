import { findAll } from '../application/ports/findAll.ts';
import type { Doc } from '../application/ports/readStore.ts';
import { GOALS, type GoalDoc } from '../application/projects/readModel.ts';
import { fullGoalSlug, GOAL_EVENT_TYPES, type GoalEvent } from '../domain/goal.ts';
import type { ProjectEvent } from '../domain/project.ts';
import type { Projection } from './projection.ts';

/** The current slug of each live project, so that a project goal's full slug can follow a slug change. */
const PROJECT_SLUGS = 'goal_project_slugs';
interface ProjectSlugDoc extends Doc {
  slug: string;
}

/**
 * Global and project goals in one model. A project goal's `slug` is `{project-slug}-{goal-slug}` and follows
 * the project's slug; a deleted project takes its goals with it and leaves the allow-lists of global goals.
 */
export const goalsProjection: Projection = {
  name: 'goals',
  version: 1,
  collections: {
    [GOALS]: [{ fields: ['slug'] }, { fields: ['projectId', 'name'] }],
    [PROJECT_SLUGS]: [],
  },
  eventTypes: [...GOAL_EVENT_TYPES, 'ProjectCreated', 'ProjectSlugChanged', 'ProjectDeleted'],
  async apply(recorded, view) {
    const event = { type: recorded.type, data: recorded.data } as GoalEvent | ProjectEvent;
    const at = recorded.metadata.timestamp;
    const goals = view.collection<GoalDoc>(GOALS);
    const projectSlugs = view.collection<ProjectSlugDoc>(PROJECT_SLUGS);
    switch (event.type) {
      case 'ProjectCreated':
        await projectSlugs.upsert({ id: event.data.projectId, slug: event.data.slug });
        return;
      case 'ProjectSlugChanged': {
        const { projectId, to } = event.data;
        await projectSlugs.upsert({ id: projectId, slug: to });
        for (const goal of await findAll(goals, { projectId })) {
          await goals.patch(goal.id, { $set: { slug: fullGoalSlug(to, goal.goalSlug) } });
        }
        return;
      }
      case 'ProjectDeleted': {
        const { projectId } = event.data;
        await projectSlugs.delete(projectId);
        await goals.deleteMany({ projectId });
        for (const goal of await findAll(goals, { projectId: null })) {
          if (goal.allowedProjectIds.includes(projectId)) {
            await goals.patch(goal.id, {
              $set: { allowedProjectIds: goal.allowedProjectIds.filter((id) => id !== projectId) },
            });
          }
        }
        return;
      }
      case 'GoalDefined': {
        const { goalId, projectId, slug, name, color, description, goalType, allowedProjectIds } = event.data;
        const projectSlug = projectId === null ? null : ((await projectSlugs.get(projectId))?.slug ?? null);
        // A goal of a project deleted before the goal's definition was read: nothing to show.
        if (projectId !== null && projectSlug === null) return;
        await goals.upsert({
          id: goalId,
          projectId,
          goalSlug: slug,
          slug: fullGoalSlug(projectSlug, slug),
          name,
          color,
          description,
          goalType,
          allowedProjectIds,
          createdAt: at,
          updatedAt: at,
        });
        return;
      }
      case 'GoalUpdated':
        await goals.patch(event.data.goalId, { $set: { ...event.data.changes, updatedAt: at } });
        return;
      case 'GoalDeleted':
        await goals.delete(event.data.goalId);
        return;
    }
  },
};
