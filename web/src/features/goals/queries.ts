import { queryOptions, useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { api, unwrap } from '@/api/client';
import type { ColorName } from '@/api/types';

export const goalKeys = {
  all: ['goals'] as const,
  global: ['goals', 'global'] as const,
  project: (projectId: string) => ['goals', 'project', projectId] as const,
  detail: (goal: string) => ['goals', 'detail', goal] as const,
  stats: (goal: string, range: { from?: string; to?: string }) =>
    ['goals', 'stats', goal, range.from ?? '', range.to ?? ''] as const,
};

export const projectGoalsQuery = (projectId: string) =>
  queryOptions({
    queryKey: goalKeys.project(projectId),
    queryFn: async () =>
      (await unwrap(api.GET('/api/v1/projects/{id}/goals', { params: { path: { id: projectId } } }))).items,
  });

export const globalGoalsQuery = queryOptions({
  queryKey: goalKeys.global,
  queryFn: async () => (await unwrap(api.GET('/api/v1/goals'))).items,
});

/** An empty id (no project in context) fetches nothing. */
export function useProjectGoals(projectId: string) {
  return useQuery({ ...projectGoalsQuery(projectId), enabled: !!projectId });
}

export function useGlobalGoals(enabled = true) {
  return useQuery({ ...globalGoalsQuery, enabled });
}

export function useGoal(goal: string) {
  return useQuery({
    queryKey: goalKeys.detail(goal),
    queryFn: () => unwrap(api.GET('/api/v1/goals/{goal}', { params: { path: { goal } } })),
  });
}

export const goalStatsQuery = (goal: string, range: { from?: string; to?: string } = {}) =>
  queryOptions({
    queryKey: goalKeys.stats(goal, range),
    queryFn: () =>
      unwrap(
        api.GET('/api/v1/goals/{goal}/stats', {
          params: {
            path: { goal },
            query: { ...(range.from ? { from: range.from } : {}), ...(range.to ? { to: range.to } : {}) },
          },
        }),
      ),
  });

export function useGoalStats(goal: string, range: { from?: string; to?: string } = {}, enabled = true) {
  return useQuery({ ...goalStatsQuery(goal, range), enabled });
}

export interface GoalInput {
  name: string;
  slug: string;
  type: 'counter' | 'daily_counter';
  color: ColorName | null;
  description: string;
  allowedProjectIds?: string[];
}

export function useCreateGoal(projectId: string | null) {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: (input: GoalInput) =>
      projectId
        ? unwrap(
            api.POST('/api/v1/projects/{id}/goals', {
              params: { path: { id: projectId } },
              body: {
                name: input.name,
                slug: input.slug,
                type: input.type,
                color: input.color,
                description: input.description,
              },
            }),
          )
        : unwrap(api.POST('/api/v1/goals', { body: input })),
    meta: { errorHandled: true },
    onSuccess: () => qc.invalidateQueries({ queryKey: goalKeys.all }),
  });
}

export function useUpdateGoal(goalId: string) {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: (body: {
      name?: string;
      color?: ColorName | null;
      description?: string;
      allowedProjectIds?: string[];
    }) => unwrap(api.PATCH('/api/v1/goals/{goal}', { params: { path: { goal: goalId } }, body })),
    meta: { errorHandled: true },
    onSuccess: () => qc.invalidateQueries({ queryKey: goalKeys.all }),
  });
}

export function useDeleteGoal() {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: (goalId: string) =>
      unwrap(api.DELETE('/api/v1/goals/{goal}', { params: { path: { goal: goalId } } })),
    onSuccess: () => qc.invalidateQueries({ queryKey: goalKeys.all }),
  });
}

export function useIncrementGoal(goalId: string) {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: (by: number) =>
      unwrap(
        api.POST('/api/v1/goals/{goal}/increment', { params: { path: { goal: goalId } }, body: { by } }),
      ),
    onSuccess: () => qc.invalidateQueries({ queryKey: goalKeys.all }),
  });
}

/** `YYYY-MM-DD` of a UTC day `days` before today. */
export function utcDay(daysAgo = 0, from = new Date()): string {
  const d = new Date(Date.UTC(from.getUTCFullYear(), from.getUTCMonth(), from.getUTCDate() - daysAgo));
  return d.toISOString().slice(0, 10);
}
