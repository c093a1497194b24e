import { keepPreviousData, useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { api, unwrap } from '@/api/client';
import type { webhooks } from '@/api/schema';
import type { ResponseOf } from '@/api/types';

export type Webhook = ResponseOf<'/api/v1/projects/{id}/webhooks/{webhookId}', 'get'>;
export type WebhookMessage = ResponseOf<
  '/api/v1/projects/{id}/webhooks/{webhookId}/messages',
  'get'
>['items'][number];
export type WebhookAttempt = WebhookMessage['attemptLog'][number];
export type MessageStatus = WebhookMessage['status'];
export type TestResult = ResponseOf<'/api/v1/projects/{id}/webhooks/{webhookId}/test', 'post'>;

/**
 * The public event types an endpoint may subscribe to: the OpenAPI document's `webhooks` section (schema.d.ts)
 * names them, so a type added on the server and missing here (or the other way round) fails the type check.
 */
type Subscribable = Exclude<keyof webhooks, 'custom.Type' | 'webhook.test'>;
const TYPES = {
  'project.updated': true,
  'project.deleted': true,
  'goal.created': true,
  'goal.incremented': true,
  'module.enabled': true,
  'module.disabled': true,
  'worker.deployed': true,
  'worker.invocation.failed': true,
} satisfies Record<Subscribable, true>;
export const PUBLIC_EVENT_TYPES = Object.keys(TYPES) as Subscribable[];
export const CUSTOM_PREFIX = 'custom.';

export interface WebhookSettings {
  url: string;
  description: string;
  eventTypes: string[] | null;
  enabled: boolean;
  rateLimit: number;
}

export const webhookKeys = {
  all: (projectId: string) => ['webhooks', projectId] as const,
  list: (projectId: string) => ['webhooks', projectId, 'list'] as const,
  detail: (projectId: string, webhookId: string) => ['webhooks', projectId, 'detail', webhookId] as const,
  messages: (projectId: string, webhookId: string, status: MessageStatus | 'all') =>
    ['webhooks', projectId, 'messages', webhookId, status] as const,
  messagesOf: (projectId: string, webhookId: string) =>
    ['webhooks', projectId, 'messages', webhookId] as const,
};

const path = (projectId: string, webhookId: string) => ({ path: { id: projectId, webhookId } });

export function useWebhooks(projectId: string) {
  return useQuery({
    queryKey: webhookKeys.list(projectId),
    queryFn: async () =>
      (await unwrap(api.GET('/api/v1/projects/{id}/webhooks', { params: { path: { id: projectId } } })))
        .items,
  });
}

export function useWebhook(projectId: string, webhookId: string) {
  return useQuery({
    queryKey: webhookKeys.detail(projectId, webhookId),
    queryFn: () =>
      unwrap(api.GET('/api/v1/projects/{id}/webhooks/{webhookId}', { params: path(projectId, webhookId) })),
  });
}

/**
 * The delivery log, newest first, a page of 50 at a time. It follows new messages on its own: every second while
 * one is pending, every 5 s otherwise (only while the page is visible: TanStack Query pauses in the background).
 */
export function useWebhookMessages(
  projectId: string,
  webhookId: string,
  status: MessageStatus | 'all',
  cursor: string | null,
) {
  return useQuery({
    queryKey: [...webhookKeys.messages(projectId, webhookId, status), cursor],
    queryFn: () =>
      unwrap(
        api.GET('/api/v1/projects/{id}/webhooks/{webhookId}/messages', {
          params: {
            ...path(projectId, webhookId),
            query: { limit: 50, ...(status === 'all' ? {} : { status }), ...(cursor ? { cursor } : {}) },
          },
        }),
      ),
    placeholderData: keepPreviousData,
    refetchInterval: (query) => (query.state.data?.items.some((m) => m.status === 'pending') ? 1000 : 5000),
  });
}

export function useCreateWebhook(projectId: string) {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: (body: WebhookSettings) =>
      unwrap(api.POST('/api/v1/projects/{id}/webhooks', { params: { path: { id: projectId } }, body })),
    meta: { errorHandled: true },
    onSuccess: () => qc.invalidateQueries({ queryKey: webhookKeys.list(projectId) }),
  });
}

export function useUpdateWebhook(projectId: string, webhookId: string) {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: (body: Partial<WebhookSettings>) =>
      unwrap(
        api.PATCH('/api/v1/projects/{id}/webhooks/{webhookId}', { params: path(projectId, webhookId), body }),
      ),
    meta: { errorHandled: true },
    onSuccess: (updated) => {
      qc.setQueryData(webhookKeys.detail(projectId, webhookId), updated);
      return qc.invalidateQueries({ queryKey: webhookKeys.list(projectId) });
    },
  });
}

export function useDeleteWebhook(projectId: string) {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: (webhookId: string) =>
      unwrap(
        api.DELETE('/api/v1/projects/{id}/webhooks/{webhookId}', { params: path(projectId, webhookId) }),
      ),
    onSuccess: (_, webhookId) => {
      qc.removeQueries({ queryKey: webhookKeys.detail(projectId, webhookId) });
      return qc.invalidateQueries({ queryKey: webhookKeys.list(projectId) });
    },
  });
}

export function useRotateSecret(projectId: string, webhookId: string) {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: () =>
      unwrap(
        api.POST('/api/v1/projects/{id}/webhooks/{webhookId}/secret', { params: path(projectId, webhookId) }),
      ),
    onSuccess: () => qc.invalidateQueries({ queryKey: webhookKeys.detail(projectId, webhookId) }),
  });
}

export function useSendTest(projectId: string, webhookId: string) {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: () =>
      unwrap(
        api.POST('/api/v1/projects/{id}/webhooks/{webhookId}/test', { params: path(projectId, webhookId) }),
      ),
    onSuccess: () => qc.invalidateQueries({ queryKey: webhookKeys.messagesOf(projectId, webhookId) }),
  });
}

export function useRedeliver(projectId: string, webhookId: string) {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: (messageId: string) =>
      unwrap(
        api.POST('/api/v1/projects/{id}/webhooks/{webhookId}/messages/{messageId}/redeliver', {
          params: { path: { id: projectId, webhookId, messageId } },
        }),
      ),
    onSuccess: () => qc.invalidateQueries({ queryKey: webhookKeys.messagesOf(projectId, webhookId) }),
  });
}

export function useRecover(projectId: string, webhookId: string) {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: (since: string) =>
      unwrap(
        api.POST('/api/v1/projects/{id}/webhooks/{webhookId}/recover', {
          params: path(projectId, webhookId),
          body: { since },
        }),
      ),
    onSuccess: () => qc.invalidateQueries({ queryKey: webhookKeys.messagesOf(projectId, webhookId) }),
  });
}
