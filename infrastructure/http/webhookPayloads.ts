import { z } from 'zod';
import { OUTCOMES, TRIGGER_KINDS } from '../../application/runtime/invocations.ts';
import { PUBLIC_EVENT_TYPES, TEST_EVENT_TYPE } from '../../application/webhooks/publicEvents.ts';
import { COLOR_NAMES } from '../../domain/colors.ts';
import { GOAL_TYPES } from '../../domain/goal.ts';

/**
 * The `webhooks` section of the OpenAPI document (3.1): what m3m POSTs to an endpoint, one entry per public
 * event type, with its payload schema (version 1 of each) and the Standard Webhooks headers. These schemas
 * document `application/webhooks/publicEvents.ts`; the webhook tests check real deliveries against them.
 */

const projectId = z.string().meta({ description: 'The project the event belongs to' });

export const PAYLOAD_DATA: Record<string, { summary: string; data: z.ZodObject }> = {
  'project.updated': {
    summary: 'The project was renamed, recoloured or given a new slug (only the changed field is present)',
    data: z.object({
      projectId,
      name: z.string().optional(),
      color: z.enum(COLOR_NAMES).nullable().optional(),
      slug: z.string().optional(),
    }),
  },
  'project.deleted': {
    summary: 'The project was deleted (the last message its endpoints get)',
    data: z.object({ projectId, slug: z.string() }),
  },
  'goal.created': {
    summary: 'A goal was defined in the project',
    data: z.object({
      projectId,
      goalId: z.string(),
      slug: z.string(),
      name: z.string(),
      goalType: z.enum(GOAL_TYPES),
    }),
  },
  'goal.incremented': {
    summary: 'A goal was incremented',
    data: z.object({
      projectId,
      goalId: z.string(),
      slug: z.string(),
      by: z.number().int(),
      day: z.string().meta({ description: 'The UTC day counted, YYYY-MM-DD' }),
      total: z.number().meta({ description: 'The goal’s total after this increment' }),
      source: z.string().meta({ description: '`api`, `cli`, `worker:<id>` or `system`' }),
    }),
  },
  'module.enabled': {
    summary: 'A module was enabled in the project',
    data: z.object({ projectId, moduleCode: z.string() }),
  },
  'module.disabled': {
    summary: 'A module was disabled in the project',
    data: z.object({ projectId, moduleCode: z.string() }),
  },
  'worker.deployed': {
    summary: 'A worker version was deployed',
    data: z.object({
      projectId,
      workerId: z.string(),
      version: z.number().int(),
      language: z.enum(['javascript', 'typescript']),
    }),
  },
  'worker.invocation.failed': {
    summary:
      'A worker invocation ended in an error, a timeout, a CPU or memory limit, or a crash (no error text: read the invocation record)',
    data: z.object({
      projectId,
      workerId: z.string(),
      workerSlug: z.string(),
      invocationId: z.string().meta({
        description:
          'GET /api/v1/projects/{id}/invocations/{invocationId} has the error and logs while retained',
      }),
      version: z.number().int(),
      handler: z.enum(['fetch', 'onEvent', 'run', 'scheduled']),
      trigger: z.enum(TRIGGER_KINDS),
      eventId: z.string().nullable().meta({ description: 'The triggering event (`event` triggers)' }),
      scheduledAt: z.string().nullable().meta({ description: 'The tick (`schedule` triggers), ISO 8601' }),
      outcome: z.enum(OUTCOMES.filter((o) => o !== 'ok') as [string, ...string[]]),
      startedAt: z.string(),
      durationMs: z.number(),
    }),
  },
  'custom.Type': {
    summary: 'An event a worker emitted with m3m.events.emit(Type, payload): `custom.<Type>`',
    data: z.object({ projectId, payload: z.unknown().meta({ description: 'What the worker emitted' }) }),
  },
  [TEST_EVENT_TYPE]: {
    summary: '"Send test event": sent to one endpoint on request',
    data: z.object({ projectId, webhookId: z.string() }),
  },
};

const header = (name: string, description: string) => ({
  name,
  in: 'header',
  required: true,
  description,
  schema: { type: 'string' },
});

const HEADERS = [
  header('webhook-id', 'The message id (`msg_…`): the same on every attempt; deduplicate on it'),
  header('webhook-timestamp', 'Unix seconds of the attempt'),
  header(
    'webhook-signature',
    '`v1,<base64 HMAC-SHA256 of "<webhook-id>.<webhook-timestamp>.<body>">` keyed with the base64-decoded part of the secret after `whsec_`; space-separated when two secrets are valid (24 hours after a rotation)',
  ),
];

const operationId = (type: string) =>
  `webhook${type

    .split('.')
    .map((part) => part.charAt(0).toUpperCase() + part.slice(1))
    .join('')}`;

/** The document's `webhooks`: one POST per message type. */
export function webhooksSection(): Record<string, unknown> {
  const known = new Set([...PUBLIC_EVENT_TYPES, 'custom.Type', TEST_EVENT_TYPE]);
  return Object.fromEntries(
    Object.entries(PAYLOAD_DATA)
      .filter(([type]) => known.has(type))
      .map(([type, { summary, data }]) => {
        const { $schema: _, ...schema } = z.toJSONSchema(
          z.object({
            type:
              type === 'custom.Type'
                ? z
                    .string()
                    .regex(/^custom\.[A-Z][A-Za-z0-9]{0,63}$/)
                    .meta({ description: 'custom.<Type>' })
                : z.literal(type),
            timestamp: z.string().meta({ description: 'When the event happened (ISO 8601, UTC)' }),
            data,
          }),
          { target: 'draft-2020-12', io: 'output', unrepresentable: 'any' },
        );
        return [
          type,
          {
            post: {
              operationId: operationId(type),
              tags: ['webhooks'],
              summary,
              security: [],
              parameters: HEADERS,
              requestBody: { required: true, content: { 'application/json': { schema } } },
              responses: {
                '200': {
                  description: 'Any 2xx within 15 s acknowledges the message; anything else is retried',
                },
                '410': { description: 'Gone: m3m disables the endpoint' },
              },
            },
          },
        ];
      }),
  );
}
