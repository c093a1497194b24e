import { queryOptions, useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { session } from '@/api/auth';
import { api, unwrap } from '@/api/client';
import type { User } from '@/api/types';

export const authKeys = {
  me: ['me'] as const,
  setup: ['auth', 'setup'] as const,
};

export const meQuery = queryOptions({
  queryKey: authKeys.me,
  queryFn: () => unwrap(api.GET('/api/v1/me')),
  staleTime: 60_000,
});

export function useMe() {
  return useQuery(meQuery);
}

export function useSetupStatus() {
  return useQuery({
    queryKey: authKeys.setup,
    queryFn: () => unwrap(api.GET('/api/v1/auth/setup')),
    staleTime: 5_000,
  });
}

export function useSignIn() {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: (body: { email: string; password: string }) =>
      unwrap(api.POST('/api/v1/auth/login', { body })),
    onSuccess(result) {
      // A different user may sign in on this browser: nothing of the last one's cache may show.
      qc.clear();
      qc.setQueryData(authKeys.me, result.user);
      session.set({ token: result.token, expiresAt: result.expiresAt });
    },
  });
}

export function isGlobalAdmin(user: User | undefined): boolean {
  return user?.role === 'admin' || user?.role === 'root';
}

/** Global admins hold every permission whatever their list says. */
export function hasPermission(user: User | undefined, permission: User['permissions'][number]): boolean {
  return isGlobalAdmin(user) || (user?.permissions.includes(permission) ?? false);
}
