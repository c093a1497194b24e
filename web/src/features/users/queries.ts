import { queryOptions, useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { api, unwrap } from '@/api/client';
import type { Permission, User } from '@/api/types';
import { moduleKeys } from '@/features/modules/queries';
import { projectKeys } from '@/features/projects/queries';

export const userKeys = {
  all: ['users'] as const,
  list: ['users', 'list'] as const,
  detail: (id: string) => ['users', 'detail', id] as const,
};

/** Every user, page after page (the API pages by email, 200 at most per page). */
export const usersQuery = queryOptions({
  queryKey: userKeys.list,
  queryFn: async () => {
    const users: User[] = [];
    let cursor: string | null = null;
    do {
      const page: { items: User[]; nextCursor: string | null } = await unwrap(
        api.GET('/api/v1/users', { params: { query: { limit: 200, ...(cursor ? { cursor } : {}) } } }),
      );
      users.push(...page.items);
      cursor = page.nextCursor;
    } while (cursor);
    return users;
  },
});

export function useUsers(enabled = true) {
  return useQuery({ ...usersQuery, enabled });
}

export function useUser(id: string) {
  return useQuery({
    queryKey: userKeys.detail(id),
    queryFn: () => unwrap(api.GET('/api/v1/users/{id}', { params: { path: { id } } })),
  });
}

export interface NewUser {
  email: string;
  name: string;
  password: string;
  role: 'admin' | 'user';
  permissions: Permission[];
  projectIds: string[];
}

function useInvalidateUsers() {
  const qc = useQueryClient();
  return () => {
    void qc.invalidateQueries({ queryKey: userKeys.all });
    // Project access lives on the projects too (their members).
    void qc.invalidateQueries({ queryKey: projectKeys.all });
  };
}

export function useCreateUser() {
  const invalidate = useInvalidateUsers();
  return useMutation({
    mutationFn: (body: NewUser) => unwrap(api.POST('/api/v1/users', { body })),
    meta: { errorHandled: true },
    onSuccess: invalidate,
  });
}

export function useUpdateUser(id: string) {
  const invalidate = useInvalidateUsers();
  return useMutation({
    mutationFn: (body: {
      name?: string;
      email?: string;
      permissions?: Permission[];
      role?: 'admin' | 'user';
    }) => unwrap(api.PATCH('/api/v1/users/{id}', { params: { path: { id } }, body })),
    meta: { errorHandled: true },
    onSuccess: invalidate,
  });
}

export function useSetBlocked() {
  const invalidate = useInvalidateUsers();
  return useMutation({
    mutationFn: ({ id, blocked }: { id: string; blocked: boolean }) =>
      blocked
        ? unwrap(api.POST('/api/v1/users/{id}/block', { params: { path: { id } } }))
        : unwrap(api.POST('/api/v1/users/{id}/unblock', { params: { path: { id } } })),
    onSuccess: invalidate,
  });
}

export function useDeleteUser() {
  const invalidate = useInvalidateUsers();
  return useMutation({
    mutationFn: (id: string) => unwrap(api.DELETE('/api/v1/users/{id}', { params: { path: { id } } })),
    onSuccess: invalidate,
  });
}

export function useGrantProject(userId: string) {
  const invalidate = useInvalidateUsers();
  return useMutation({
    mutationFn: (projectId: string) =>
      unwrap(
        api.POST('/api/v1/users/{id}/projects', { params: { path: { id: userId } }, body: { projectId } }),
      ),
    onSuccess: invalidate,
  });
}

export function useRevokeProject(userId: string) {
  const invalidate = useInvalidateUsers();
  return useMutation({
    mutationFn: (projectId: string) =>
      unwrap(
        api.DELETE('/api/v1/users/{id}/projects/{projectId}', {
          params: { path: { id: userId, projectId } },
        }),
      ),
    onSuccess: invalidate,
  });
}

export function useSetPassword(userId: string) {
  return useMutation({
    mutationFn: (password: string) =>
      unwrap(
        api.POST('/api/v1/admin/users/{id}/password', {
          params: { path: { id: userId } },
          body: { password },
        }),
      ),
    meta: { errorHandled: true },
  });
}

export function useUserLicenses(userId: string, enabled: boolean) {
  return useQuery({
    queryKey: moduleKeys.userLicenses(userId),
    queryFn: async () =>
      (await unwrap(api.GET('/api/v1/admin/users/{id}/licenses', { params: { path: { id: userId } } })))
        .items,
    enabled,
  });
}

export function useGrantLicense(userId: string) {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: (body: {
      moduleCode: string;
      scope: 'all_projects' | 'single_project';
      projectId?: string | null;
    }) => unwrap(api.POST('/api/v1/admin/users/{id}/licenses', { params: { path: { id: userId } }, body })),
    meta: { errorHandled: true },
    onSuccess: () => qc.invalidateQueries({ queryKey: moduleKeys.userLicenses(userId) }),
  });
}

export function useRevokeLicense(userId: string) {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: (licenseId: string) =>
      unwrap(
        api.DELETE('/api/v1/admin/users/{id}/licenses/{licenseId}', {
          params: { path: { id: userId, licenseId } },
        }),
      ),
    onSuccess: () => qc.invalidateQueries({ queryKey: moduleKeys.userLicenses(userId) }),
  });
}
