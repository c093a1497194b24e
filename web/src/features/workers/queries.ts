import { keepPreviousData, useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { api, unwrap } from '@/api/client';
import type { paths } from '@/api/schema';
import type { ResponseOf } from '@/api/types';

export type Worker = ResponseOf<'/api/v1/projects/{id}/workers/{workerId}', 'get'>;
export type WorkerSummary = ResponseOf<'/api/v1/projects/{id}/workers', 'get'>['items'][number];
export type WorkerVersion = ResponseOf<
  '/api/v1/projects/{id}/workers/{workerId}/versions',
  'get'
>['items'][number];
export type Invocation = ResponseOf<'/api/v1/projects/{id}/invocations/{invocationId}', 'get'>;
export type RunResult = ResponseOf<'/api/v1/projects/{id}/workers/{workerId}/run', 'post'>;
export type DryRunResult = ResponseOf<'/api/v1/projects/{id}/workers/{workerId}/dry-run', 'post'>;
export type DryRunBody =
  paths['/api/v1/projects/{id}/workers/{workerId}/dry-run']['post']['requestBody']['content']['application/json'];
export type WorkerPatch = NonNullable<
  paths['/api/v1/projects/{id}/workers/{workerId}']['patch']['requestBody']
>['content']['application/json'];
export type Language = Worker['language'];
export type Outcome = Invocation['outcome'];
export type Trigger = Invocation['trigger'];

export const workerKeys = {
  list: (projectId: string) => ['workers', projectId] as const,
  detail: (projectId: string, workerId: string) => ['workers', projectId, workerId] as const,
  versions: (projectId: string, workerId: string) => ['workers', projectId, workerId, 'versions'] as const,
  version: (projectId: string, workerId: string, version: number) =>
    ['workers', projectId, workerId, 'versions', version] as const,
  invocations: (projectId: string, workerId: string) =>
    ['workers', projectId, workerId, 'invocations'] as const,
  invocation: (projectId: string, invocationId: string) => ['invocations', projectId, invocationId] as const,
  stats: (projectId: string, workerId: string, from: string, to: string) =>
    ['workers', projectId, workerId, 'stats', from, to] as const,
  runtimeDts: (projectId: string) => ['runtime-dts', projectId] as const,
  eventTypes: (projectId: string) => ['event-types', projectId] as const,
  cron: (expression: string) => ['cron-preview', expression] as const,
};

export function useWorkers(projectId: string) {
  return useQuery({
    queryKey: workerKeys.list(projectId),
    queryFn: async () =>
      (await unwrap(api.GET('/api/v1/projects/{id}/workers', { params: { path: { id: projectId } } }))).items,
  });
}

export function useWorker(projectId: string, workerId: string) {
  return useQuery({
    queryKey: workerKeys.detail(projectId, workerId),
    queryFn: () =>
      unwrap(
        api.GET('/api/v1/projects/{id}/workers/{workerId}', {
          params: { path: { id: projectId, workerId } },
        }),
      ),
  });
}

export function useCreateWorker(projectId: string) {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: (body: { name: string; slug: string; language: Language }) =>
      unwrap(api.POST('/api/v1/projects/{id}/workers', { params: { path: { id: projectId } }, body })),
    meta: { errorHandled: true },
    onSuccess: () => qc.invalidateQueries({ queryKey: workerKeys.list(projectId) }),
  });
}

export function useUpdateWorker(projectId: string, workerId: string) {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: (body: WorkerPatch) =>
      unwrap(
        api.PATCH('/api/v1/projects/{id}/workers/{workerId}', {
          params: { path: { id: projectId, workerId } },
          body,
        }),
      ),
    meta: { errorHandled: true },
    onSuccess: (worker) => {
      qc.setQueryData(workerKeys.detail(projectId, workerId), worker);
      void qc.invalidateQueries({ queryKey: workerKeys.list(projectId), exact: true });
      void qc.invalidateQueries({ queryKey: workerKeys.eventTypes(projectId) });
    },
  });
}

export function useDeleteWorker(projectId: string) {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: (workerId: string) =>
      unwrap(
        api.DELETE('/api/v1/projects/{id}/workers/{workerId}', {
          params: { path: { id: projectId, workerId } },
        }),
      ),
    onSuccess: () => qc.invalidateQueries({ queryKey: workerKeys.list(projectId) }),
  });
}

/** Saving the draft is quiet (the editor shows its state); the answer updates the cached worker. */
export function useSaveDraft(projectId: string, workerId: string) {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: (source: string) =>
      unwrap(
        api.PUT('/api/v1/projects/{id}/workers/{workerId}/draft', {
          params: { path: { id: projectId, workerId } },
          body: { source },
        }),
      ),
    meta: { errorHandled: true },
    onSuccess: (worker) => qc.setQueryData(workerKeys.detail(projectId, workerId), worker),
  });
}

export function useDeploy(projectId: string, workerId: string) {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: (source: string) =>
      unwrap(
        api.POST('/api/v1/projects/{id}/workers/{workerId}/deploy', {
          params: { path: { id: projectId, workerId } },
          body: { source },
        }),
      ),
    meta: { errorHandled: true },
    onSuccess: () => qc.invalidateQueries({ queryKey: workerKeys.detail(projectId, workerId) }),
  });
}

export function useVersions(projectId: string, workerId: string) {
  return useQuery({
    queryKey: workerKeys.versions(projectId, workerId),
    queryFn: async () =>
      (
        await unwrap(
          api.GET('/api/v1/projects/{id}/workers/{workerId}/versions', {
            params: { path: { id: projectId, workerId } },
          }),
        )
      ).items,
  });
}

export function useVersion(projectId: string, workerId: string, version: number | null) {
  return useQuery({
    queryKey: workerKeys.version(projectId, workerId, version ?? 0),
    enabled: version !== null,
    staleTime: Number.POSITIVE_INFINITY,
    queryFn: () =>
      unwrap(
        api.GET('/api/v1/projects/{id}/workers/{workerId}/versions/{version}', {
          params: { path: { id: projectId, workerId, version: version ?? 0 } },
        }),
      ),
  });
}

export function useActivateVersion(projectId: string, workerId: string) {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: (version: number) =>
      unwrap(
        api.POST('/api/v1/projects/{id}/workers/{workerId}/versions/{version}/activate', {
          params: { path: { id: projectId, workerId, version } },
        }),
      ),
    onSuccess: (worker) => {
      qc.setQueryData(workerKeys.detail(projectId, workerId), worker);
      void qc.invalidateQueries({ queryKey: workerKeys.versions(projectId, workerId) });
    },
  });
}

export function useRunWorker(projectId: string, workerId: string) {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: (input: unknown) =>
      unwrap(
        api.POST('/api/v1/projects/{id}/workers/{workerId}/run', {
          params: { path: { id: projectId, workerId } },
          body: { input },
        }),
      ),
    meta: { errorHandled: true },
    onSuccess: () => qc.invalidateQueries({ queryKey: workerKeys.invocations(projectId, workerId) }),
  });
}

export function useDryRun(projectId: string, workerId: string) {
  return useMutation({
    mutationFn: (body: DryRunBody) =>
      unwrap(
        api.POST('/api/v1/projects/{id}/workers/{workerId}/dry-run', {
          params: { path: { id: projectId, workerId } },
          body,
        }),
      ),
    meta: { errorHandled: true },
  });
}

export function useInvocations(
  projectId: string,
  workerId: string,
  filters: { outcome?: Outcome | undefined; trigger?: Trigger | undefined },
) {
  return useQuery({
    queryKey: [...workerKeys.invocations(projectId, workerId), filters],
    queryFn: async () =>
      (
        await unwrap(
          api.GET('/api/v1/projects/{id}/workers/{workerId}/invocations', {
            params: {
              path: { id: projectId, workerId },
              query: {
                limit: 50,
                ...(filters.outcome ? { outcome: filters.outcome } : {}),
                ...(filters.trigger ? { trigger: filters.trigger } : {}),
              },
            },
          }),
        )
      ).items,
  });
}

export function useInvocation(projectId: string, invocationId: string) {
  return useQuery({
    queryKey: workerKeys.invocation(projectId, invocationId),
    staleTime: Number.POSITIVE_INFINITY,
    queryFn: () =>
      unwrap(
        api.GET('/api/v1/projects/{id}/invocations/{invocationId}', {
          params: { path: { id: projectId, invocationId } },
        }),
      ),
  });
}

export function useWorkerStats(projectId: string, workerId: string, from: string, to: string) {
  return useQuery({
    queryKey: workerKeys.stats(projectId, workerId, from, to),
    placeholderData: keepPreviousData,
    queryFn: () =>
      unwrap(
        api.GET('/api/v1/projects/{id}/workers/{workerId}/stats', {
          params: { path: { id: projectId, workerId }, query: { from, to } },
        }),
      ),
  });
}

/** The project's Runtime API declarations for the editor (plugins and data models included). */
export function useRuntimeDts(projectId: string) {
  return useQuery({
    queryKey: workerKeys.runtimeDts(projectId),
    queryFn: () =>
      unwrap(
        api.GET('/api/v1/projects/{id}/runtime.d.ts', {
          params: { path: { id: projectId } },
          parseAs: 'text',
        }),
      ) as Promise<string>,
  });
}

export function useEventTypes(projectId: string) {
  return useQuery({
    queryKey: workerKeys.eventTypes(projectId),
    queryFn: () =>
      unwrap(api.GET('/api/v1/projects/{id}/event-types', { params: { path: { id: projectId } } })),
  });
}

export function useCronPreview(expression: string) {
  return useQuery({
    queryKey: workerKeys.cron(expression),
    enabled: expression.trim().length > 0,
    retry: false,
    placeholderData: keepPreviousData,
    meta: { errorHandled: true },
    queryFn: () => unwrap(api.GET('/api/v1/cron/preview', { params: { query: { expression } } })),
  });
}
