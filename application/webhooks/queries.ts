import type { Actor } from '../context.ts';
import { refuse } from '../errors.ts';
import { assertModuleActive } from '../modules/queries.ts';
import { findAll } from '../ports/findAll.ts';
import type { Filter } from '../ports/readStore.ts';
import type { ProjectDeps } from '../projects/deps.ts';
import { findVisibleProject } from '../projects/queries.ts';
import type { WebhookDeps } from './deps.ts';
import {
  type MessageStatus,
  WEBHOOK_ATTEMPTS,
  WEBHOOK_MESSAGES,
  WEBHOOKS,
  type WebhookAttemptDoc,
  type WebhookDoc,
  type WebhookMessageDoc,
} from './readModel.ts';

/** An endpoint as the API shows it: never its secret, not even encrypted. */
export interface WebhookView {
  id: string;
  projectId: string;
  url: string;
  description: string;
  eventTypes: string[] | null;
  enabled: boolean;
  disabledReason: string | null;
  disabledDetail: string | null;
  rateLimit: number;
  secretRotatedAt: string | null;
  previousSecretExpiresAt: string | null;
  createdAt: string;
  updatedAt: string;
}

export function webhookView(doc: WebhookDoc): WebhookView {
  return {
    id: doc.id,
    projectId: doc.projectId,
    url: doc.url,
    description: doc.description,
    eventTypes: doc.eventTypes,
    enabled: doc.enabled,
    disabledReason: doc.disabledReason,
    disabledDetail: doc.disabledDetail,
    rateLimit: doc.rateLimit,
    secretRotatedAt: doc.secretRotatedAt,
    previousSecretExpiresAt: doc.previousSecretExpiresAt,
    createdAt: doc.createdAt,
    updatedAt: doc.updatedAt,
  };
}

/** The endpoint of this project, or 404 `webhook_not_found` (also for another project's endpoint). */
export async function findWebhook(
  deps: ProjectDeps,
  projectId: string,
  webhookId: string,
): Promise<WebhookDoc> {
  const doc = await deps.readStore.collection<WebhookDoc>(WEBHOOKS).get(webhookId);
  if (!doc || doc.projectId !== projectId) throw refuse('webhook_not_found', 'The webhook does not exist.');
  return doc;
}

async function assertReader(deps: WebhookDeps, actor: Actor, projectId: string): Promise<void> {
  await findVisibleProject(deps, actor, projectId);
  await assertModuleActive(deps, projectId, 'webhooks');
}

export async function listWebhooks(
  deps: WebhookDeps,
  actor: Actor,
  projectId: string,
): Promise<WebhookView[]> {
  await assertReader(deps, actor, projectId);
  const docs = await findAll(
    deps.readStore.collection<WebhookDoc>(WEBHOOKS),
    { projectId },
    { createdAt: 1 },
  );
  return docs.map(webhookView);
}

export async function getWebhook(
  deps: WebhookDeps,
  actor: Actor,
  projectId: string,
  webhookId: string,
): Promise<WebhookView> {
  await assertReader(deps, actor, projectId);
  return webhookView(await findWebhook(deps, projectId, webhookId));
}

export interface AttemptView {
  id: string;
  at: string;
  statusCode: number | null;
  durationMs: number;
  responseBody: string;
  error: string | null;
  outcome: 'succeeded' | 'failed';
  trigger: 'scheduled' | 'test';
}

export interface MessageView {
  id: string;
  eventId: string | null;
  eventType: string;
  /** The JSON body as sent. */
  payload: unknown;
  createdAt: string;
  status: Exclude<MessageStatus, 'sending'>;
  attempts: number;
  /** When a pending message is due next. */
  nextAttemptAt: string | null;
  lastAttemptAt: string | null;
  lastStatusCode: number | null;
  lastError: string | null;
  /** Its attempts, latest first (at most 50). */
  attemptLog: AttemptView[];
}

export function attemptView(doc: WebhookAttemptDoc): AttemptView {
  return {
    id: doc.id,
    at: doc.at,
    statusCode: doc.statusCode,
    durationMs: doc.durationMs,
    responseBody: doc.responseBody,
    error: doc.error,
    outcome: doc.outcome,
    trigger: doc.trigger,
  };
}

async function messageView(deps: ProjectDeps, doc: WebhookMessageDoc): Promise<MessageView> {
  const attempts = await deps.readStore
    .collection<WebhookAttemptDoc>(WEBHOOK_ATTEMPTS)
    .find({ messageId: doc.id }, { sort: { atMs: -1 }, limit: 50 });
  return {
    id: doc.id,
    eventId: doc.eventId,
    eventType: doc.eventType,
    payload: JSON.parse(doc.body),
    createdAt: doc.createdAt,
    // A lapsed claim is pending again as far as anyone looking is concerned.
    status: doc.status === 'sending' ? 'pending' : doc.status,
    attempts: doc.attempts,
    nextAttemptAt: doc.status === 'pending' && doc.dueAt !== null ? new Date(doc.dueAt).toISOString() : null,
    lastAttemptAt: doc.lastAttemptAt,
    lastStatusCode: doc.lastStatusCode,
    lastError: doc.lastError,
    attemptLog: attempts.items.map(attemptView),
  };
}

/** An endpoint's messages, latest first, optionally only those with one outcome; paged. */
export async function listMessages(
  deps: WebhookDeps,
  actor: Actor,
  projectId: string,
  webhookId: string,
  query: { status?: 'pending' | 'succeeded' | 'failed'; limit?: number; cursor?: string | null },
): Promise<{ items: MessageView[]; nextCursor: string | null }> {
  await assertReader(deps, actor, projectId);
  await findWebhook(deps, projectId, webhookId);
  const filter: Filter = { webhookId };
  if (query.status === 'pending') filter.status = { $in: ['pending', 'sending'] };
  else if (query.status) filter.status = query.status;
  const page = await deps.readStore
    .collection<WebhookMessageDoc>(WEBHOOK_MESSAGES)
    .find(filter, { sort: { createdAt: -1 }, limit: query.limit ?? 50, cursor: query.cursor ?? null });
  return {
    items: await Promise.all(page.items.map((doc) => messageView(deps, doc))),
    nextCursor: page.nextCursor,
  };
}

/** The endpoint's message, or 404 `webhook_message_not_found`. */
export async function findMessage(
  deps: ProjectDeps,
  webhookId: string,
  messageId: string,
): Promise<WebhookMessageDoc> {
  const doc = await deps.readStore.collection<WebhookMessageDoc>(WEBHOOK_MESSAGES).get(messageId);
  if (!doc || doc.webhookId !== webhookId) {
    throw refuse('webhook_message_not_found', 'The webhook has no such message.');
  }
  return doc;
}
