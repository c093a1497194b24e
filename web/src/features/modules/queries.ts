import { queryOptions, useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { api, unwrap } from '@/api/client';
import type { ProjectModule } from '@/api/types';

export const moduleKeys = {
  catalog: ['modules', 'catalog'] as const,
  project: (projectId: string) => ['modules', 'project', projectId] as const,
  myLicenses: ['modules', 'my-licenses'] as const,
  userLicenses: (userId: string) => ['modules', 'licenses', userId] as const,
};

export const catalogQuery = queryOptions({
  queryKey: moduleKeys.catalog,
  queryFn: async () => (await unwrap(api.GET('/api/v1/modules'))).items,
  staleTime: 5 * 60_000,
});

export const projectModulesQuery = (projectId: string) =>
  queryOptions({
    queryKey: moduleKeys.project(projectId),
    queryFn: async () =>
      (await unwrap(api.GET('/api/v1/projects/{id}/modules', { params: { path: { id: projectId } } }))).items,
  });

/** Codes of the modules switched on in a project (active or in trial): what the sidebar and the guard use. */
export function enabledCodes(modules: readonly ProjectModule[] | undefined): Set<string> {
  return new Set((modules ?? []).filter((m) => m.status !== 'disabled').map((m) => m.moduleName));
}

export function useCatalog() {
  return useQuery(catalogQuery);
}

export function useProjectModules(projectId: string | null) {
  return useQuery({ ...projectModulesQuery(projectId ?? ''), enabled: !!projectId });
}

export function useMyLicenses() {
  return useQuery({
    queryKey: moduleKeys.myLicenses,
    queryFn: async () => (await unwrap(api.GET('/api/v1/me/module-licenses'))).items,
  });
}

export function useEnableModule(projectId: string) {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: (body: { moduleCode: string; trialEndsAt?: string }) =>
      unwrap(api.POST('/api/v1/projects/{id}/modules', { params: { path: { id: projectId } }, body })),
    meta: { errorHandled: true },
    onSuccess: () => qc.invalidateQueries({ queryKey: moduleKeys.project(projectId) }),
  });
}

export function useDisableModule(projectId: string) {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: (moduleCode: string) =>
      unwrap(
        api.DELETE('/api/v1/projects/{id}/modules/{moduleCode}', {
          params: { path: { id: projectId, moduleCode } },
        }),
      ),
    onSuccess: () => qc.invalidateQueries({ queryKey: moduleKeys.project(projectId) }),
  });
}
