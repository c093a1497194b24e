import type { FastifyRequest } from 'fastify';
import { z } from 'zod';
import { projectModels } from '../../../application/collections/queries.ts';
import { findVisibleProject } from '../../../application/projects/queries.ts';
import { runtimeDts } from '../../../application/runtime/runtimeDts.ts';
import {
  activateVersion,
  createWorker,
  deleteWorker,
  deployWorker,
  SyntaxRefusal,
  saveDraft,
  updateWorker,
} from '../../../application/workers/commands.ts';
import { getVersion, getWorker, listVersions, listWorkers } from '../../../application/workers/queries.ts';
import { problem } from '../problem.ts';
import {
  atLeastOne,
  BEARER_SECURITY,
  type HttpRoutes,
  originOf,
  problems,
  refuseNullBody,
} from '../routeKit.ts';
import { NameSchema, ProjectIdParams } from './projectSchemas.ts';
import {
  LanguageSchema,
  LimitsSchema,
  SourceSchema,
  TriggersSchema,
  VersionParams,
  VersionSchema,
  WorkerDetailSchema,
  WorkerParams,
  type WorkerRouteDeps,
  WorkerSchema,
  WorkerSlugSchema,
} from './workerSchemas.ts';

const tags = ['workers'];
const security = BEARER_SECURITY;
/** A 1 MB source, JSON-escaped, fits. */
const SOURCE_BODY_LIMIT = 8 * 1024 * 1024;

/**
 * Workers of a project: CRUD, drafts, deploys, versions and rollback, and the Runtime API's `.d.ts`. Members
 * and users granted the project read; the owner and global admins change (`application/workers/access.ts`).
 * Running them and what the runs recorded: `invocations.ts`; following the runs live: `invocationStream.ts`.
 */
export function workerRoutes(deps: WorkerRouteDeps): HttpRoutes {
  const { auth } = deps;
  const current = async (
    request: FastifyRequest,
    projectId: string,
    workerId: string,
    position: number | null,
  ) => {
    await deps.waitFor(position);
    return getWorker(deps.app, auth.actorOf(request), projectId, workerId);
  };

  return (app) => {
    app.addHook('onRequest', auth.authenticate);

    app.get(
      '/projects/:id/workers',
      {
        schema: {
          operationId: 'listWorkers',
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
          operationId: 'createWorker',
          tags,
          summary: 'Create a worker (owner or global admin); its slug is unique in the project',
          security,
          params: ProjectIdParams,
          body: z
            .object({
              name: NameSchema,
              slug: WorkerSlugSchema,
              language: LanguageSchema.default('javascript'),
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
          operationId: 'getWorker',
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
          operationId: 'updateWorker',
          tags,
          summary: 'Change name, triggers, enabled flag or limits (owner or global admin); the slug is fixed',
          security,
          params: WorkerParams,
          body: atLeastOne(
            z.object({
              name: NameSchema.optional(),
              language: LanguageSchema.optional(),
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
          operationId: 'deleteWorker',
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
          operationId: 'saveWorkerDraft',
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
        preValidation: refuseNullBody,
        bodyLimit: SOURCE_BODY_LIMIT,
        schema: {
          operationId: 'deployWorker',
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
            throw problem('syntax_error', `The source does not compile. ${error.message}`, {
              errors: [{ field: 'body.source', code: 'syntax_error', message: error.message }],
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
          operationId: 'listWorkerVersions',
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
          operationId: 'getWorkerVersion',
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
          operationId: 'activateWorkerVersion',
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

    app.get(
      '/projects/:id/runtime.d.ts',
      {
        schema: {
          operationId: 'getRuntimeTypes',
          tags,
          summary: "TypeScript declarations of the Runtime API in this project's workers (for the editor)",
          description:
            "Includes the functions of the project's active plugin modules and its data models (`m3m.models.collection('orders')` typed by the collection's JSON Schema).",
          security,
          params: ProjectIdParams,
          response: { 200: z.string().describe('TypeScript declarations'), ...problems(400, 401, 404) },
        },
      },
      async (request, reply) => {
        await findVisibleProject(deps.app, auth.actorOf(request), request.params.id);
        const extensions = await deps.app.extensions.forProject(request.params.id);
        const models = await projectModels(deps.app.readStore, request.params.id);
        return reply.type('text/plain; charset=utf-8').send(runtimeDts(extensions, models));
      },
    );
  };
}
