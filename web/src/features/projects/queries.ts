import { queryOptions, useQuery } from '@tanstack/react-query';
import { api, unwrap } from '@/api/client';
import type { User } from '@/api/types';
import { isGlobalAdmin } from '@/features/auth/queries';

export const projectKeys = {
  all: ['projects'] as const,
  list: ['projects', 'list'] as const,
  adminList: ['projects', 'admin-list'] as const,
  detail: (id: string) => ['projects', 'detail', id] as const,
  colors: ['colors'] as const,
};

export const projectsQuery = queryOptions({
  queryKey: projectKeys.list,
  queryFn: async () => (await unwrap(api.GET('/api/v1/projects'))).items,
});

export const adminProjectsQuery = queryOptions({
  queryKey: projectKeys.adminList,
  queryFn: async () => (await unwrap(api.GET('/api/v1/admin/projects'))).items,
});

export const projectQuery = (id: string) =>
  queryOptions({
    queryKey: projectKeys.detail(id),
    queryFn: () => unwrap(api.GET('/api/v1/projects/{id}', { params: { path: { id } } })),
  });

export function useProjects() {
  return useQuery(projectsQuery);
}

/** The switcher's list: global admins switch into any project (with its owner), others see theirs. */
export function useSwitchableProjects(user: User | undefined) {
  const admin = isGlobalAdmin(user);
  const mine = useQuery({ ...projectsQuery, enabled: !!user && !admin });
  const all = useQuery({ ...adminProjectsQuery, enabled: admin });
  return admin ? all : mine;
}

export function useProject(id: string) {
  return useQuery(projectQuery(id));
}

export const colorsQuery = queryOptions({
  queryKey: projectKeys.colors,
  queryFn: async () => (await unwrap(api.GET('/api/v1/colors'))).items,
  staleTime: Number.POSITIVE_INFINITY,
});
