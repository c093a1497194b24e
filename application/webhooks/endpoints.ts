import { randomUUID } from 'node:crypto';
import {
  validateWebhookUrl,
  WEBHOOK_DEFAULT_RATE_LIMIT,
  type WebhookCommand,
  type WebhookDisabledReason,
  type WebhookSettings,
  webhook,
  webhookStream,
} from '../../domain/webhook.ts';
import { handleCommand } from '../commands/handleCommand.ts';
import { type Actor, eventMetadata, type RequestOrigin } from '../context.ts';
import { refusals, refuse } from '../errors.ts';
import { assertModuleActive } from '../modules/queries.ts';
import { findManageableProject } from '../projects/queries.ts';
import type { WebhookDeps } from './deps.ts';
import { isSubscribableType } from './publicEvents.ts';
import { findMessage, findWebhook } from './queries.ts';
import type { WebhookDoc } from './readModel.ts';
import { encryptSecret, newSigningSecret } from './secrets.ts';

/**
 * Creating, changing, rotating and deleting a project's webhook endpoints: the owner or a global admin, with the
 * `webhooks` module active there. The signing secret is made and encrypted here, before any event: it is
 * returned once (creation, rotation) and only its ciphertext is ever recorded.
 */

export interface WebhookInput {
  url: string;
  description?: string;
  eventTypes?: string[] | null;
  enabled?: boolean;
  rateLimit?: number;
}

const MODULE = 'webhooks';

async function assertManager(deps: WebhookDeps, actor: Actor, projectId: string): Promise<void> {
  await findManageableProject(deps, actor, projectId);
  await assertModuleActive(deps, projectId, MODULE);
}

function checkSettings(deps: WebhookDeps, input: Partial<WebhookSettings>): void {
  if (input.url !== undefined) refusals(() => validateWebhookUrl(input.url!, deps.allowHttp));
  for (const type of input.eventTypes ?? []) {
    if (!isSubscribableType(type)) {
      throw refuse(
        'invalid_webhook_event_type',
        `${JSON.stringify(type).slice(0, 80)} is not a public event type (nor custom.<Type>).`,
        'eventTypes',
      );
    }
  }
}

const dedupe = (types: string[] | null | undefined) => (types ? [...new Set(types)] : types);

function run(
  deps: WebhookDeps,
  actor: Actor | null,
  webhookId: string,
  command: WebhookCommand,
  origin?: RequestOrigin,
) {
  return refusals(() =>
    handleCommand(deps, webhookStream(webhookId), webhook, command, eventMetadata(actor, origin)),
  );
}

export async function createWebhook(
  deps: WebhookDeps,
  actor: Actor,
  projectId: string,
  input: WebhookInput,
  origin?: RequestOrigin,
): Promise<{ webhookId: string; secret: string; position: number | null }> {
  await assertManager(deps, actor, projectId);
  const settings: WebhookSettings = {
    url: input.url,
    description: input.description ?? '',
    eventTypes: dedupe(input.eventTypes) ?? null,
    enabled: input.enabled ?? true,
    rateLimit: input.rateLimit ?? WEBHOOK_DEFAULT_RATE_LIMIT,
  };
  checkSettings(deps, settings);
  const webhookId = randomUUID();
  const secret = newSigningSecret();
  const outcome = await run(
    deps,
    actor,
    webhookId,
    {
      type: 'CreateWebhook',
      webhookId,
      projectId,
      encryptedSecret: encryptSecret(deps.cipher, projectId, webhookId, secret),
      ...settings,
    },
    origin,
  );
  return { webhookId, secret, position: outcome.position };
}

export async function updateWebhook(
  deps: WebhookDeps,
  actor: Actor,
  projectId: string,
  webhookId: string,
  changes: Partial<WebhookInput>,
  origin?: RequestOrigin,
): Promise<{ position: number | null }> {
  await assertManager(deps, actor, projectId);
  await findWebhook(deps, projectId, webhookId);
  const settings: Partial<WebhookSettings> = {
    ...changes,
    ...(changes.eventTypes !== undefined ? { eventTypes: dedupe(changes.eventTypes) ?? null } : {}),
  };
  checkSettings(deps, settings);
  const outcome = await run(deps, actor, webhookId, { type: 'UpdateWebhook', changes: settings }, origin);
  return { position: outcome.position };
}

export async function rotateWebhookSecret(
  deps: WebhookDeps,
  actor: Actor,
  projectId: string,
  webhookId: string,
  origin?: RequestOrigin,
): Promise<{ secret: string; previousSecretExpiresAt: string; position: number | null }> {
  await assertManager(deps, actor, projectId);
  await findWebhook(deps, projectId, webhookId);
  const secret = newSigningSecret();
  const outcome = await run(
    deps,
    actor,
    webhookId,
    {
      type: 'RotateWebhookSecret',
      encryptedSecret: encryptSecret(deps.cipher, projectId, webhookId, secret),
      now: deps.clock.now().toISOString(),
    },
    origin,
  );
  const rotated = outcome.events.find((e) => e.type === 'WebhookSecretRotated');
  const expires = rotated?.type === 'WebhookSecretRotated' ? rotated.data.previousSecretExpiresAt : '';
  return { secret, previousSecretExpiresAt: expires, position: outcome.position };
}

export async function deleteWebhook(
  deps: WebhookDeps,
  actor: Actor,
  projectId: string,
  webhookId: string,
  origin?: RequestOrigin,
): Promise<{ position: number | null }> {
  await assertManager(deps, actor, projectId);
  await findWebhook(deps, projectId, webhookId);
  const outcome = await run(deps, actor, webhookId, { type: 'DeleteWebhook' }, origin);
  return { position: outcome.position };
}

/** The endpoint a manager acts on (send test event): 404 for another project's, 403 for readers. */
export async function findManageableWebhook(
  deps: WebhookDeps,
  actor: Actor,
  projectId: string,
  webhookId: string,
): Promise<WebhookDoc> {
  await assertManager(deps, actor, projectId);
  return findWebhook(deps, projectId, webhookId);
}

/** m3m itself switches an endpoint off: the receiver answered 410, or it has failed every attempt for days. */
export async function disableWebhookBySystem(
  deps: WebhookDeps,
  webhookId: string,
  reason: WebhookDisabledReason,
  detail: string,
): Promise<void> {
  await run(deps, null, webhookId, { type: 'DisableWebhook', reason, detail }, { source: 'system' });
}

/** Manual redelivery of one message, recorded for the audit; the outbox makes the message pending again. */
export async function requestRedelivery(
  deps: WebhookDeps,
  actor: Actor,
  projectId: string,
  webhookId: string,
  messageId: string,
  origin?: RequestOrigin,
): Promise<{ position: number | null }> {
  await assertManager(deps, actor, projectId);
  await findWebhook(deps, projectId, webhookId);
  await findMessage(deps, webhookId, messageId);
  const outcome = await run(deps, actor, webhookId, { type: 'RequestRedelivery', messageId }, origin);
  return { position: outcome.position };
}

/** Sends again every failed message of the endpoint created since `since`. */
export async function requestRecovery(
  deps: WebhookDeps,
  actor: Actor,
  projectId: string,
  webhookId: string,
  since: string,
  origin?: RequestOrigin,
): Promise<{ position: number | null }> {
  await assertManager(deps, actor, projectId);
  await findWebhook(deps, projectId, webhookId);
  const outcome = await run(deps, actor, webhookId, { type: 'RequestRecovery', since }, origin);
  return { position: outcome.position };
}
