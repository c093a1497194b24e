import { queryOptions, useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { api, unwrap } from '@/api/client';
import type { ColorName, User } from '@/api/types';
import { isGlobalAdmin } from '@/features/auth/queries';

export const projectKeys = {
  all: ['projects'] as const,
  list: ['projects', 'list'] as const,
  adminList: ['projects', 'admin-list'] as const,
  detail: (id: string) => ['projects', 'detail', id] as const,
  members: (id: string) => ['projects', 'members', id] as const,
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

/** An empty id (no project in context) fetches nothing. */
export function useProject(id: string) {
  return useQuery({ ...projectQuery(id), enabled: !!id });
}

export const colorsQuery = queryOptions({
  queryKey: projectKeys.colors,
  queryFn: async () => (await unwrap(api.GET('/api/v1/colors'))).items,
  staleTime: Number.POSITIVE_INFINITY,
});

export function useCreateProject() {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: (body: { name: string; slug: string; color: ColorName | null }) =>
      unwrap(api.POST('/api/v1/projects', { body })),
    meta: { errorHandled: true },
    onSuccess: () => qc.invalidateQueries({ queryKey: projectKeys.all }),
  });
}

export function useUpdateProject(id: string) {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: (body: { name?: string; slug?: string; color?: ColorName | null }) =>
      unwrap(api.PATCH('/api/v1/projects/{id}', { params: { path: { id } }, body })),
    meta: { errorHandled: true },
    onSuccess: () => qc.invalidateQueries({ queryKey: projectKeys.all }),
  });
}

export function useDeleteProject(id: string) {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: (confirm: string) =>
      unwrap(api.DELETE('/api/v1/projects/{id}', { params: { path: { id } }, body: { confirm } })),
    onSuccess: () => qc.invalidateQueries({ queryKey: projectKeys.all }),
  });
}

export function useRotateApiKey(id: string) {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: () => unwrap(api.POST('/api/v1/projects/{id}/api-key', { params: { path: { id } } })),
    onSuccess: () => qc.invalidateQueries({ queryKey: projectKeys.all }),
  });
}

/** The owner and members with their names; only those who manage the project may read it. */
export function useMembers(id: string) {
  return useQuery({
    queryKey: projectKeys.members(id),
    queryFn: async () =>
      (await unwrap(api.GET('/api/v1/projects/{id}/members', { params: { path: { id } } }))).items,
  });
}

/** By user id (picked from the directory) or by email (typed by an owner who cannot list users). */
export function useGrantMember(id: string) {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: (who: { userId: string } | { email: string }) =>
      unwrap(api.POST('/api/v1/projects/{id}/members', { params: { path: { id } }, body: who })),
    meta: { errorHandled: true },
    onSuccess: () => qc.invalidateQueries({ queryKey: projectKeys.all }),
  });
}

export function useRevokeMember(id: string) {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: (userId: string) =>
      unwrap(api.DELETE('/api/v1/projects/{id}/members/{userId}', { params: { path: { id, userId } } })),
    onSuccess: () => qc.invalidateQueries({ queryKey: projectKeys.all }),
  });
}
