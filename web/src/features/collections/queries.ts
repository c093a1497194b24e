import { keepPreviousData, useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { api, unwrap } from '@/api/client';

export const dataKeys = {
  collections: (projectId: string) => ['collections', projectId] as const,
  documents: (projectId: string, collection: string) =>
    ['collections', projectId, collection, 'documents'] as const,
  schema: (projectId: string, collection: string) =>
    ['collections', projectId, collection, 'schema'] as const,
};

export function useCollections(projectId: string) {
  return useQuery({
    queryKey: dataKeys.collections(projectId),
    queryFn: async () =>
      (await unwrap(api.GET('/api/v1/projects/{id}/collections', { params: { path: { id: projectId } } })))
        .items,
  });
}

export function useDocuments(
  projectId: string,
  collection: string,
  query: { filter: string; sort: string; cursor: string | null },
) {
  return useQuery({
    queryKey: [...dataKeys.documents(projectId, collection), query],
    placeholderData: keepPreviousData,
    queryFn: () =>
      unwrap(
        api.GET('/api/v1/projects/{id}/collections/{collection}/documents', {
          params: {
            path: { id: projectId, collection },
            query: {
              limit: 20,
              ...(query.filter.trim() ? { filter: query.filter.trim() } : {}),
              ...(query.sort.trim() ? { sort: query.sort.trim() } : {}),
              ...(query.cursor ? { cursor: query.cursor } : {}),
            },
          },
        }),
      ),
  });
}

export function useDeleteDocument(projectId: string, collection: string) {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: (documentId: string) =>
      unwrap(
        api.DELETE('/api/v1/projects/{id}/collections/{collection}/documents/{documentId}', {
          params: { path: { id: projectId, collection, documentId } },
        }),
      ),
    onSuccess: () => {
      void qc.invalidateQueries({ queryKey: dataKeys.documents(projectId, collection) });
      void qc.invalidateQueries({ queryKey: dataKeys.collections(projectId), exact: true });
    },
  });
}

/** A collection's model; `null` when it has none (404). */
export function useCollectionSchema(projectId: string, collection: string) {
  return useQuery({
    queryKey: dataKeys.schema(projectId, collection),
    queryFn: async () => {
      const result = await api.GET('/api/v1/projects/{id}/collections/{collection}/schema', {
        params: { path: { id: projectId, collection } },
      });
      if (result.response.status === 404) return null;
      return unwrap(Promise.resolve(result));
    },
  });
}

export function usePutSchema(projectId: string, collection: string) {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: (schema: Record<string, unknown>) =>
      unwrap(
        api.PUT('/api/v1/projects/{id}/collections/{collection}/schema', {
          params: { path: { id: projectId, collection } },
          body: { schema },
        }),
      ),
    meta: { errorHandled: true },
    onSuccess: () => {
      void qc.invalidateQueries({ queryKey: dataKeys.schema(projectId, collection) });
      void qc.invalidateQueries({ queryKey: dataKeys.collections(projectId), exact: true });
      void qc.invalidateQueries({ queryKey: ['runtime-dts', projectId] });
    },
  });
}

export function useDeleteSchema(projectId: string, collection: string) {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: () =>
      unwrap(
        api.DELETE('/api/v1/projects/{id}/collections/{collection}/schema', {
          params: { path: { id: projectId, collection } },
        }),
      ),
    onSuccess: () => {
      void qc.invalidateQueries({ queryKey: dataKeys.schema(projectId, collection) });
      void qc.invalidateQueries({ queryKey: dataKeys.collections(projectId), exact: true });
      void qc.invalidateQueries({ queryKey: ['runtime-dts', projectId] });
    },
  });
}
