import type { FastifyRequest } from 'fastify';
import { z } from 'zod';
import { blockUser, unblockUser } from '../../../application/identity/blockUser.ts';
import { createUser } from '../../../application/identity/createUser.ts';
import { deleteUser } from '../../../application/identity/deleteUser.ts';
import { grantProjectAccess, revokeProjectAccess } from '../../../application/identity/projectGrants.ts';
import { updateUser } from '../../../application/identity/updateUser.ts';
import type { IdentityResult } from '../../../application/identity/userCommands.ts';
import { DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE } from '../../../application/identity/userDirectory.ts';
import { getUser, listUsers } from '../../../application/identity/userQueries.ts';
import { BEARER_SECURITY, type HttpRoutes, problems } from '../routeKit.ts';
import type { IdentityRouteDeps } from './identityDeps.ts';
import {
  AssignableRoleSchema,
  EmailSchema,
  NameSchema,
  NewPasswordSchema,
  PermissionSchema,
  ProjectIdSchema,
  toUserJson,
  UserIdParams,
  UserSchema,
} from './identitySchemas.ts';

const tags = ['users'];
const security = BEARER_SECURITY;

/** User management: every route needs the manage_users permission (global admins hold it). */
export function userRoutes(deps: IdentityRouteDeps): HttpRoutes {
  const { auth } = deps;

  const answer = async (request: FastifyRequest, result: IdentityResult) => {
    await deps.waitFor(result.position);
    return toUserJson(await getUser(deps.directory, auth.actorOf(request), result.userId));
  };

  return (app) => {
    app.addHook('onRequest', auth.authenticate);
    app.addHook('onRequest', auth.requireManageUsers);

    app.get(
      '/users',
      {
        schema: {
          operationId: 'listUsers',
          tags,
          summary: 'List users, ordered by email',
          security,
          querystring: z.object({
            cursor: z.string().max(2048).optional(),
            limit: z.coerce.number().int().min(1).max(MAX_PAGE_SIZE).default(DEFAULT_PAGE_SIZE),
          }),
          response: {
            200: z.object({ items: z.array(UserSchema), nextCursor: z.string().nullable() }),
            ...problems(400, 401, 403),
          },
        },
      },
      async (request) => {
        const page = await listUsers(deps.directory, auth.actorOf(request), request.query);
        return { items: page.items.map(toUserJson), nextCursor: page.nextCursor };
      },
    );

    app.post(
      '/users',
      {
        schema: {
          operationId: 'createUser',
          tags,
          summary: 'Create a user (or, for global admins, a global admin)',
          description:
            'You can only grant permissions you hold and, unless you are a global admin, only projects in your own list. A listed project that does not exist is 404 `project_not_found` naming it; nothing is recorded.',
          security,
          body: z
            .object({
              email: EmailSchema,
              name: NameSchema,
              password: NewPasswordSchema,
              role: AssignableRoleSchema.default('user'),
              permissions: z.array(PermissionSchema).max(PermissionSchema.options.length).default([]),
              projectIds: z.array(ProjectIdSchema).max(1000).default([]),
            })
            .strict(),
          response: { 201: UserSchema, ...problems(400, 401, 403, 404, 409) },
        },
      },
      async (request, reply) => {
        const registered = await createUser(deps.commands, auth.callerOf(request), request.body);
        return reply.code(201).send(await answer(request, registered));
      },
    );

    app.get(
      '/users/:id',
      {
        schema: {
          operationId: 'getUser',
          tags,
          summary: 'One user',
          security,
          params: UserIdParams,
          response: { 200: UserSchema, ...problems(400, 401, 403, 404) },
        },
      },
      async (request) => toUserJson(await getUser(deps.directory, auth.actorOf(request), request.params.id)),
    );

    app.patch(
      '/users/:id',
      {
        schema: {
          operationId: 'updateUser',
          tags,
          summary: 'Change a user’s name, email, permissions or role',
          description:
            'Only the root changes the root; only global admins change global admins or roles; nobody changes their own permissions or role, or grants a permission they do not hold.',
          security,
          params: UserIdParams,
          body: z
            .object({
              name: NameSchema.optional(),
              email: EmailSchema.optional(),
              permissions: z.array(PermissionSchema).max(PermissionSchema.options.length).optional(),
              role: AssignableRoleSchema.optional(),
            })
            .strict()
            .refine(
              (body) => Object.values(body).some((v) => v !== undefined),
              'must change at least one field',
            ),
          response: { 200: UserSchema, ...problems(400, 401, 403, 404, 409) },
        },
      },
      async (request) =>
        answer(
          request,
          await updateUser(deps.commands, auth.callerOf(request), request.params.id, request.body),
        ),
    );

    app.post(
      '/users/:id/block',
      {
        schema: {
          operationId: 'blockUser',
          tags,
          summary: 'Block a user: no more logins, their tokens stop working',
          security,
          params: UserIdParams,
          response: { 200: UserSchema, ...problems(400, 401, 403, 404) },
        },
      },
      async (request) =>
        answer(request, await blockUser(deps.commands, auth.callerOf(request), request.params.id)),
    );

    app.post(
      '/users/:id/unblock',
      {
        schema: {
          operationId: 'unblockUser',
          tags,
          summary: 'Unblock a user',
          security,
          params: UserIdParams,
          response: { 200: UserSchema, ...problems(400, 401, 403, 404) },
        },
      },
      async (request) =>
        answer(request, await unblockUser(deps.commands, auth.callerOf(request), request.params.id)),
    );

    app.delete(
      '/users/:id',
      {
        schema: {
          operationId: 'deleteUser',
          tags,
          summary: 'Delete a user (never the root); their email becomes free',
          security,
          params: UserIdParams,
          response: { 204: z.void().describe('Deleted'), ...problems(400, 401, 403, 404) },
        },
      },
      async (request, reply) => {
        const result = await deleteUser(deps.commands, auth.callerOf(request), request.params.id);
        await deps.waitFor(result.position);
        return reply.code(204).send();
      },
    );

    app.post(
      '/users/:id/projects',
      {
        schema: {
          operationId: 'grantUserProject',
          tags,
          summary: 'Give a user access to a project',
          security,
          params: UserIdParams,
          body: z.object({ projectId: ProjectIdSchema }).strict(),
          response: { 200: UserSchema, ...problems(400, 401, 403, 404) },
        },
      },
      async (request) =>
        answer(
          request,
          await grantProjectAccess(
            deps.commands,
            auth.callerOf(request),
            request.params.id,
            request.body.projectId,
          ),
        ),
    );

    app.delete(
      '/users/:id/projects/:projectId',
      {
        schema: {
          operationId: 'revokeUserProject',
          tags,
          summary: 'Take a project away from a user',
          security,
          params: UserIdParams.extend({ projectId: ProjectIdSchema }),
          response: { 200: UserSchema, ...problems(400, 401, 403, 404) },
        },
      },
      async (request) =>
        answer(
          request,
          await revokeProjectAccess(
            deps.commands,
            auth.callerOf(request),
            request.params.id,
            request.params.projectId,
          ),
        ),
    );
  };
}
