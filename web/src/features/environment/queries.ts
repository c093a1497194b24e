import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { api, unwrap } from '@/api/client';

export const environmentKeys = {
  project: (projectId: string) => ['environment', projectId] as const,
};

export function useEnvironment(projectId: string) {
  return useQuery({
    queryKey: environmentKeys.project(projectId),
    queryFn: async () =>
      (await unwrap(api.GET('/api/v1/projects/{id}/environment', { params: { path: { id: projectId } } })))
        .items,
  });
}

export function useSetVariable(projectId: string) {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: ({ name, value, secret }: { name: string; value: string; secret: boolean }) =>
      unwrap(
        api.PUT('/api/v1/projects/{id}/environment/{name}', {
          params: { path: { id: projectId, name } },
          body: { value, secret },
        }),
      ),
    meta: { errorHandled: true },
    onSuccess: () => qc.invalidateQueries({ queryKey: environmentKeys.project(projectId) }),
  });
}

export function useDeleteVariable(projectId: string) {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: (name: string) =>
      unwrap(
        api.DELETE('/api/v1/projects/{id}/environment/{name}', { params: { path: { id: projectId, name } } }),
      ),
    onSuccess: () => qc.invalidateQueries({ queryKey: environmentKeys.project(projectId) }),
  });
}
