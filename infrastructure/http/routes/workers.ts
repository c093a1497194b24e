import type { FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { MAX_STATS_DAYS } from '../../../application/dayRange.ts';
import { ApplicationError } from '../../../application/errors.ts';
import { findVisibleProject } from '../../../application/projects/queries.ts';
import { findVisibleWorker } from '../../../application/workers/access.ts';
import {
  activateVersion,
  createWorker,
  deleteWorker,
  deployWorker,
  SyntaxRefusal,
  saveDraft,
  updateWorker,
} from '../../../application/workers/commands.ts';
import type { InvocationQuery } from '../../../application/workers/invocations.ts';
import { invokeWorker } from '../../../application/workers/invokeWorker.ts';
import {
  getVersion,
  getWorker,
  listInvocations,
  listVersions,
  listWorkers,
  workerStats,
} from '../../../application/workers/queries.ts';
import { WORKER_INVOCATIONS } from '../../../application/workers/readModel.ts';
import { runtimeDts } from '../../../application/workers/runtimeDts.ts';
import type { HttpRoutes } from '../app.ts';
import { BEARER_SECURITY } from '../auth.ts';
import { notFound, ProblemError, validationFailed } from '../problem.ts';
import { problems } from './identitySchemas.ts';
import { atLeastOne, DaySchema, NameSchema, ProjectIdParams } from './projectSchemas.ts';
import { originOf } from './projects.ts';
import {
  InvocationFilterSchema,
  InvocationSchema,
  LimitsSchema,
  RunResultSchema,
  SourceSchema,
  TriggersSchema,
  VersionParams,
  VersionSchema,
  WorkerDetailSchema,
  WorkerParams,
  type WorkerRouteDeps,
  WorkerSchema,
  WorkerSlugSchema,
  WorkerStatsSchema,
} from './workerSchemas.ts';

const tags = ['workers'];
const security = BEARER_SECURITY;
/** A 1 MB source, JSON-escaped, fits. */
const SOURCE_BODY_LIMIT = 8 * 1024 * 1024;

/** Query refusals name `querystring.<field>`, like a schema failure would. */
async function asQueryErrors<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    if (error instanceof ApplicationError && error.kind === 'invalid' && error.field) {
      throw validationFailed(
        [{ field: `querystring.${error.field}`, message: error.message }],
        error.message,
      );
    }
    throw error;
  }
}

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

/**
 * Workers of a project: CRUD, drafts, deploys, versions and rollback, "run now", invocation records (list, one,
 * live stream), daily statistics, and the Runtime API's `.d.ts`. Members and users granted the project read and
 * run; the owner and global admins change (`application/workers/access.ts`).
 */
export function workerRoutes(deps: WorkerRouteDeps): HttpRoutes {
  const { auth } = deps;
  const heartbeatMs = deps.heartbeatMs ?? 15_000;
  const current = async (
    request: FastifyRequest,
    projectId: string,
    workerId: string,
    position: number | null,
  ) => {
    await deps.waitFor(position);
    return getWorker(deps.app, auth.actorOf(request), projectId, workerId);
  };
  /** Open invocation streams, ended when the server closes. */
  const streams = new Set<() => void>();

  return (app) => {
    app.addHook('onRequest', auth.authenticate);
    app.addHook('preClose', async () => {
      for (const end of [...streams]) end();
    });

    app.get(
      '/projects/:id/workers',
      {
        schema: {
          tags,
          summary: "The project's workers, by name",
          security,
          params: ProjectIdParams,
          response: { 200: z.object({ items: z.array(WorkerSchema) }), ...problems(400, 401, 404) },
        },
      },
      async (request) => ({ items: await listWorkers(deps.app, auth.actorOf(request), request.params.id) }),
    );

    app.post(
      '/projects/:id/workers',
      {
        schema: {
          tags,
          summary: 'Create a worker (owner or global admin); its slug is unique in the project',
          security,
          params: ProjectIdParams,
          body: z
            .object({
              name: NameSchema,
              slug: WorkerSlugSchema,
              triggers: TriggersSchema.optional(),
              enabled: z.boolean().optional(),
              limits: LimitsSchema.optional(),
            })
            .strict(),
          response: { 201: WorkerDetailSchema, ...problems(400, 401, 403, 404, 409) },
        },
      },
      async (request, reply) => {
        const { id } = request.params;
        const created = await createWorker(
          deps.app,
          auth.actorOf(request),
          id,
          request.body,
          originOf(request),
        );
        return reply.code(201).send(await current(request, id, created.workerId, created.position));
      },
    );

    app.get(
      '/projects/:id/workers/:workerId',
      {
        schema: {
          tags,
          summary: 'One worker, with its draft source',
          security,
          params: WorkerParams,
          response: { 200: WorkerDetailSchema, ...problems(400, 401, 404) },
        },
      },
      async (request) =>
        getWorker(deps.app, auth.actorOf(request), request.params.id, request.params.workerId),
    );

    app.patch(
      '/projects/:id/workers/:workerId',
      {
        schema: {
          tags,
          summary: 'Change name, triggers, enabled flag or limits (owner or global admin); the slug is fixed',
          security,
          params: WorkerParams,
          body: atLeastOne(
            z.object({
              name: NameSchema.optional(),
              triggers: TriggersSchema.optional(),
              enabled: z.boolean().optional(),
              limits: LimitsSchema.optional(),
            }),
          ),
          response: { 200: WorkerDetailSchema, ...problems(400, 401, 403, 404) },
        },
      },
      async (request) => {
        const { id, workerId } = request.params;
        const result = await updateWorker(
          deps.app,
          auth.actorOf(request),
          id,
          workerId,
          request.body,
          originOf(request),
        );
        return current(request, id, workerId, result.position);
      },
    );

    app.delete(
      '/projects/:id/workers/:workerId',
      {
        schema: {
          tags,
          summary: 'Delete a worker with its logs and statistics; its slug becomes free (its events stay)',
          security,
          params: WorkerParams,
          response: { 204: z.void().describe('Deleted'), ...problems(400, 401, 403, 404) },
        },
      },
      async (request, reply) => {
        const { id, workerId } = request.params;
        const result = await deleteWorker(deps.app, auth.actorOf(request), id, workerId, originOf(request));
        await deps.waitFor(result.position);
        return reply.code(204).send();
      },
    );

    app.put(
      '/projects/:id/workers/:workerId/draft',
      {
        bodyLimit: SOURCE_BODY_LIMIT,
        schema: {
          tags,
          summary: 'Save the source as a draft (owner or global admin); nothing runs it until it is deployed',
          security,
          params: WorkerParams,
          body: z.object({ source: SourceSchema }).strict(),
          response: { 200: WorkerDetailSchema, ...problems(400, 401, 403, 404, 413) },
        },
      },
      async (request) => {
        const { id, workerId } = request.params;
        const result = await saveDraft(
          deps.app,
          auth.actorOf(request),
          id,
          workerId,
          request.body.source,
          originOf(request),
        );
        return current(request, id, workerId, result.position);
      },
    );

    app.post(
      '/projects/:id/workers/:workerId/deploy',
      {
        bodyLimit: SOURCE_BODY_LIMIT,
        schema: {
          tags,
          summary:
            'Deploy the given source, or the draft (owner or global admin): a new numbered version, active at once',
          description:
            'The source is compiled first: a syntax error (or an import) is a 400 `syntax_error` naming `body.source`, with line and column, and nothing is recorded. Deploying the source that already runs changes nothing (200, `deployed: false`).',
          security,
          params: WorkerParams,
          body: z.object({ source: SourceSchema.optional() }).strict().nullish(),
          response: {
            200: z.object({ version: z.number(), deployed: z.boolean(), worker: WorkerSchema }),
            201: z.object({ version: z.number(), deployed: z.boolean(), worker: WorkerSchema }),
            ...problems(400, 401, 403, 404, 413),
          },
        },
      },
      async (request, reply) => {
        const { id, workerId } = request.params;
        let result: Awaited<ReturnType<typeof deployWorker>>;
        try {
          result = await deployWorker(
            deps.app,
            auth.actorOf(request),
            id,
            workerId,
            request.body?.source,
            originOf(request),
          );
        } catch (error) {
          if (error instanceof SyntaxRefusal) {
            throw new ProblemError({
              status: 400,
              code: 'syntax_error',
              title: 'Syntax error',
              detail: `The source does not compile. ${error.message}`,
              errors: [{ field: 'body.source', message: error.message }],
            });
          }
          throw error;
        }
        const worker = await current(request, id, workerId, result.position);
        const { draftSource: _, ...view } = worker;
        return reply
          .code(result.deployed ? 201 : 200)
          .send({ version: result.version, deployed: result.deployed, worker: view });
      },
    );

    app.get(
      '/projects/:id/workers/:workerId/versions',
      {
        schema: {
          tags,
          summary: 'Every deployed version, newest first',
          security,
          params: WorkerParams,
          response: { 200: z.object({ items: z.array(VersionSchema) }), ...problems(400, 401, 404) },
        },
      },
      async (request) => ({
        items: await listVersions(
          deps.app,
          auth.actorOf(request),
          request.params.id,
          request.params.workerId,
        ),
      }),
    );

    app.get(
      '/projects/:id/workers/:workerId/versions/:version',
      {
        schema: {
          tags,
          summary: 'One deployed version with its source',
          security,
          params: VersionParams,
          response: { 200: VersionSchema.extend({ source: z.string() }), ...problems(400, 401, 404) },
        },
      },
      async (request) => {
        const { id, workerId, version } = request.params;
        return getVersion(deps.app, auth.actorOf(request), id, workerId, version);
      },
    );

    app.post(
      '/projects/:id/workers/:workerId/versions/:version/activate',
      {
        schema: {
          tags,
          summary: 'Make a deployed version the active one (rollback), owner or global admin',
          security,
          params: VersionParams,
          response: { 200: WorkerDetailSchema, ...problems(400, 401, 403, 404) },
        },
      },
      async (request) => {
        const { id, workerId, version } = request.params;
        const result = await activateVersion(
          deps.app,
          auth.actorOf(request),
          id,
          workerId,
          version,
          originOf(request),
        );
        return current(request, id, workerId, result.position);
      },
    );

    app.post(
      '/projects/:id/workers/:workerId/run',
      {
        schema: {
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
        listInvocations(
          deps.app,
          auth.actorOf(request),
          request.params.id,
          invocationQuery(request.query, request.params.workerId),
        ),
    );

    app.get(
      '/projects/:id/invocations',
      {
        schema: {
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
        listInvocations(
          deps.app,
          auth.actorOf(request),
          request.params.id,
          invocationQuery(request.query, request.query.workerId),
        ),
    );

    app.get(
      '/projects/:id/invocations/:invocationId',
      {
        schema: {
          tags,
          summary: 'One invocation record (e.g. the one a failed HTTP trigger names)',
          security,
          params: ProjectIdParams.extend({ invocationId: z.string().min(1).max(100) }),
          response: { 200: InvocationSchema, ...problems(400, 401, 404) },
        },
      },
      async (request) => {
        const { id, invocationId } = request.params;
        await findVisibleProject(deps.app, auth.actorOf(request), id);
        const record = await deps.app.readStore.collection(WORKER_INVOCATIONS).get(invocationId);
        if (!record || record.projectId !== id) {
          throw notFound('There is no such invocation (records expire).', 'invocation_not_found');
        }
        return record as never;
      },
    );

    app.get(
      '/projects/:id/workers/:workerId/invocations/stream',
      {
        schema: {
          tags,
          summary: "Follow the worker's invocations live (Server-Sent Events)",
          description:
            'A `text/event-stream`: each new invocation record as an `invocation` event (`data` is the record as JSON, `id` its id), a comment line as heartbeat every 15 s. Ends when the server stops.',
          security,
          params: WorkerParams,
          response: { 200: z.string().describe('text/event-stream'), ...problems(400, 401, 404) },
        },
      },
      async (request, reply) => {
        const { id, workerId } = request.params;
        await findVisibleWorker(deps.app, auth.actorOf(request), id, workerId);
        follow(request, reply, workerId);
      },
    );

    function follow(request: FastifyRequest, reply: FastifyReply, workerId: string): void {
      reply.hijack();
      const res = reply.raw;
      res.writeHead(200, {
        'content-type': 'text/event-stream; charset=utf-8',
        'cache-control': 'no-cache, no-transform',
        connection: 'keep-alive',
        'x-accel-buffering': 'no',
      });
      res.write('retry: 3000\n: following invocations\n\n');
      let ended = false;
      const end = () => {
        if (ended) return;
        ended = true;
        clearInterval(heartbeat);
        subscription.unsubscribe();
        streams.delete(end);
        if (!res.writableEnded) res.end();
      };
      const subscription = deps.app.feed.follow({ workerId }).subscribe({
        next: (record) => {
          res.write(`event: invocation\nid: ${record.id}\ndata: ${JSON.stringify(record)}\n\n`);
        },
        complete: end,
      });
      const heartbeat = setInterval(
        () => res.write(`: heartbeat ${new Date().toISOString()}\n\n`),
        heartbeatMs,
      );
      heartbeat.unref();
      streams.add(end);
      request.raw.on('close', end);
      res.on('error', end);
    }

    app.get(
      '/projects/:id/workers/:workerId/stats',
      {
        schema: {
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
        asQueryErrors(() =>
          workerStats(
            deps.app,
            auth.actorOf(request),
            request.params.id,
            request.params.workerId,
            request.query,
          ),
        ),
    );

    app.get(
      '/projects/:id/runtime.d.ts',
      {
        schema: {
          tags,
          summary: "TypeScript declarations of the Runtime API in this project's workers (for the editor)",
          description: "Includes the functions of the project's active plugin modules.",
          security,
          params: ProjectIdParams,
          response: { 200: z.string().describe('TypeScript declarations'), ...problems(400, 401, 404) },
        },
      },
      async (request, reply) => {
        await findVisibleProject(deps.app, auth.actorOf(request), request.params.id);
        const extensions = await deps.app.extensions.forProject(request.params.id);
        return reply.type('text/plain; charset=utf-8').send(runtimeDts(extensions));
      },
    );
  };
}
