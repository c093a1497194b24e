import { z } from 'zod';
import { disableModule, enableModule } from '../../../application/modules/projectModules.ts';
import {
  listCatalog,
  listProjectModules,
  myLicenses,
  projectModule,
} from '../../../application/modules/queries.ts';
import { BEARER_SECURITY, type HttpRoutes, originOf, problems } from '../routeKit.ts';
import {
  CatalogModuleSchema,
  EnableModuleBody,
  LicenseSchema,
  ModuleParams,
  type ModuleRouteDeps,
  ProjectModuleSchema,
} from './moduleSchemas.ts';
import { ProjectIdParams } from './projectSchemas.ts';

const tags = ['modules'];
const security = BEARER_SECURITY;

/**
 * The module catalogue, a project's modules (enable, trial, disable) and the caller's own licences. Who may
 * do what is `application/modules/moduleAccess.ts`.
 */
export function moduleRoutes(deps: ModuleRouteDeps): HttpRoutes {
  const { auth } = deps;

  return (app) => {
    app.addHook('onRequest', auth.authenticate);

    app.get(
      '/modules',
      {
        schema: {
          operationId: 'listModules',
          tags,
          summary: 'The module catalogue: built-in modules and those of the installed plugins',
          security,
          response: { 200: z.object({ items: z.array(CatalogModuleSchema) }), ...problems(401) },
        },
      },
      async () => ({ items: listCatalog(deps.app) }),
    );

    app.get(
      '/projects/:id/modules',
      {
        schema: {
          operationId: 'listProjectModules',
          tags,
          summary: "The project's modules: core ones (always active) and every other one switched on there",
          description:
            'Each with `moduleName` (the code) and its status now; a trial whose end has passed is `disabled`.',
          security,
          params: ProjectIdParams,
          response: { 200: z.object({ items: z.array(ProjectModuleSchema) }), ...problems(400, 401, 404) },
        },
      },
      async (request) => ({
        items: await listProjectModules(deps.app, auth.actorOf(request), request.params.id),
      }),
    );

    app.post(
      '/projects/:id/modules',
      {
        schema: {
          operationId: 'enableModule',
          tags,
          summary: 'Enable a module in the project (owner or global admin)',
          description: [
            'Only the owner or a global admin: a member gets 403, anyone who cannot see the project 404 as for any project. An unknown code: 404 `module_not_found`.',
            "A caller who is not a global admin enabling a non-core module needs the project owner's active",
            'licence for it (`all_projects`, or `single_project` for this project), else 403 `license_required`.',
            'The status becomes `active`; enabling an active module again changes nothing. Global admins may send',
            '`trialEndsAt` to enable it as a trial instead.',
          ].join(' '),
          security,
          params: ProjectIdParams,
          body: EnableModuleBody,
          response: { 200: ProjectModuleSchema, ...problems(400, 401, 403, 404, 409) },
        },
      },
      async (request) => {
        const { id } = request.params;
        const change = await enableModule(
          deps.app,
          auth.actorOf(request),
          id,
          request.body,
          originOf(request),
        );
        await deps.waitFor(change.position);
        return projectModule(deps.app, id, change.moduleCode);
      },
    );

    app.delete(
      '/projects/:id/modules/:moduleCode',
      {
        schema: {
          operationId: 'disableModule',
          tags,
          summary: 'Disable a module in the project (owner or global admin); licences stay',
          description:
            'Enabling it again needs no new licence. A core module cannot be disabled (409 `module_is_core`).',
          security,
          params: ModuleParams,
          response: { 200: ProjectModuleSchema, ...problems(400, 401, 403, 404, 409) },
        },
      },
      async (request) => {
        const { id, moduleCode } = request.params;
        const change = await disableModule(
          deps.app,
          auth.actorOf(request),
          id,
          moduleCode,
          originOf(request),
        );
        await deps.waitFor(change.position);
        return projectModule(deps.app, id, change.moduleCode);
      },
    );

    app.get(
      '/me/module-licenses',
      {
        schema: {
          operationId: 'listMyModuleLicenses',
          tags,
          summary: 'Your active module licences: which modules you may enable in the projects you own',
          security,
          response: { 200: z.object({ items: z.array(LicenseSchema) }), ...problems(401) },
        },
      },
      async (request) => ({ items: await myLicenses(deps.app, auth.actorOf(request)) }),
    );
  };
}
