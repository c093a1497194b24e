import { z } from 'zod';
import { grantLicense, revokeLicense } from '../../../application/modules/licenses.ts';
import { licenseOf, userLicenses } from '../../../application/modules/queries.ts';
import { listAllProjects } from '../../../application/projects/allProjects.ts';
import { BEARER_SECURITY, type HttpRoutes, originOf, problems } from '../routeKit.ts';
import { UserIdParams } from './identitySchemas.ts';
import {
  AdminProjectSchema,
  GrantLicenseBody,
  LicenseParams,
  LicenseSchema,
  type ModuleRouteDeps,
} from './moduleSchemas.ts';

const tags = ['admin'];
const security = BEARER_SECURITY;

/**
 * `/api/v1/admin/*` for projects and licences: global admins only. Anyone else gets 403 before the request
 * is even read, 401 without a valid token (the hooks run in `onRequest`).
 */
export function adminModuleRoutes(deps: ModuleRouteDeps): HttpRoutes {
  const { auth } = deps;

  return (app) => {
    app.addHook('onRequest', auth.authenticate);
    app.addHook('onRequest', auth.requireGlobalAdmin);

    app.get(
      '/admin/projects',
      {
        schema: {
          operationId: 'listAllProjects',
          tags,
          summary: 'Every project, by name, with its owner: to switch into any of them',
          security,
          response: { 200: z.object({ items: z.array(AdminProjectSchema) }), ...problems(401, 403) },
        },
      },
      async (request) => ({ items: await listAllProjects(deps.app, auth.actorOf(request)) }),
    );

    app.get(
      '/admin/users/:id/licenses',
      {
        schema: {
          operationId: 'listUserLicenses',
          tags,
          summary: "A user's module licences, revoked ones included (`active: false`), oldest first",
          security,
          params: UserIdParams,
          response: { 200: z.object({ items: z.array(LicenseSchema) }), ...problems(400, 401, 403, 404) },
        },
      },
      async (request) => ({
        items: await userLicenses(deps.app, auth.actorOf(request), request.params.id),
      }),
    );

    app.post(
      '/admin/users/:id/licenses',
      {
        schema: {
          operationId: 'grantLicense',
          tags,
          summary: 'Grant a user a licence for a module: in every project they own, or in one',
          description: [
            '`projectId` is required with `scope: "single_project"` and refused with `"all_projects"` (400 naming',
            '`body.projectId`). An unknown module: 404 `module_not_found`; an unknown user: 404. A core module',
            'needs no licence (400). Granting a licence the user already holds returns it with 200.',
          ].join(' '),
          security,
          params: UserIdParams,
          body: GrantLicenseBody,
          response: { 200: LicenseSchema, 201: LicenseSchema, ...problems(400, 401, 403, 404) },
        },
      },
      async (request, reply) => {
        const userId = request.params.id;
        const granted = await grantLicense(
          deps.app,
          auth.actorOf(request),
          userId,
          request.body,
          originOf(request),
        );
        await deps.waitFor(granted.position);
        return reply
          .code(granted.created ? 201 : 200)
          .send(await licenseOf(deps.app, userId, granted.licenseId));
      },
    );

    app.delete(
      '/admin/users/:id/licenses/:licenseId',
      {
        schema: {
          operationId: 'revokeLicense',
          tags,
          summary: 'Revoke a licence; modules it allowed to enable stay as they are',
          description: 'Enabling a module again afterwards needs a licence again.',
          security,
          params: LicenseParams,
          response: { 204: z.void().describe('Revoked'), ...problems(400, 401, 403, 404) },
        },
      },
      async (request, reply) => {
        const { id, licenseId } = request.params;
        const result = await revokeLicense(deps.app, auth.actorOf(request), id, licenseId, originOf(request));
        await deps.waitFor(result.position);
        return reply.code(204).send();
      },
    );
  };
}
