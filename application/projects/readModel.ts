import type { ProjectQuotas } from '../../domain/projectQuotas.ts';
import type { Doc } from '../ports/readStore.ts';

/**
 * The read models of projects, goals and environments, as queries see them. The projections in
 * `projections/` are the only writers.
 */

export const PROJECTS = 'projects';
/** One document per (project, user) with access through ownership or membership: "which projects may I see". */
export const PROJECT_ACCESS = 'project_access';
export const GOALS = 'goals';
export const GOAL_TOTALS = 'goal_totals';
export const GOAL_DAILY = 'goal_daily';
export const PROJECT_ENV = 'project_env';

export interface ProjectDoc extends Doc {
  name: string;
  slug: string;
  color: string | null;
  ownerId: string | null;
  memberIds: string[];
  /** SHA-256 of the current API key (hex): the key check looks the project up by it. */
  apiKeyHash: string;
  apiKeyPrefix: string;
  apiKeyRotatedAt: string;
  /** A global admin's quotas for the project; absent or `null` ones are the installation's. */
  quotas?: ProjectQuotas;
  createdAt: string;
  updatedAt: string;
}

export interface ProjectAccessDoc extends Doc {
  projectId: string;
  userId: string;
  relation: 'owner' | 'member';
}

export interface GoalDoc extends Doc {
  /** `null`: a global goal. */
  projectId: string | null;
  /** The goal's own slug. */
  goalSlug: string;
  /** What it is addressed by: `{project-slug}-{goal-slug}`, or `goalSlug` for a global goal. */
  slug: string;
  name: string;
  color: string | null;
  description: string;
  goalType: 'counter' | 'daily_counter';
  allowedProjectIds: string[];
  createdAt: string;
  updatedAt: string;
}

export interface GoalTotalDoc extends Doc {
  goalType: 'counter' | 'daily_counter';
  total: number;
}

export interface GoalDailyDoc extends Doc {
  goalId: string;
  /** `YYYY-MM-DD`, UTC. */
  day: string;
  value: number;
}

export interface EnvVariableDoc extends Doc {
  projectId: string;
  name: string;
  secret: boolean;
  /** In clear for a non-secret, `null` for a secret. */
  value: string | null;
  /** The ciphertext of a secret, `null` otherwise. */
  encrypted: string | null;
  updatedAt: string;
}

export const goalDailyId = (goalId: string, day: string) => `${goalId}:${day}`;
export const projectAccessId = (projectId: string, userId: string) => `${projectId}:${userId}`;
export const envVariableId = (projectId: string, name: string) => `${projectId}:${name}`;
