import type { FastifyRequest } from 'fastify';
import { z } from 'zod';
import { createProject } from '../../../application/projects/createProject.ts';
import { deleteProject } from '../../../application/projects/deleteProject.ts';
import {
  grantMember,
  listMembers,
  memberIdByEmail,
  revokeMember,
} from '../../../application/projects/members.ts';
import { getProject, listProjects } from '../../../application/projects/queries.ts';
import { rotateApiKey } from '../../../application/projects/rotateApiKey.ts';
import { updateProject } from '../../../application/projects/updateProject.ts';
import { atLeastOne, BEARER_SECURITY, type HttpRoutes, originOf, problems } from '../routeKit.ts';
import {
  ApiKeySchema,
  ColorSchema,
  MemberBodySchema,
  MemberSchema,
  memberJson,
  NameSchema,
  ProjectIdParams,
  type ProjectRouteDeps,
  ProjectSchema,
  ProjectSlugSchema,
} from './projectSchemas.ts';

const tags = ['projects'];
const security = BEARER_SECURITY;

/**
 * Projects: list and create; settings (name, colour, slug), members, API key rotation and deletion for the
 * owner or a global admin. Who sees and may do what is `application/projects/projectAccess.ts`.
 */
export function projectRoutes(deps: ProjectRouteDeps): HttpRoutes {
  const { auth } = deps;
  const current = async (request: FastifyRequest, projectId: string, position: number | null) => {
    await deps.waitFor(position);
    return getProject(deps.app, auth.actorOf(request), projectId);
  };

  return (app) => {
    app.addHook('onRequest', auth.authenticate);

    app.get(
      '/projects',
      {
        schema: {
          operationId: 'listProjects',
          tags,
          summary: 'The projects you can see (all of them for global admins), by name',
          security,
          response: { 200: z.object({ items: z.array(ProjectSchema) }), ...problems(401) },
        },
      },
      async (request) => ({ items: await listProjects(deps.app, auth.actorOf(request)) }),
    );

    app.post(
      '/projects',
      {
        schema: {
          operationId: 'createProject',
          tags,
          summary: 'Create a project (needs create_projects); you become its owner',
          description: 'The response carries the project API key: it is shown only this once.',
          security,
          body: z
            .object({ name: NameSchema, slug: ProjectSlugSchema, color: ColorSchema.optional() })
            .strict(),
          response: { 201: ProjectSchema.extend(ApiKeySchema.shape), ...problems(400, 401, 403, 409) },
        },
      },
      async (request, reply) => {
        const created = await createProject(deps.app, auth.actorOf(request), request.body, originOf(request));
        const project = await current(request, created.projectId, created.position);
        return reply
          .code(201)
          .send({ ...project, apiKey: created.apiKey, apiKeyPrefix: project.apiKeyPrefix });
      },
    );

    app.get(
      '/projects/:id',
      {
        schema: {
          operationId: 'getProject',
          tags,
          summary: 'One project',
          security,
          params: ProjectIdParams,
          response: { 200: ProjectSchema, ...problems(400, 401, 404) },
        },
      },
      async (request) => getProject(deps.app, auth.actorOf(request), request.params.id),
    );

    app.patch(
      '/projects/:id',
      {
        schema: {
          operationId: 'updateProject',
          tags,
          summary: 'Rename, recolour or change the slug (owner or global admin)',
          description:
            'A changed slug frees the old one; project goals are addressed by the new one at once.',
          security,
          params: ProjectIdParams,
          body: atLeastOne(
            z.object({
              name: NameSchema.optional(),
              color: ColorSchema.optional(),
              slug: ProjectSlugSchema.optional(),
            }),
          ),
          response: { 200: ProjectSchema, ...problems(400, 401, 403, 404, 409) },
        },
      },
      async (request) => {
        const { id } = request.params;
        const result = await updateProject(
          deps.app,
          auth.actorOf(request),
          id,
          request.body,
          originOf(request),
        );
        return current(request, id, result.position);
      },
    );

    app.delete(
      '/projects/:id',
      {
        schema: {
          operationId: 'deleteProject',
          tags,
          summary: 'Delete the project (owner or global admin): repeat its slug in "confirm"',
          description:
            "The project leaves every read model (its goals and their statistics, environment, modules, workers, members, users' project lists, licences for it), its workers' data and records are deleted, and its slug becomes free. Its events stay in the log.",
          security,
          params: ProjectIdParams,
          body: z.object({ confirm: z.string().max(100) }).strict(),
          response: { 204: z.void().describe('Deleted'), ...problems(400, 401, 403, 404) },
        },
      },
      async (request, reply) => {
        const { id } = request.params;
        const result = await deleteProject(
          deps.app,
          auth.actorOf(request),
          id,
          request.body.confirm,
          originOf(request),
        );
        await deps.waitFor(result.position);
        return reply.code(204).send();
      },
    );

    app.post(
      '/projects/:id/api-key',
      {
        schema: {
          operationId: 'rotateApiKey',
          tags,
          summary: 'Replace the project API key (owner or global admin); the old one stops working at once',
          description: 'The new key is shown only this once.',
          security,
          params: ProjectIdParams,
          response: { 200: ApiKeySchema, ...problems(400, 401, 403, 404) },
        },
      },
      async (request) => {
        const rotated = await rotateApiKey(
          deps.app,
          auth.actorOf(request),
          request.params.id,
          originOf(request),
        );
        // Handed out only once the read model knows it: from then on the old key fails.
        await deps.waitFor(rotated.position);
        return { apiKey: rotated.apiKey, apiKeyPrefix: rotated.apiKeyPrefix };
      },
    );

    app.get(
      '/projects/:id/members',
      {
        schema: {
          operationId: 'listProjectMembers',
          tags,
          summary: "The project's owner and members with their names (owner or global admin)",
          security,
          params: ProjectIdParams,
          response: { 200: z.object({ items: z.array(MemberSchema) }), ...problems(400, 401, 403, 404) },
        },
      },
      async (request) => ({
        items: (await listMembers(deps.app, auth.actorOf(request), request.params.id)).map(memberJson),
      }),
    );

    app.post(
      '/projects/:id/members',
      {
        schema: {
          operationId: 'addProjectMember',
          tags,
          summary: 'Give a user access to the project, named by id or by email (owner or global admin)',
          security,
          params: ProjectIdParams,
          body: MemberBodySchema,
          response: { 200: ProjectSchema, ...problems(400, 401, 403, 404) },
        },
      },
      async (request) => {
        const { id } = request.params;
        const actor = auth.actorOf(request);
        const { userId, email } = request.body;
        const who = userId ?? (await memberIdByEmail(deps.app, actor, id, email ?? ''));
        const result = await grantMember(deps.app, actor, id, who, originOf(request));
        return current(request, id, result.position);
      },
    );

    app.delete(
      '/projects/:id/members/:userId',
      {
        schema: {
          operationId: 'removeProjectMember',
          tags,
          summary: "Take a member's access away (owner or global admin)",
          security,
          params: ProjectIdParams.extend({ userId: z.uuid('must be a user id (a UUID)') }),
          response: { 200: ProjectSchema, ...problems(400, 401, 403, 404) },
        },
      },
      async (request) => {
        const { id, userId } = request.params;
        const result = await revokeMember(deps.app, auth.actorOf(request), id, userId, originOf(request));
        return current(request, id, result.position);
      },
    );
  };
}
