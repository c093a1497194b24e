import type { Color } from '../../domain/colors.ts';
import type { GoalType } from '../../domain/goal.ts';
import type { Actor } from '../context.ts';
import { dayRange } from '../dayRange.ts';
import { refuse } from '../errors.ts';
import { findAll } from '../ports/findAll.ts';
import { type AccessibleProjects, canManageGoal, canUseGoal } from '../projects/accessPolicy.ts';
import type { ProjectDeps } from '../projects/deps.ts';
import { accessibleProjects, findVisibleProject } from '../projects/queries.ts';
import {
  GOAL_DAILY,
  GOAL_TOTALS,
  GOALS,
  type GoalDailyDoc,
  type GoalDoc,
  type GoalTotalDoc,
  PROJECTS,
  type ProjectDoc,
} from '../projects/readModel.ts';
import { readModelMemo } from '../readModelMemo.ts';

export interface GoalView {
  id: string;
  /** `null`: a global goal. */
  projectId: string | null;
  /** What increments address: `{project-slug}-{goal-slug}` for a project goal. */
  slug: string;
  goalSlug: string;
  name: string;
  color: Color;
  description: string;
  type: GoalType;
  /** Global goals: the projects allowed to write to it. Empty for a project goal. */
  allowedProjectIds: string[];
  total: number;
  createdAt: string;
  updatedAt: string;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export const noSuchGoal = () => refuse('goal_not_found', 'The goal does not exist.');

export function goalView(doc: GoalDoc, total: number): GoalView {
  return {
    id: doc.id,
    projectId: doc.projectId,
    slug: doc.slug,
    goalSlug: doc.goalSlug,
    name: doc.name,
    color: doc.color as Color,
    description: doc.description,
    type: doc.goalType,
    allowedProjectIds: doc.allowedProjectIds,
    total,
    createdAt: doc.createdAt,
    updatedAt: doc.updatedAt,
  };
}

async function withTotals(deps: ProjectDeps, docs: GoalDoc[]): Promise<GoalView[]> {
  if (docs.length === 0) return [];
  const totals = await findAll(deps.readStore.collection<GoalTotalDoc>(GOAL_TOTALS), {
    id: { $in: docs.map((d) => d.id) },
  });
  const byId = new Map(totals.map((t) => [t.id, t.total]));
  return docs.map((doc) => goalView(doc, byId.get(doc.id) ?? 0));
}

/** A goal by id or by slug, whoever asks; `null` when there is none. */
export async function findGoal(deps: ProjectDeps, idOrSlug: string): Promise<GoalDoc | null> {
  const goals = deps.readStore.collection<GoalDoc>(GOALS);
  // The goals projection owns the model: its checkpoint says when the memo must be dropped.
  return readModelMemo<GoalDoc>(deps.readStore, 'goals', 'idOrSlug').get(idOrSlug, async () => {
    if (UUID.test(idOrSlug)) {
      const byId = await goals.get(idOrSlug.toLowerCase());
      if (byId) return byId;
    }
    return goals.findOne({ slug: idOrSlug });
  });
}

/** A goal the actor may see (and therefore increment); 404 otherwise. */
export async function findUsableGoal(
  deps: ProjectDeps,
  actor: Actor,
  idOrSlug: string,
  accessible?: AccessibleProjects,
): Promise<GoalDoc> {
  const doc = await findGoal(deps, idOrSlug);
  if (!doc || !canUseGoal(doc, accessible ?? (await accessibleProjects(deps, actor)))) throw noSuchGoal();
  return doc;
}

/** The goal if the actor may change it: 404 when they cannot see it, 403 when they may only use it. */
export async function findManageableGoal(
  deps: ProjectDeps,
  actor: Actor,
  idOrSlug: string,
): Promise<GoalDoc> {
  const doc = await findUsableGoal(deps, actor, idOrSlug, await accessibleProjects(deps, actor));
  const project =
    doc.projectId === null ? null : await deps.readStore.collection<ProjectDoc>(PROJECTS).get(doc.projectId);
  if (!canManageGoal(actor, doc, project)) {
    throw refuse(
      'not_goal_manager',
      doc.projectId === null
        ? 'Only global admins change global goals.'
        : "Only the project's owner or a global admin may change its goals.",
    );
  }
  return doc;
}

export async function getGoal(deps: ProjectDeps, actor: Actor, idOrSlug: string): Promise<GoalView> {
  const doc = await findUsableGoal(deps, actor, idOrSlug);
  const [view] = await withTotals(deps, [doc]);
  return view!;
}

export async function listProjectGoals(
  deps: ProjectDeps,
  actor: Actor,
  projectId: string,
): Promise<GoalView[]> {
  await findVisibleProject(deps, actor, projectId);
  const docs = await findAll(deps.readStore.collection<GoalDoc>(GOALS), { projectId }, { name: 1 });
  return withTotals(deps, docs);
}

/** Global goals: all of them for admins, otherwise those that allow one of the caller's projects. */
export async function listGlobalGoals(deps: ProjectDeps, actor: Actor): Promise<GoalView[]> {
  const accessible = await accessibleProjects(deps, actor);
  const docs = await findAll(deps.readStore.collection<GoalDoc>(GOALS), { projectId: null }, { name: 1 });
  return withTotals(
    deps,
    docs.filter((doc) => canUseGoal(doc, accessible)),
  );
}

/** Every id must name a live project. */
export async function assertLiveProjects(deps: ProjectDeps, ids: readonly string[]): Promise<void> {
  if (ids.length === 0) return;
  const unique = [...new Set(ids)];
  const found = await findAll(deps.readStore.collection(PROJECTS), { id: { $in: unique } });
  const live = new Set(found.map((doc) => doc.id));
  const missing = unique.filter((id) => !live.has(id));
  if (missing.length > 0) {
    throw refuse('unknown_project', `No such project: ${missing.join(', ')}.`, 'allowedProjectIds');
  }
}

export interface GoalStats {
  goalId: string;
  slug: string;
  type: GoalType;
  total: number;
  /** Daily counters: the range asked for (inclusive) and one entry per day, missing days as 0. */
  from?: string;
  to?: string;
  days?: { day: string; value: number }[];
}

/**
 * A counter's total; a daily counter's total and values for the UTC days `from`…`to` (default: the last 30
 * days up to today), at most 366 days.
 */
export async function goalStats(
  deps: ProjectDeps,
  actor: Actor,
  idOrSlug: string,
  range: { from?: string; to?: string },
): Promise<GoalStats> {
  const doc = await findUsableGoal(deps, actor, idOrSlug);
  const totalDoc = await deps.readStore.collection<GoalTotalDoc>(GOAL_TOTALS).get(doc.id);
  const stats: GoalStats = {
    goalId: doc.id,
    slug: doc.slug,
    type: doc.goalType,
    total: totalDoc?.total ?? 0,
  };
  if (doc.goalType !== 'daily_counter') return stats;

  const { from, to, days } = dayRange(range, deps.clock.now());
  const rows = await findAll(deps.readStore.collection<GoalDailyDoc>(GOAL_DAILY), {
    goalId: doc.id,
    day: { $gte: from, $lte: to },
  });
  const values = new Map(rows.map((row) => [row.day, row.value]));
  return { ...stats, from, to, days: days.map((day) => ({ day, value: values.get(day) ?? 0 })) };
}
