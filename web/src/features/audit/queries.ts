import { keepPreviousData, useInfiniteQuery, useMutation, useQuery } from '@tanstack/react-query';
import { api, unwrap } from '@/api/client';
import { ApiError, NETWORK_ERROR, toApiError } from '@/api/problem';
import type { ResponseOf } from '@/api/types';
import type { AuditSearch } from './search';

export type { AuditSearch } from './search';

export type AuditEntry = ResponseOf<'/api/v1/admin/audit', 'get'>['items'][number];
export type AuditState = ResponseOf<'/api/v1/admin/audit/state', 'get'>;

/** Where the log comes from: everything (global admins) or one project (its owner, global admins). */
export type AuditScope = { kind: 'admin' } | { kind: 'project'; projectId: string };

export const auditKeys = {
  all: ['audit'] as const,
  list: (scope: AuditScope, filters: AuditSearch) => ['audit', scope, filters] as const,
  state: (stream: string, at: string | null) => ['audit', 'state', stream, at] as const,
};

function queryOf(filters: AuditSearch, scope: AuditScope) {
  return {
    ...(filters.actor ? { actor: filters.actor } : {}),
    ...(filters.type ? { type: filters.type } : {}),
    ...(filters.stream ? { stream: filters.stream } : {}),
    ...(filters.since ? { since: filters.since } : {}),
    ...(filters.until ? { until: filters.until } : {}),
    ...(scope.kind === 'admin' && filters.project ? { project: filters.project } : {}),
  };
}

/** The log newest first, a page of 50 at a time, older pages appended as the list is scrolled. */
export function useAuditLog(scope: AuditScope, filters: AuditSearch) {
  return useInfiniteQuery({
    queryKey: auditKeys.list(scope, filters),
    initialPageParam: null as string | null,
    queryFn: ({ pageParam }) => {
      const query = { ...queryOf(filters, scope), limit: 50, ...(pageParam ? { cursor: pageParam } : {}) };
      return unwrap(
        scope.kind === 'admin'
          ? api.GET('/api/v1/admin/audit', { params: { query } })
          : api.GET('/api/v1/projects/{id}/audit', { params: { path: { id: scope.projectId }, query } }),
      );
    },
    getNextPageParam: (last) => last.nextCursor,
    placeholderData: keepPreviousData,
  });
}

export function useAuditState(stream: string | null, at: string | null) {
  return useQuery({
    queryKey: auditKeys.state(stream ?? '', at),
    enabled: !!stream,
    queryFn: () =>
      unwrap(
        api.GET('/api/v1/admin/audit/state', {
          params: { query: { stream: stream ?? '', ...(at ? { at } : {}) } },
        }),
      ),
  });
}

/** Downloads the filtered log as NDJSON or CSV; a refusal is toasted like any failed mutation. */
export function useAuditExport(scope: AuditScope, filters: AuditSearch) {
  return useMutation({ mutationFn: (format: 'ndjson' | 'csv') => downloadExport(scope, filters, format) });
}

/** The filtered log as a file, through the API client (it carries the session), saved by the browser. */
async function downloadExport(scope: AuditScope, filters: AuditSearch, format: 'ndjson' | 'csv') {
  const query = { ...queryOf(filters, scope), format };
  const result =
    scope.kind === 'admin'
      ? await api.GET('/api/v1/admin/audit/export', { params: { query }, parseAs: 'blob' })
      : await api.GET('/api/v1/projects/{id}/audit/export', {
          params: { path: { id: scope.projectId }, query },
          parseAs: 'blob',
        });
  if (!result.response.ok) throw toApiError(result.response.status, result.error, result.response.headers);
  const blob = result.data as Blob | undefined;
  if (!blob) throw new ApiError({ status: 0, code: NETWORK_ERROR, title: 'Network error' });
  const url = URL.createObjectURL(blob);
  const link = document.createElement('a');
  link.href = url;
  link.download = `m3m-audit.${format}`;
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}
