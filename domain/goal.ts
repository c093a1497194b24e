import { type Color, isColor } from './colors.ts';
import { type Decider, DomainError } from './decider.ts';
import { normalizeName } from './project.ts';

/**
 * A goal's own slug: lowercase letters, digits and inner underscores, 1–48 characters. No hyphen: a project
 * goal is addressed as `{project-slug}-{goal-slug}`, and since project slugs may hold hyphens but goal slugs
 * may not, that full slug splits unambiguously at its last hyphen, and never equals a global goal's slug
 * (which has none). Renaming a project therefore renames its goals' full slugs without any collision.
 */
export const GOAL_SLUG_PATTERN = /^[a-z0-9](?:[a-z0-9_]{0,46}[a-z0-9])?$/;
export const GOAL_DESCRIPTION_MAX = 2000;
export const GOAL_TYPES = ['counter', 'daily_counter'] as const;
export type GoalType = (typeof GOAL_TYPES)[number];
/** The largest single increment; keeps totals far below 2^53 for any realistic number of increments. */
export const MAX_INCREMENT = 1_000_000_000;

export type GoalCommand =
  | {
      type: 'DefineGoal';
      goalId: string;
      /** `null`: a global goal. */
      projectId: string | null;
      slug: string;
      name: string;
      color: Color;
      description: string;
      goalType: GoalType;
      /** Global goals only: the projects allowed to write to it. */
      allowedProjectIds: readonly string[];
    }
  | {
      type: 'UpdateGoal';
      name?: string;
      color?: Color;
      description?: string;
      allowedProjectIds?: readonly string[];
    }
  | { type: 'DeleteGoal' };

export interface GoalChanges {
  name?: string;
  color?: Color;
  description?: string;
  allowedProjectIds?: string[];
}

export type GoalEvent =
  | {
      type: 'GoalDefined';
      data: {
        goalId: string;
        projectId: string | null;
        slug: string;
        name: string;
        color: Color;
        description: string;
        goalType: GoalType;
        allowedProjectIds: string[];
      };
    }
  | { type: 'GoalUpdated'; data: { goalId: string; projectId: string | null; changes: GoalChanges } }
  | { type: 'GoalDeleted'; data: { goalId: string; projectId: string | null; slug: string } };

/**
 * Appended to the goal's increments stream (not its definition stream, which stays short to load) without a
 * revision check: an increment only needs the goal to exist and the writer to be allowed, which the
 * application checks against the read model. `day` is the UTC date of the increment.
 */
export interface GoalIncremented {
  type: 'GoalIncremented';
  data: { goalId: string; by: number; day: string; projectId: string | null };
}

export const GOAL_EVENT_TYPES = ['GoalDefined', 'GoalUpdated', 'GoalDeleted'] as const;

export interface GoalState {
  status: 'none' | 'live' | 'deleted';
  goalId: string | null;
  projectId: string | null;
  slug: string;
  name: string;
  color: Color;
  description: string;
  allowedProjectIds: readonly string[];
}

export function goalStream(goalId: string): string {
  return `goal-${goalId}`;
}

export function goalIncrementsStream(goalId: string): string {
  return `goal-increments-${goalId}`;
}

export function validateGoalSlug(slug: string): void {
  if (!GOAL_SLUG_PATTERN.test(slug)) {
    throw new DomainError(
      'invalid_slug',
      'A goal slug is 1–48 lowercase letters, digits or underscores, starting and ending with a letter or digit.',
    );
  }
}

/** The slug a goal is addressed by: `{project-slug}-{goal-slug}`, or the goal slug of a global goal. */
export function fullGoalSlug(projectSlug: string | null, goalSlug: string): string {
  return projectSlug === null ? goalSlug : `${projectSlug}-${goalSlug}`;
}

const DAY_MS = 86_400_000;
/** The last day `utcDay` wrote out, as `[start, end)` in epoch ms: every increment of a day asks for the same. */
let lastDay = { start: 0, end: 0, text: '' };

/** `2026-01-02T23:59:59.999Z` → `2026-01-02`. */
export function utcDay(at: Date): string {
  const ms = at.getTime();
  if (ms >= lastDay.start && ms < lastDay.end) return lastDay.text;
  const text = at.toISOString().slice(0, 10);
  const start = ms - (((ms % DAY_MS) + DAY_MS) % DAY_MS);
  lastDay = { start, end: start + DAY_MS, text };
  return text;
}

export function incrementGoal(
  goal: { goalId: string },
  by: number,
  projectId: string | null,
  now: Date,
): GoalIncremented {
  if (!Number.isSafeInteger(by) || by < 1 || by > MAX_INCREMENT) {
    throw new DomainError('invalid_increment', `"by" is a whole number from 1 to ${MAX_INCREMENT}.`);
  }
  return { type: 'GoalIncremented', data: { goalId: goal.goalId, by, day: utcDay(now), projectId } };
}

function description(text: string): string {
  const trimmed = text.trim();
  if (trimmed.length > GOAL_DESCRIPTION_MAX) {
    throw new DomainError(
      'invalid_description',
      `A description is at most ${GOAL_DESCRIPTION_MAX} characters.`,
    );
  }
  return trimmed;
}

function color(value: unknown): Color {
  if (!isColor(value)) throw new DomainError('invalid_color', 'Unknown colour; see GET /api/v1/colors.');
  return value;
}

function allowed(projectId: string | null, ids: readonly string[]): string[] {
  if (projectId !== null && ids.length > 0) {
    throw new DomainError(
      'not_a_global_goal',
      'Only a global goal has a list of projects allowed to write to it; a project goal belongs to its project.',
    );
  }
  return [...new Set(ids)].sort();
}

const sameList = (a: readonly string[], b: readonly string[]) =>
  a.length === b.length && a.every((x, i) => x === b[i]);

export const goal: Decider<GoalCommand, GoalState, GoalEvent> = {
  initialState: {
    status: 'none',
    goalId: null,
    projectId: null,
    slug: '',
    name: '',
    color: null,
    description: '',
    allowedProjectIds: [],
  },

  decide(command, state) {
    if (command.type === 'DefineGoal') {
      if (state.status !== 'none') throw new DomainError('goal_exists', 'The goal already exists.');
      validateGoalSlug(command.slug);
      if (!GOAL_TYPES.includes(command.goalType)) {
        throw new DomainError('invalid_goal_type', `A goal type is one of ${GOAL_TYPES.join(', ')}.`);
      }
      return [
        {
          type: 'GoalDefined',
          data: {
            goalId: command.goalId,
            projectId: command.projectId,
            slug: command.slug,
            name: normalizeName(command.name),
            color: color(command.color),
            description: description(command.description),
            goalType: command.goalType,
            allowedProjectIds: allowed(command.projectId, command.allowedProjectIds),
          },
        },
      ];
    }
    if (state.status !== 'live' || state.goalId === null) {
      throw new DomainError('goal_not_found', 'The goal does not exist.');
    }
    const { goalId, projectId } = state;
    if (command.type === 'DeleteGoal') {
      return [{ type: 'GoalDeleted', data: { goalId, projectId, slug: state.slug } }];
    }
    const changes: GoalChanges = {};
    if (command.name !== undefined) {
      const name = normalizeName(command.name);
      if (name !== state.name) changes.name = name;
    }
    if (command.color !== undefined && color(command.color) !== state.color) changes.color = command.color;
    if (command.description !== undefined) {
      const text = description(command.description);
      if (text !== state.description) changes.description = text;
    }
    if (command.allowedProjectIds !== undefined) {
      const ids = allowed(projectId, command.allowedProjectIds);
      if (!sameList(ids, state.allowedProjectIds)) changes.allowedProjectIds = ids;
    }
    if (Object.keys(changes).length === 0) return [];
    return [{ type: 'GoalUpdated', data: { goalId, projectId, changes } }];
  },

  evolve(state, event) {
    switch (event.type) {
      case 'GoalDefined':
        return {
          status: 'live',
          goalId: event.data.goalId,
          projectId: event.data.projectId,
          slug: event.data.slug,
          name: event.data.name,
          color: event.data.color,
          description: event.data.description,
          allowedProjectIds: event.data.allowedProjectIds,
        };
      case 'GoalUpdated':
        return { ...state, ...event.data.changes };
      case 'GoalDeleted':
        return { ...state, status: 'deleted' };
    }
  },
};
