import { z } from 'zod';
import type { WebhookDeps } from '../../../application/webhooks/deps.ts';
import {
  createWebhook,
  deleteWebhook,
  findManageableWebhook,
  requestRecovery,
  requestRedelivery,
  rotateWebhookSecret,
  updateWebhook,
} from '../../../application/webhooks/endpoints.ts';
import {
  attemptView,
  getWebhook,
  listMessages,
  listWebhooks,
} from '../../../application/webhooks/queries.ts';
import type { WebhookSender } from '../../../application/webhooks/sender.ts';
import {
  WEBHOOK_DESCRIPTION_MAX,
  WEBHOOK_EVENT_TYPES_MAX,
  WEBHOOK_RATE_LIMIT_MAX,
  WEBHOOK_URL_MAX,
} from '../../../domain/webhook.ts';
import type { HttpAuth } from '../auth.ts';
import { requireModule } from '../moduleGuard.ts';
import { atLeastOne, BEARER_SECURITY, type HttpRoutes, originOf, problems } from '../routeKit.ts';
import { ProjectIdParams } from './projectSchemas.ts';

const tags = ['webhooks'];
const security = BEARER_SECURITY;

export interface WebhookRouteDeps {
  app: WebhookDeps;
  auth: HttpAuth;
  sender: WebhookSender;
  waitFor(position: number | null): Promise<void>;
}

const WebhookParams = ProjectIdParams.extend({ webhookId: z.uuid('must be a webhook id (a UUID)') });
const MessageParams = WebhookParams.extend({
  messageId: z.string().regex(/^msg_[A-Za-z0-9_-]{1,64}$/, 'must be a message id (msg_…)'),
});

const UrlSchema = z.string().max(WEBHOOK_URL_MAX, `must be at most ${WEBHOOK_URL_MAX} characters`).meta({
  description: 'https (http only where the installation sets M3M_WEBHOOKS_ALLOW_HTTP=true)',
});
const EventTypesSchema = z
  .array(z.string().max(80))
  .min(1, 'must list at least one type (leave it out, or null, for all of them)')
  .max(WEBHOOK_EVENT_TYPES_MAX)
  .nullable()
  .meta({
    description:
      'The public event types to receive (see the `webhooks` section), `custom.<Type>` for events emitted by workers; null or absent: all of them',
  });
const Settings = {
  url: UrlSchema,
  description: z.string().max(WEBHOOK_DESCRIPTION_MAX),
  eventTypes: EventTypesSchema,
  enabled: z.boolean(),
  rateLimit: z
    .number()
    .int('must be a whole number')
    .min(1)
    .max(WEBHOOK_RATE_LIMIT_MAX)
    .meta({ description: 'Messages per second at most (per m3m process); default 10' }),
};

const WebhookSchema = z.object({
  id: z.string(),
  projectId: z.string(),
  url: z.string(),
  description: z.string(),
  eventTypes: z.array(z.string()).nullable(),
  enabled: z.boolean(),
  disabledReason: z.string().nullable().meta({
    description:
      '`gone` (the receiver answered 410) or `failing` (5 days of failures) when m3m switched it off',
  }),
  disabledDetail: z.string().nullable(),
  rateLimit: z.number(),
  secretRotatedAt: z.string().nullable(),
  previousSecretExpiresAt: z
    .string()
    .nullable()
    .meta({ description: 'Until then deliveries are signed with the previous secret too' }),
  createdAt: z.string(),
  updatedAt: z.string(),
});
const SecretSchema = z.string().meta({
  description: 'The signing secret (`whsec_` + base64), shown this once: store it in the receiver',
});
const AttemptSchema = z.object({
  id: z.string(),
  at: z.string(),
  statusCode: z.number().nullable(),
  durationMs: z.number(),
  responseBody: z.string().meta({ description: 'The first 4 KB of the response body' }),
  error: z.string().nullable(),
  outcome: z.enum(['succeeded', 'failed']),
  trigger: z.enum(['scheduled', 'test']),
});
const MessageSchema = z.object({
  id: z.string().meta({ description: 'The `webhook-id` header: the same on every attempt' }),
  eventId: z.string().nullable(),
  eventType: z.string(),
  payload: z.unknown().meta({ description: 'The JSON body as sent: `{ type, timestamp, data }`' }),
  createdAt: z.string(),
  status: z.enum(['pending', 'succeeded', 'failed']),
  attempts: z.number(),
  nextAttemptAt: z.string().nullable(),
  lastAttemptAt: z.string().nullable(),
  lastStatusCode: z.number().nullable(),
  lastError: z.string().nullable(),
  attemptLog: z.array(AttemptSchema),
});

/**
 * A project's webhook endpoints (the `webhooks` module; issue 15). Every route is behind the module guard: a
 * caller who cannot see the project gets 404, then a project without the module 403 `module_disabled`.
 * Readers (members) list and read; the owner or a global admin changes. Secrets come back only from create and
 * rotate, never from a list or a read.
 */
export function webhookRoutes(deps: WebhookRouteDeps): HttpRoutes {
  const { auth } = deps;
  const guard = requireModule({ app: deps.app, auth }, 'webhooks');
  return (app) => {
    app.addHook('onRequest', auth.authenticate);
    const base = '/projects/:id/webhooks';

    app.post(
      base,
      {
        preHandler: guard,
        schema: {
          operationId: 'createWebhook',
          tags,
          summary: 'Create an endpoint (owner or global admin); the answer carries its secret, this once',
          security,
          params: ProjectIdParams,
          body: z
            .object({
              url: Settings.url,
              description: Settings.description.optional(),
              eventTypes: Settings.eventTypes.optional(),
              enabled: Settings.enabled.optional(),
              rateLimit: Settings.rateLimit.optional(),
            })
            .strict(),
          response: { 201: WebhookSchema.extend({ secret: SecretSchema }), ...problems(400, 401, 403, 404) },
        },
      },
      async (request, reply) => {
        const actor = auth.actorOf(request);
        const { webhookId, secret, position } = await createWebhook(
          deps.app,
          actor,
          request.params.id,
          request.body,
          originOf(request),
        );
        await deps.waitFor(position);
        const created = await getWebhook(deps.app, actor, request.params.id, webhookId);
        return reply.code(201).send({ ...created, secret });
      },
    );

    app.get(
      base,
      {
        preHandler: guard,
        schema: {
          operationId: 'listWebhooks',
          tags,
          summary: "The project's endpoints (never their secrets)",
          security,
          params: ProjectIdParams,
          response: { 200: z.object({ items: z.array(WebhookSchema) }), ...problems(400, 401, 403, 404) },
        },
      },
      async (request) => ({ items: await listWebhooks(deps.app, auth.actorOf(request), request.params.id) }),
    );

    app.get(
      `${base}/:webhookId`,
      {
        preHandler: guard,
        schema: {
          operationId: 'getWebhook',
          tags,
          summary: 'One endpoint (never its secret)',
          security,
          params: WebhookParams,
          response: { 200: WebhookSchema, ...problems(400, 401, 403, 404) },
        },
      },
      async (request) =>
        getWebhook(deps.app, auth.actorOf(request), request.params.id, request.params.webhookId),
    );

    app.patch(
      `${base}/:webhookId`,
      {
        preHandler: guard,
        schema: {
          operationId: 'updateWebhook',
          tags,
          summary:
            'Change an endpoint (owner or global admin); `enabled: true` switches one m3m disabled back on',
          security,
          params: WebhookParams,
          body: atLeastOne(
            z.object({
              url: Settings.url.optional(),
              description: Settings.description.optional(),
              eventTypes: Settings.eventTypes.optional(),
              enabled: Settings.enabled.optional(),
              rateLimit: Settings.rateLimit.optional(),
            }),
          ),
          response: { 200: WebhookSchema, ...problems(400, 401, 403, 404) },
        },
      },
      async (request) => {
        const actor = auth.actorOf(request);
        const { id, webhookId } = request.params;
        const { position } = await updateWebhook(
          deps.app,
          actor,
          id,
          webhookId,
          request.body,
          originOf(request),
        );
        await deps.waitFor(position);
        return getWebhook(deps.app, actor, id, webhookId);
      },
    );

    app.delete(
      `${base}/:webhookId`,
      {
        preHandler: guard,
        schema: {
          operationId: 'deleteWebhook',
          tags,
          summary: 'Delete an endpoint and its pending messages (owner or global admin)',
          security,
          params: WebhookParams,
          response: { 204: z.void().describe('Deleted'), ...problems(400, 401, 403, 404) },
        },
      },
      async (request, reply) => {
        const { id, webhookId } = request.params;
        const { position } = await deleteWebhook(
          deps.app,
          auth.actorOf(request),
          id,
          webhookId,
          originOf(request),
        );
        await deps.waitFor(position);
        return reply.code(204).send();
      },
    );

    app.post(
      `${base}/:webhookId/secret`,
      {
        preHandler: guard,
        schema: {
          operationId: 'rotateWebhookSecret',
          tags,
          summary:
            'Rotate the signing secret (owner or global admin): the new one is shown this once; the old one keeps signing for 24 hours',
          security,
          params: WebhookParams,
          response: {
            200: z.object({ secret: SecretSchema, previousSecretExpiresAt: z.string() }),
            ...problems(400, 401, 403, 404),
          },
        },
      },
      async (request) => {
        const { id, webhookId } = request.params;
        const rotated = await rotateWebhookSecret(
          deps.app,
          auth.actorOf(request),
          id,
          webhookId,
          originOf(request),
        );
        await deps.waitFor(rotated.position);
        return { secret: rotated.secret, previousSecretExpiresAt: rotated.previousSecretExpiresAt };
      },
    );

    app.post(
      `${base}/:webhookId/test`,
      {
        preHandler: guard,
        schema: {
          operationId: 'sendWebhookTest',
          tags,
          summary:
            'Send a `webhook.test` message to the endpoint now (owner or global admin) and show the attempt',
          description:
            'One attempt, not retried; the answer is 200 whatever the receiver answered: see `attempt`.',
          security,
          params: WebhookParams,
          response: {
            200: z.object({ messageId: z.string(), attempt: AttemptSchema }),
            ...problems(400, 401, 403, 404),
          },
        },
      },
      async (request) => {
        const { id, webhookId } = request.params;
        const endpoint = await findManageableWebhook(deps.app, auth.actorOf(request), id, webhookId);
        const { message, attempt } = await deps.sender.sendTest(endpoint);
        return { messageId: message.id, attempt: attemptView(attempt) };
      },
    );

    app.get(
      `${base}/:webhookId/messages`,
      {
        preHandler: guard,
        schema: {
          operationId: 'listWebhookMessages',
          tags,
          summary: "The endpoint's messages with their attempts, newest first",
          description:
            'Filter by `status` (`pending`, `succeeded`, `failed`). Pages of `limit` (≤ 100); pass `nextCursor` as `cursor` for older ones. Kept M3M_LOG_RETENTION_DAYS days.',
          security,
          params: WebhookParams,
          querystring: z.object({
            status: z.enum(['pending', 'succeeded', 'failed']).optional(),
            limit: z.coerce.number().int().min(1).max(100).default(50),
            cursor: z.string().max(2000).optional(),
          }),
          response: {
            200: z.object({ items: z.array(MessageSchema), nextCursor: z.string().nullable() }),
            ...problems(400, 401, 403, 404),
          },
        },
      },
      async (request) =>
        listMessages(deps.app, auth.actorOf(request), request.params.id, request.params.webhookId, {
          ...(request.query.status ? { status: request.query.status } : {}),
          limit: request.query.limit,
          cursor: request.query.cursor ?? null,
        }),
    );

    app.post(
      `${base}/:webhookId/messages/:messageId/redeliver`,
      {
        preHandler: guard,
        schema: {
          operationId: 'redeliverWebhookMessage',
          tags,
          summary: 'Send a settled message again now (owner or global admin), with a fresh round of retries',
          security,
          params: MessageParams,
          response: { 202: z.object({ messageId: z.string() }), ...problems(400, 401, 403, 404) },
        },
      },
      async (request, reply) => {
        const { id, webhookId, messageId } = request.params;
        const { position } = await requestRedelivery(
          deps.app,
          auth.actorOf(request),
          id,
          webhookId,
          messageId,
          originOf(request),
        );
        await deps.waitFor(position);
        return reply.code(202).send({ messageId });
      },
    );

    app.post(
      `${base}/:webhookId/recover`,
      {
        preHandler: guard,
        schema: {
          operationId: 'recoverWebhookMessages',
          tags,
          summary: 'Send again every failed message made since `since` (owner or global admin)',
          security,
          params: WebhookParams,
          body: z
            .object({ since: z.iso.datetime({ offset: true, error: 'must be an ISO 8601 date-time' }) })
            .strict(),
          response: { 202: z.object({ since: z.string() }), ...problems(400, 401, 403, 404) },
        },
      },
      async (request, reply) => {
        const { id, webhookId } = request.params;
        const since = new Date(request.body.since).toISOString();
        const { position } = await requestRecovery(
          deps.app,
          auth.actorOf(request),
          id,
          webhookId,
          since,
          originOf(request),
        );
        await deps.waitFor(position);
        return reply.code(202).send({ since });
      },
    );
  };
}
