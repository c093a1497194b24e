import { z } from 'zod';
import { dryRunWorker, MAX_DRY_RUN_EVENTS } from '../../../application/runtime/dryRun.ts';
import { SyntaxRefusal } from '../../../application/workers/commands.ts';
import { EVENT_TYPE_PATTERN, MAX_EVENT_TRIGGERS } from '../../../domain/worker.ts';
import { problem } from '../problem.ts';
import { BEARER_SECURITY, type HttpRoutes, problems } from '../routeKit.ts';
import {
  ErrorSchema,
  LanguageSchema,
  LogLineSchema,
  OutcomeSchema,
  SourceSchema,
  WorkerParams,
  type WorkerRouteDeps,
} from './workerSchemas.ts';

const DateTime = z.iso.datetime({
  message: 'must be an ISO 8601 date-time (UTC, e.g. 2026-01-02T03:04:05Z)',
});

const EventRangeSchema = z.union([
  z.object({ last: z.number().int().min(1).max(MAX_DRY_RUN_EVENTS) }).strict(),
  z
    .object({ from: DateTime, to: DateTime })
    .strict()
    .refine((r) => new Date(r.from) < new Date(r.to), { message: 'from must be before to', path: ['to'] }),
]);

const CannedResponseSchema = z
  .object({
    method: z.string().min(1).max(10).optional(),
    url: z.string().min(1).max(8192),
    status: z.number().int().min(100).max(599),
    headers: z.record(z.string(), z.string()).optional(),
    body: z
      .string()
      .max(1024 * 1024)
      .optional(),
  })
  .strict();

const EffectSchema = z
  .object({
    kind: z.enum([
      'goals.increment',
      'models.insert',
      'models.update',
      'models.delete',
      'events.emit',
      'http.fetch',
      'plugin',
    ]),
  })
  .catchall(z.unknown())
  .meta({ description: 'A side effect the worker asked for, recorded instead of made' });

const DeployedSchema = z
  .object({
    invocationId: z.string(),
    version: z.number(),
    outcome: OutcomeSchema,
    durationMs: z.number(),
    error: ErrorSchema.nullable(),
    resultPreview: z.string().nullable(),
  })
  .nullable();

const DryRunReportSchema = z.object({
  source: z.enum(['body', 'draft', 'active']),
  language: LanguageSchema,
  eventTypes: z.array(z.string()),
  truncated: z.boolean(),
  results: z.array(
    z.object({
      event: z.object({
        id: z.string(),
        type: z.string(),
        position: z.number(),
        timestamp: z.string(),
        data: z.unknown(),
      }),
      outcome: OutcomeSchema,
      durationMs: z.number(),
      logs: z.array(LogLineSchema),
      error: ErrorSchema.nullable(),
      result: z.unknown().optional(),
      effects: z.array(EffectSchema),
      deployed: DeployedSchema,
    }),
  ),
});

/** The dry run of a worker against past events: `application/runtime/dryRun.ts`. */
export function dryRunRoutes(deps: WorkerRouteDeps): HttpRoutes {
  const { auth } = deps;

  return (app) => {
    app.addHook('onRequest', auth.authenticate);

    app.post(
      '/projects/:id/workers/:workerId/dry-run',
      {
        bodyLimit: 16 * 1024 * 1024,
        schema: {
          operationId: 'dryRunWorker',
          tags: ['workers'],
          summary:
            "Run a source (by default the draft) against the project's past events, capturing every effect",
          description: `Owner or global admin, as for deploying. Takes the project's past events of \`eventTypes\` (default: the worker's event triggers): the \`last\` N, or those \`from\`–\`to\` (at most ${MAX_DRY_RUN_EVENTS}), and runs \`onEvent\` for each in the sandbox with the worker's limits. Goal increments, model writes, emitted events and outgoing requests are checked and recorded as \`effects\`, never made: nothing is appended, written or sent, and no invocation record is kept. \`m3m.http.fetch\` answers only from \`httpResponses\` (else the worker sees a \`DryRunError\`); plugin functions are not called. Each result carries what the deployed version recorded for the same event, while its record is kept. A source that does not compile is a 400 \`syntax_error\` as for a deploy.`,
          security: BEARER_SECURITY,
          params: WorkerParams,
          body: z
            .object({
              source: SourceSchema.optional(),
              language: LanguageSchema.optional(),
              events: EventRangeSchema,
              eventTypes: z
                .array(z.string().regex(EVENT_TYPE_PATTERN, 'must be an event type'))
                .min(1)
                .max(MAX_EVENT_TRIGGERS)
                .optional(),
              httpResponses: z.array(CannedResponseSchema).max(100).optional(),
            })
            .strict(),
          response: { 200: DryRunReportSchema, ...problems(400, 401, 403, 404, 413) },
        },
      },
      async (request) => {
        const { id, workerId } = request.params;
        try {
          return await dryRunWorker(deps.app, auth.actorOf(request), id, workerId, request.body);
        } catch (error) {
          if (error instanceof SyntaxRefusal) {
            throw problem('syntax_error', `The source does not compile. ${error.message}`, {
              errors: [{ field: 'body.source', code: 'syntax_error', message: error.message }],
            });
          }
          throw error;
        }
      },
    );
  };
}
