import { type Actor, hasPermission, isGlobalAdmin } from '../context.ts';

/**
 * Who may do what with projects, their goals and their environment — the whole policy in one place.
 *
 * | relation to the project             | see it, its goals, stats, env (masked) | increment its goals | change settings, members, key, env, goals; delete |
 * | ----------------------------------- | -------------------------------------- | ------------------- | ------------------------------------------------- |
 * | root / global admin / system (CLI)  | yes                                    | yes                 | yes                                               |
 * | owner (its creator)                 | yes                                    | yes                 | yes                                               |
 * | member, or granted it (Actor.projectIds) | yes                               | yes                 | no (403)                                          |
 * | anyone else                         | no (404: its existence is not revealed)| no                  | no                                                |
 * | the project's API key               | —                                      | its own goals and global goals that allow it | —                         |
 *
 * Creating a project needs the `create_projects` permission. Global goals are defined, changed and deleted
 * by global admins only; a user sees a global goal, its stats, and may increment it when it allows one of the
 * projects the user has access to.
 */

export type ProjectRelation = 'admin' | 'owner' | 'member' | 'granted';

export interface ProjectAccessView {
  id: string;
  ownerId: string | null;
  memberIds: readonly string[];
}

export function relationTo(actor: Actor, project: ProjectAccessView): ProjectRelation | null {
  if (isGlobalAdmin(actor)) return 'admin';
  if (actor.kind !== 'user') return null;
  if (project.ownerId === actor.userId) return 'owner';
  if (project.memberIds.includes(actor.userId)) return 'member';
  if (actor.projectIds.includes(project.id)) return 'granted';
  return null;
}

export function canViewProject(actor: Actor, project: ProjectAccessView): boolean {
  return relationTo(actor, project) !== null;
}

/** Settings, members, API key, environment writes, goal definitions, deletion. */
export function canManageProject(actor: Actor, project: ProjectAccessView): boolean {
  const relation = relationTo(actor, project);
  return relation === 'admin' || relation === 'owner';
}

export function canCreateProjects(actor: Actor): boolean {
  return hasPermission(actor, 'create_projects');
}

export function canManageGlobalGoals(actor: Actor): boolean {
  return isGlobalAdmin(actor);
}

/** The projects a caller can see, or `'all'` for admins. */
export type AccessibleProjects = 'all' | ReadonlySet<string>;

export interface GoalAccessView {
  projectId: string | null;
  allowedProjectIds: readonly string[];
}

/** Seeing a goal, its stats, and incrementing it as a user. */
export function canUseGoal(goal: GoalAccessView, accessible: AccessibleProjects): boolean {
  if (accessible === 'all') return true;
  if (goal.projectId !== null) return accessible.has(goal.projectId);
  return goal.allowedProjectIds.some((id) => accessible.has(id));
}

/** Defining, changing and deleting a goal. `project` is the goal's project (absent for a global goal). */
export function canManageGoal(
  actor: Actor,
  goal: GoalAccessView,
  project: ProjectAccessView | null,
): boolean {
  if (goal.projectId === null) return canManageGlobalGoals(actor);
  return project !== null && canManageProject(actor, project);
}

/** Whether a project's API key may increment this goal: its own goals, and global goals that allow it. */
export function projectMayWriteGoal(projectId: string, goal: GoalAccessView): boolean {
  return goal.projectId === null ? goal.allowedProjectIds.includes(projectId) : goal.projectId === projectId;
}
