import { Readable } from 'node:stream';
import { z } from 'zod';
import {
  EXPORT_CONTENT_TYPES,
  EXPORT_FORMATS,
  exportLines,
} from '../../../application/audit/exportFormats.ts';
import { goalStatsAt } from '../../../application/audit/goalStatsAt.ts';
import {
  AUDIT_PAGE_MAX,
  type AuditFilters,
  assertCanReadAudit,
  auditEntries,
  auditPage,
  projectAuditFilters,
} from '../../../application/audit/queries.ts';
import { diffBetween, isMoment, parseMoment, stateAt } from '../../../application/audit/timeTravel.ts';
import { MAX_STATS_DAYS } from '../../../application/dayRange.ts';
import { BEARER_SECURITY, type HttpRoutes, problems } from '../routeKit.ts';
import { DaySchema, GoalStatsSchema, ProjectIdParams, type ProjectRouteDeps } from './projectSchemas.ts';

const tags = ['audit'];
const security = BEARER_SECURITY;

const isoTime = z
  .string()
  .max(40)
  .refine((v) => /^\d{4}-\d{2}-\d{2}/.test(v) && !Number.isNaN(Date.parse(v)), 'must be an ISO 8601 time')
  // Entries hold `toISOString()` times: the same form compares in time order.
  .transform((v) => new Date(v).toISOString());

const position = z.coerce.number().int().min(0).max(Number.MAX_SAFE_INTEGER);

/** `type=A&type=B` or `type=A,B`. */
const types = z
  .union([z.string(), z.array(z.string())])
  .transform((v) =>
    (Array.isArray(v) ? v : [v])
      .flatMap((t) => t.split(','))
      .map((t) => t.trim())
      .filter(Boolean),
  )
  .refine((v) => v.length <= 50 && v.every((t) => t.length <= 100), 'at most 50 types of 100 characters')
  .meta({ description: 'Event types: repeated (`type=A&type=B`) or comma-separated' });

const FilterQuery = z.object({
  actor: z.string().min(1).max(320).optional().meta({
    description:
      'A user id or email (renamed and deleted users too), or `cli`, `system`, `api-key` (a project API key), `worker:<id>`',
  }),
  type: types.optional(),
  stream: z
    .string()
    .min(1)
    .max(300)
    .optional()
    .meta({ description: 'A stream id (`project-<id>`, `user-<id>`…)' }),
  since: isoTime.optional().meta({ description: 'From this time (ISO 8601, inclusive)' }),
  until: isoTime.optional().meta({ description: 'Up to this time (ISO 8601, inclusive)' }),
  fromPosition: position.optional().meta({ description: 'From this `$all` position (inclusive)' }),
  toPosition: position.optional().meta({ description: 'Up to this `$all` position (inclusive)' }),
});
const AdminFilterQuery = FilterQuery.extend({
  project: z.uuid().optional().meta({ description: 'A project id (deleted projects too)' }),
});
const PageQuery = {
  cursor: z
    .string()
    .max(200)
    .optional()
    .meta({ description: '`nextCursor` (older) or `prevCursor` (newer)' }),
  limit: z.coerce.number().int().min(1).max(AUDIT_PAGE_MAX).default(100),
};
const ExportQuery = { format: z.enum(EXPORT_FORMATS).default('ndjson') };

const ActorSchema = z
  .object({
    kind: z.enum(['user', 'anonymous', 'api_key', 'cli', 'system', 'worker']),
    id: z.string().nullable(),
    name: z.string().optional(),
    email: z.string().nullable().optional(),
    deleted: z.boolean().optional().meta({ description: 'The user was deleted since' }),
    display: z.string().meta({ description: 'Who it was, readably' }),
  })
  .meta({ title: 'AuditActor' });

const FieldChangeSchema = z
  .object({
    field: z.string().meta({ description: 'A dotted path into the entity (`name`, `variables.API_TOKEN`)' }),
    before: z.unknown().meta({ description: 'The value before (null when absent)' }),
    after: z.unknown().meta({ description: 'The value after (null when absent)' }),
  })
  .meta({ title: 'AuditFieldChange' });

const Moment = z.string().max(40).refine(isMoment, 'must be an event position or an ISO 8601 time');

const AsOfSchema = z
  .object({ position: z.number(), time: z.string(), type: z.string(), revision: z.number() })
  .nullable();

const EntrySchema = z
  .object({
    position: z.number(),
    time: z.string(),
    type: z.string(),
    stream: z.string(),
    revision: z.number(),
    eventId: z.string(),
    projectId: z.string().nullable(),
    actor: ActorSchema,
    source: z.string().meta({ description: '`api`, `cli`, `worker:<id>` or `system`' }),
    correlationId: z.string(),
    causationId: z.string().nullable(),
    requestId: z.string().nullable().meta({
      description: "The HTTP request's id in the server's log (`req-1a`), null when no request caused it",
    }),
    data: z.unknown().meta({ description: 'The event data, every secret as "[redacted]"' }),
    changes: z.array(FieldChangeSchema).nullable().meta({
      description:
        "For an event of an entity (user, project, goal, worker, environment, modules…): the entity's fields it changed, before and after, secrets redacted; null for other events",
    }),
  })
  .meta({ title: 'AuditEntry' });

const PageSchema = z.object({
  items: z.array(EntrySchema),
  nextCursor: z.string().nullable(),
  prevCursor: z.string().nullable(),
});

const ExportText = z.string();
const exportResponse = {
  description: 'One entry per line (NDJSON) or row (CSV), newest first, streamed',
  content: {
    'application/x-ndjson': { schema: ExportText },
    'text/csv': { schema: ExportText },
  },
};

type FilterInput = z.output<typeof AdminFilterQuery>;
const filtersOf = (q: FilterInput): AuditFilters => ({
  ...(q.actor !== undefined ? { actor: q.actor } : {}),
  ...(q.type !== undefined ? { types: q.type } : {}),
  ...(q.stream !== undefined ? { stream: q.stream } : {}),
  ...(q.project !== undefined ? { projectId: q.project } : {}),
  ...(q.since !== undefined ? { since: q.since } : {}),
  ...(q.until !== undefined ? { until: q.until } : {}),
  ...(q.fromPosition !== undefined ? { fromPosition: q.fromPosition } : {}),
  ...(q.toPosition !== undefined ? { toPosition: q.toPosition } : {}),
});

const FILTERS_DOC =
  'Filters combine (all must match). Newest first; `limit` ≤ 500 (default 100); `nextCursor` pages to older entries, `prevCursor` to newer ones. Secrets in the data (password and key hashes, encrypted values, signing secrets) are `"[redacted]"`.';

/**
 * The audit log (the audit read model, never the event log): all of it for global admins, a project's part for
 * its owner; a page at a time or as a streamed NDJSON/CSV export.
 */
export function auditRoutes(deps: ProjectRouteDeps): HttpRoutes {
  const { auth } = deps;
  // The audit index is in the read store, the entries' events in the event store (ADR 29).
  const reader = deps.app;
  const sendExport = (
    reply: import('fastify').FastifyReply,
    filters: AuditFilters,
    format: (typeof EXPORT_FORMATS)[number],
  ) =>
    reply
      .type(EXPORT_CONTENT_TYPES[format])
      .header('content-disposition', `attachment; filename="m3m-audit.${format}"`)
      .send(Readable.from(exportLines(auditEntries(reader, filters), format)));

  return (app) => {
    app.addHook('onRequest', auth.authenticate);

    app.get(
      '/admin/audit',
      {
        schema: {
          operationId: 'listAuditEntries',
          tags,
          summary: 'The audit log: every event, filtered (global admins)',
          description: FILTERS_DOC,
          security,
          querystring: AdminFilterQuery.extend(PageQuery),
          response: { 200: PageSchema, ...problems(400, 401, 403) },
        },
      },
      async (request) => {
        assertCanReadAudit(auth.actorOf(request));
        const { cursor, limit, ...filters } = request.query;
        return auditPage(reader, filtersOf(filters), { ...(cursor ? { cursor } : {}), limit });
      },
    );

    app.get(
      '/admin/audit/export',
      {
        schema: {
          operationId: 'exportAuditEntries',
          tags,
          summary: 'The audit log, filtered, as an NDJSON or CSV file (global admins)',
          security,
          querystring: AdminFilterQuery.extend(ExportQuery),
          response: { 200: exportResponse, ...problems(400, 401, 403) },
        },
      },
      async (request, reply) => {
        assertCanReadAudit(auth.actorOf(request));
        const { format, ...filters } = request.query;
        return sendExport(reply, filtersOf(filters), format);
      },
    );

    app.get(
      '/projects/:id/audit',
      {
        schema: {
          operationId: 'listProjectAuditEntries',
          tags,
          summary:
            "A project's audit log: its events and its goals', environment's, modules', workers' (owner)",
          description: FILTERS_DOC,
          security,
          params: ProjectIdParams,
          querystring: FilterQuery.extend(PageQuery),
          response: { 200: PageSchema, ...problems(400, 401, 403, 404) },
        },
      },
      async (request) => {
        const { cursor, limit, ...filters } = request.query;
        const scoped = await projectAuditFilters(
          deps.app,
          auth.actorOf(request),
          request.params.id,
          filtersOf(filters),
        );
        return auditPage(reader, scoped, { ...(cursor ? { cursor } : {}), limit });
      },
    );

    app.get(
      '/projects/:id/audit/export',
      {
        schema: {
          operationId: 'exportProjectAuditEntries',
          tags,
          summary: "A project's audit log, filtered, as an NDJSON or CSV file (owner)",
          security,
          params: ProjectIdParams,
          querystring: FilterQuery.extend(ExportQuery),
          response: { 200: exportResponse, ...problems(400, 401, 403, 404) },
        },
      },
      async (request, reply) => {
        const { format, ...filters } = request.query;
        const scoped = await projectAuditFilters(
          deps.app,
          auth.actorOf(request),
          request.params.id,
          filtersOf(filters),
        );
        return sendExport(reply, scoped, format);
      },
    );

    app.get(
      '/projects/:id/audit/goal-stats',
      {
        schema: {
          operationId: 'getProjectGoalStatsAt',
          tags,
          summary: "A project's goal statistics as they were at an event position or a time (owner)",
          description: `From the events only: the goals defined and not deleted then, each one's total then and, for a daily counter, its values per UTC day then. \`at\` is a position (every event up to it) or an ISO 8601 time; absent, the head. \`from\`/\`to\` (inclusive, UTC dates) default to the 30 days up to \`at\` (a time; for a position, the newest event counted); at most ${MAX_STATS_DAYS} days.`,
          security,
          params: ProjectIdParams,
          querystring: z.object({
            at: Moment.optional(),
            from: DaySchema.optional(),
            to: DaySchema.optional(),
          }),
          response: {
            200: z.object({
              projectId: z.string(),
              asOf: z
                .object({ position: z.number(), time: z.string() })
                .nullable()
                .meta({ description: 'The newest event counted; null when none yet then' }),
              goals: z.array(GoalStatsSchema),
            }),
            ...problems(400, 401, 403, 404),
          },
        },
      },
      async (request) => {
        const { at, from, to } = request.query;
        return goalStatsAt(deps.app, auth.actorOf(request), request.params.id, parseMoment(at), { from, to });
      },
    );

    app.get(
      '/admin/audit/state',
      {
        schema: {
          operationId: 'getAuditEntityState',
          tags,
          summary: 'An entity as it was at an event position or a time, folded by the domain (global admins)',
          description:
            'Users, projects, goals, workers, environments (secrets redacted), project modules, data models, licences: the stream is `<kind>-<id>`. `at` is a position (every event up to it) or an ISO 8601 time; absent, the head.',
          security,
          querystring: z.object({
            stream: z.string().min(1).max(300),
            at: Moment.optional(),
          }),
          response: {
            200: z.object({
              stream: z.string(),
              entity: z.string(),
              asOf: AsOfSchema,
              state: z.unknown(),
            }),
            ...problems(400, 401, 403),
          },
        },
      },
      async (request) => {
        assertCanReadAudit(auth.actorOf(request));
        const { stream, at } = request.query;
        return stateAt(deps.app, stream, parseMoment(at));
      },
    );

    app.get(
      '/admin/audit/diff',
      {
        schema: {
          operationId: 'getAuditEntityDiff',
          tags,
          summary: 'What changed in an entity between two moments, folded by the domain (global admins)',
          description:
            'The same streams as `/admin/audit/state`. `from` and `to` are positions or ISO 8601 times; `to` absent is the head. The fields that differ, as dotted paths with their values at `from` and at `to`, secrets redacted.',
          security,
          querystring: z.object({
            stream: z.string().min(1).max(300),
            from: Moment,
            to: Moment.optional(),
          }),
          response: {
            200: z.object({
              stream: z.string(),
              entity: z.string(),
              from: AsOfSchema,
              to: AsOfSchema,
              changes: z.array(FieldChangeSchema),
            }),
            ...problems(400, 401, 403),
          },
        },
      },
      async (request) => {
        assertCanReadAudit(auth.actorOf(request));
        const { stream, from, to } = request.query;
        return diffBetween(deps.app, stream, parseMoment(from), parseMoment(to));
      },
    );
  };
}
