import { z } from 'zod';
import { MAX_STATS_DAYS } from '../../../application/dayRange.ts';
import type { Page } from '../../../application/ports/readStore.ts';
import { DELIVERY_STATUSES } from '../../../application/runtime/deliveries.ts';
import { listDeliveries } from '../../../application/runtime/deliveryQueries.ts';
import type { InvocationQuery, InvocationRecord } from '../../../application/runtime/invocations.ts';
import { invokeWorker } from '../../../application/runtime/invokeWorker.ts';
import { getInvocation, listInvocations, workerStats } from '../../../application/runtime/queries.ts';
import { resumeWorker } from '../../../application/runtime/resumeWorker.ts';
import { findVisibleWorker } from '../../../application/workers/access.ts';
import { BEARER_SECURITY, type HttpRoutes, originOf, problems, refuseNullBody } from '../routeKit.ts';
import { DaySchema, ProjectIdParams } from './projectSchemas.ts';
import {
  DeliverySchema,
  InvocationFilterSchema,
  InvocationSchema,
  RunResultSchema,
  WorkerDetailSchema,
  WorkerParams,
  type WorkerRouteDeps,
  WorkerStatsSchema,
} from './workerSchemas.ts';

const tags = ['workers'];
const security = BEARER_SECURITY;

const isoOrUndefined = (value: string | undefined) =>
  value === undefined ? undefined : new Date(value).toISOString();

function invocationQuery(query: z.output<typeof InvocationFilterSchema>, workerId?: string): InvocationQuery {
  return {
    ...(workerId === undefined ? {} : { workerId }),
    outcome: query.outcome,
    trigger: query.trigger,
    from: isoOrUndefined(query.from),
    to: isoOrUndefined(query.to),
    limit: query.limit,
    cursor: query.cursor ?? null,
  };
}

/** Records stored before inputs were kept have none. */
function withInput<R extends InvocationRecord>(
  record: R,
): R & { input: string | null; inputTruncated: boolean } {
  return { ...record, input: record.input ?? null, inputTruncated: record.inputTruncated ?? false };
}

function withInputs(page: Page<InvocationRecord>) {
  return { ...page, items: page.items.map(withInput) };
}

/**
 * Running a project's workers by hand ("run now") and what their runs recorded: invocation records (a
 * worker's, the project's, one) and daily statistics. Anyone who sees the project may do all of it.
 */
export function invocationRoutes(deps: WorkerRouteDeps): HttpRoutes {
  const { auth } = deps;

  return (app) => {
    app.addHook('onRequest', auth.authenticate);

    app.post(
      '/projects/:id/workers/:workerId/run',
      {
        preValidation: refuseNullBody,
        schema: {
          operationId: 'runWorker',
          tags,
          summary: "Run the worker's `run` handler now with a JSON input: result, logs, duration",
          description:
            'Anyone who sees the project may run its workers. A worker that throws or exceeds a limit is still a 200: see `outcome` and `error`. A disabled worker or one never deployed is a 409.',
          security,
          params: WorkerParams,
          body: z.object({ input: z.unknown().optional() }).strict().nullish(),
          response: { 200: RunResultSchema, ...problems(400, 401, 404, 409) },
        },
      },
      async (request) => {
        const { id, workerId } = request.params;
        await findVisibleWorker(deps.app, auth.actorOf(request), id, workerId);
        const invocation = await invokeWorker(deps.app, {
          workerId,
          projectId: id,
          trigger: { kind: 'manual' },
          handler: 'run',
          input: request.body?.input,
          correlationId: originOf(request).correlationId ?? '',
        });
        return {
          invocationId: invocation.id,
          version: invocation.version,
          outcome: invocation.outcome,
          ...(invocation.result === undefined ? {} : { result: invocation.result }),
          logs: invocation.logs,
          durationMs: invocation.durationMs,
          ...(invocation.error ? { error: invocation.error } : {}),
        };
      },
    );

    app.get(
      '/projects/:id/workers/:workerId/invocations',
      {
        schema: {
          operationId: 'listWorkerInvocations',
          tags,
          summary: "The worker's invocation records with their logs, newest first",
          description:
            'Filters: `outcome`, `trigger`, `from` (inclusive) / `to` (exclusive) on the start time. Pages of `limit` (≤ 100); pass `nextCursor` as `cursor` for older ones. Records are kept M3M_LOG_RETENTION_DAYS days.',
          security,
          params: WorkerParams,
          querystring: InvocationFilterSchema,
          response: {
            200: z.object({ items: z.array(InvocationSchema), nextCursor: z.string().nullable() }),
            ...problems(400, 401, 404),
          },
        },
      },
      async (request) =>
        withInputs(
          await listInvocations(
            deps.app,
            auth.actorOf(request),
            request.params.id,
            invocationQuery(request.query, request.params.workerId),
          ),
        ),
    );

    app.get(
      '/projects/:id/invocations',
      {
        schema: {
          operationId: 'listInvocations',
          tags,
          summary: "The project's invocation records (every worker, or `workerId`), newest first",
          security,
          params: ProjectIdParams,
          querystring: InvocationFilterSchema.extend({ workerId: z.uuid('must be a worker id').optional() }),
          response: {
            200: z.object({ items: z.array(InvocationSchema), nextCursor: z.string().nullable() }),
            ...problems(400, 401, 404),
          },
        },
      },
      async (request) =>
        withInputs(
          await listInvocations(
            deps.app,
            auth.actorOf(request),
            request.params.id,
            invocationQuery(request.query, request.query.workerId),
          ),
        ),
    );

    app.get(
      '/projects/:id/invocations/:invocationId',
      {
        schema: {
          operationId: 'getInvocation',
          tags,
          summary: 'One invocation record (e.g. the one a failed HTTP trigger names)',
          security,
          params: ProjectIdParams.extend({ invocationId: z.string().min(1).max(100) }),
          response: { 200: InvocationSchema, ...problems(400, 401, 404) },
        },
      },
      async (request) => {
        const { id, invocationId } = request.params;
        return withInput(await getInvocation(deps.app, auth.actorOf(request), id, invocationId)) as never;
      },
    );

    app.post(
      '/projects/:id/workers/:workerId/resume',
      {
        schema: {
          operationId: 'resumeWorker',
          tags,
          summary: "End the worker's suspension now (it kept running into its limits)",
          description:
            'For whoever may edit the worker. A worker is suspended after M3M_WORKER_BREAKER_THRESHOLD invocations in a row end at a limit, for M3M_WORKER_COOL_DOWN_MS; its event deliveries wait meanwhile. Resuming one that is not suspended changes nothing.',
          security,
          params: WorkerParams,
          response: { 200: WorkerDetailSchema, ...problems(400, 401, 403, 404) },
        },
      },
      async (request) =>
        resumeWorker(deps.app, auth.actorOf(request), request.params.id, request.params.workerId),
    );

    app.get(
      '/projects/:id/workers/:workerId/deliveries',
      {
        schema: {
          operationId: 'listWorkerDeliveries',
          tags,
          summary: 'What became of each event the worker subscribed to, newest first',
          description:
            'One entry per event: `succeeded`, `failed` (after its attempts), `skipped` with its `reason` (`depth_limit`: the event was caused by a chain of workers longer than M3M_EVENT_DEPTH_LIMIT; `worker_disabled`…), or still waiting (`in_flight`, `queued`, `deferred`). Filter by `status`; pages of `limit` (≤ 100), pass `nextCursor` as `cursor`.',
          security,
          params: WorkerParams,
          querystring: z.object({
            status: z.enum(DELIVERY_STATUSES).optional(),
            limit: z.coerce.number().int().min(1).max(100).default(50),
            cursor: z.string().max(2000).optional(),
          }),
          response: {
            200: z.object({ items: z.array(DeliverySchema), nextCursor: z.string().nullable() }),
            ...problems(400, 401, 404),
          },
        },
      },
      async (request) =>
        listDeliveries(deps.app, auth.actorOf(request), request.params.id, request.params.workerId, {
          status: request.query.status,
          limit: request.query.limit,
          cursor: request.query.cursor ?? null,
        }),
    );

    app.get(
      '/projects/:id/workers/:workerId/stats',
      {
        schema: {
          operationId: 'getWorkerStats',
          tags,
          summary: 'Invocations, errors, p50 and p95 duration per UTC day, missing days as 0',
          description: `\`from\`/\`to\` (inclusive, UTC dates) default to the last 30 days; at most ${MAX_STATS_DAYS} days. Percentiles come from a log-scale histogram: within ±9.1 %.`,
          security,
          params: WorkerParams,
          querystring: z.object({ from: DaySchema.optional(), to: DaySchema.optional() }),
          response: { 200: WorkerStatsSchema, ...problems(400, 401, 404) },
        },
      },
      async (request) =>
        workerStats(
          deps.app,
          auth.actorOf(request),
          request.params.id,
          request.params.workerId,
          request.query,
        ),
    );
  };
}
