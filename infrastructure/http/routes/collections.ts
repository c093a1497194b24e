import { z } from 'zod';
import { defineModel, deleteDocument, removeModel } from '../../../application/collections/commands.ts';
import {
  getDocument,
  getModel,
  listCollections,
  listDocuments,
} from '../../../application/collections/queries.ts';
import { MODEL_NAME_PATTERN, MODEL_SCHEMA_MAX_BYTES } from '../../../domain/dataModel.ts';
import { BEARER_SECURITY, type HttpRoutes, originOf, problems } from '../routeKit.ts';
import { ProjectIdParams, type ProjectRouteDeps } from './projectSchemas.ts';

const tags = ['collections'];
const security = BEARER_SECURITY;

const CollectionParams = ProjectIdParams.extend({
  collection: z
    .string()
    .regex(
      MODEL_NAME_PATTERN,
      'must be 1-41 lowercase letters, digits or "_", starting with a letter (e.g. "orders")',
    ),
});
const DocumentParams = CollectionParams.extend({ documentId: z.string().min(1).max(128) });

const DocumentSchema = z.object({ id: z.string() }).catchall(z.unknown()).meta({
  description: 'A document as a worker stored it',
});
const ModelSchema = z.object({
  name: z.string(),
  schema: z.record(z.string(), z.unknown()).meta({ description: 'The JSON Schema of its documents' }),
  updatedAt: z.string(),
  updatedBy: z.string().nullable(),
});
const modelView = (doc: z.input<typeof ModelSchema>) => ({
  name: doc.name,
  schema: doc.schema,
  updatedAt: doc.updatedAt,
  updatedBy: doc.updatedBy,
});

/**
 * A project's worker data (`m3m.models`): its collections, their documents, and the models — JSON Schemas a
 * collection's writes must match, recorded as events. Whoever sees the project reads; the owner and global
 * admins delete documents and define models.
 */
export function collectionRoutes(deps: ProjectRouteDeps): HttpRoutes {
  const { auth } = deps;

  return (app) => {
    app.addHook('onRequest', auth.authenticate);

    app.get(
      '/projects/:id/collections',
      {
        schema: {
          operationId: 'listCollections',
          tags,
          summary: "The project's collections (those its workers wrote and those with a model), with counts",
          security,
          params: ProjectIdParams,
          response: {
            200: z.object({
              items: z.array(z.object({ name: z.string(), documents: z.number(), hasModel: z.boolean() })),
            }),
            ...problems(400, 401, 404),
          },
        },
      },
      async (request) => ({
        items: await listCollections(deps.app, auth.actorOf(request), request.params.id),
      }),
    );

    app.get(
      '/projects/:id/collections/:collection/documents',
      {
        schema: {
          operationId: 'listDocuments',
          tags,
          summary: "A collection's documents, a page at a time, filtered and sorted",
          description:
            '`filter` is a JSON object as workers write it (`{"status":"open","total":{"$gt":10}}`); `sort` a field path, `-` in front for descending; pages of `limit` (≤ 100, default 20), then `cursor` = `nextCursor`. An unknown collection is empty.',
          security,
          params: CollectionParams,
          querystring: z.object({
            filter: z.string().max(4000).optional(),
            sort: z.string().max(200).optional(),
            limit: z.coerce.number().int().min(1).max(100).default(20),
            cursor: z.string().max(2000).optional(),
          }),
          response: {
            200: z.object({ items: z.array(DocumentSchema), nextCursor: z.string().nullable() }),
            ...problems(400, 401, 404),
          },
        },
      },
      async (request) =>
        listDocuments(
          deps.app,
          auth.actorOf(request),
          request.params.id,
          request.params.collection,
          request.query,
        ),
    );

    app.get(
      '/projects/:id/collections/:collection/documents/:documentId',
      {
        schema: {
          operationId: 'getDocument',
          tags,
          summary: 'One document',
          security,
          params: DocumentParams,
          response: { 200: DocumentSchema, ...problems(400, 401, 404) },
        },
      },
      async (request) => {
        const { id, collection, documentId } = request.params;
        return getDocument(deps.app, auth.actorOf(request), id, collection, documentId);
      },
    );

    app.delete(
      '/projects/:id/collections/:collection/documents/:documentId',
      {
        schema: {
          operationId: 'deleteDocument',
          tags,
          summary: 'Delete one document (owner or global admin)',
          security,
          params: DocumentParams,
          response: { 204: z.void().describe('Deleted'), ...problems(400, 401, 403, 404) },
        },
      },
      async (request, reply) => {
        const { id, collection, documentId } = request.params;
        await deleteDocument(deps.app, auth.actorOf(request), id, collection, documentId);
        return reply.code(204).send();
      },
    );

    app.get(
      '/projects/:id/collections/:collection/schema',
      {
        schema: {
          operationId: 'getCollectionSchema',
          tags,
          summary: "The collection's model: the JSON Schema its documents must match",
          security,
          params: CollectionParams,
          response: { 200: ModelSchema, ...problems(400, 401, 404) },
        },
      },
      async (request) =>
        modelView(
          await getModel(deps.app, auth.actorOf(request), request.params.id, request.params.collection),
        ),
    );

    app.put(
      '/projects/:id/collections/:collection/schema',
      {
        schema: {
          operationId: 'putCollectionSchema',
          tags,
          summary: "Define or replace the collection's model (owner or global admin)",
          description: `A JSON Schema of an object (\`"type": "object"\`, at most ${MODEL_SCHEMA_MAX_BYTES / 1024} KB), compiled by Ajv in strict mode. From then on every insert and update by a worker must match it (a refused write throws \`ValidationError\` in the worker); documents stored before are left as they are. The model types the collection in the project's \`runtime.d.ts\`. Recorded as a \`DataModelDefined\` event.`,
          security,
          params: CollectionParams,
          body: z.object({ schema: z.record(z.string(), z.unknown()) }).strict(),
          response: { 200: ModelSchema, ...problems(400, 401, 403, 404) },
        },
      },
      async (request) => {
        const { id, collection } = request.params;
        const actor = auth.actorOf(request);
        const result = await defineModel(
          deps.app,
          actor,
          id,
          collection,
          request.body.schema,
          originOf(request),
        );
        await deps.waitFor(result.position);
        return modelView(await getModel(deps.app, actor, id, collection));
      },
    );

    app.delete(
      '/projects/:id/collections/:collection/schema',
      {
        schema: {
          operationId: 'deleteCollectionSchema',
          tags,
          summary:
            "Remove the collection's model (owner or global admin); its documents stay, writes go unchecked",
          security,
          params: CollectionParams,
          response: { 204: z.void().describe('Removed'), ...problems(400, 401, 403, 404) },
        },
      },
      async (request, reply) => {
        const { id, collection } = request.params;
        const result = await removeModel(deps.app, auth.actorOf(request), id, collection, originOf(request));
        await deps.waitFor(result.position);
        return reply.code(204).send();
      },
    );
  };
}
